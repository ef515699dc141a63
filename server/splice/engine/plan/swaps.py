"""Swapping a function's code in place: fitting it to the closure, its inner
functions' live closures, and the defaults and docstring that go with it.

Both planners patch a changed (or moved) function through ``plan_swap``: the
live function keeps its identity and gets the new code object. Closures made
earlier from its inner functions follow, found on the heap only when a
reference count shows some are alive (``codes_in_use``).
"""

from __future__ import annotations

import ast
import sys
from types import CodeType, FunctionType
from typing import Any

from splice.engine.commit.mutations import (
    clear_cache,
    replace_code,
    set_attribute,
    update_closures,
)
from splice.engine.commit.transaction import pending_bindings
from splice.engine.objects.codeobjects import (
    all_nested,
    codes_in_use,
    has_nested,
    pair_nested,
    same_code,
    same_position,
)
from splice.engine.objects.evaluation import evaluate_signature, future_annotations_flag
from splice.engine.objects.pieces import (
    bind_class_placeholder,
    compile_definition,
    with_class_cell_added,
    with_explicit_super,
)
from splice.engine.objects.targets import binding, caches_of, caches_over
from splice.engine.outline.definitions import Definition
from splice.engine.outline.statements import bound_names, is_import
from splice.engine.plan.planner import Planner
from splice.engine.plan.steps import Undo


class SwapPlanner(Planner):
    """Code swaps of changed and moved functions, shared by both planners."""

    def fit_closure(
        self,
        function: FunctionType,
        code: CodeType,
        definition: Definition,
        live_class: type | None,
    ) -> CodeType | None:
        """``code`` made to fit ``function``'s closure, or None (and an error)."""
        old_free, new_free = function.__code__.co_freevars, code.co_freevars
        if old_free == new_free:
            return code
        node = definition.node
        assert not isinstance(node, ast.ClassDef)
        enclosing = self.enclosing(definition)
        candidate: CodeType | None = None
        if live_class is not None and not old_free and new_free == ("__class__",):
            rewritten = with_explicit_super(node)
            if rewritten is not None:
                compiled = compile_definition(rewritten, enclosing, self.plan.filename, self.flags)  # type: ignore[arg-type]
                candidate = compiled and bind_class_placeholder(compiled, live_class)
        elif live_class is not None and old_free == ("__class__",) and not new_free:
            candidate = compile_definition(
                with_class_cell_added(node), enclosing, self.plan.filename, self.flags
            )
        if candidate is not None and candidate.co_freevars == old_free:
            return candidate
        self.error(
            "closure-freevars-changed",
            f"{definition.qualname}: cannot patch in place: the free variables it reads from "
            f"an enclosing scope changed ({_describe_names(old_free)} → {_describe_names(new_free)}), so its "
            "existing closure cannot run the new code. Re-create it (re-run its factory) or restart",
            definition,
        )
        return None

    def plan_closures(
        self,
        definition: Definition,
        fitted: list[tuple[FunctionType, CodeType]],
        changed_ids: set[int],
    ) -> dict[CodeType, CodeType]:
        """Inner functions whose existing closures can run their new code (or show
        their new lines, when the function only moved)."""
        updates: dict[CodeType, CodeType] = {}
        for function, new_code in fitted:
            if not has_nested(function.__code__):
                continue
            changed = id(function) in changed_ids
            pairs = list(pair_nested(function.__code__, new_code))
            if changed:
                self.report_unpaired(definition, function.__code__, {id(old) for old, _ in pairs})
            for old_inner, new_inner in pairs:
                if old_inner is new_inner:
                    continue
                if same_code(old_inner, new_inner):
                    if not same_position(old_inner, new_inner):
                        updates[old_inner] = new_inner
                    continue
                if old_inner.co_freevars == new_inner.co_freevars:
                    updates[old_inner] = new_inner
                    continue
                if not changed:
                    continue
                self.skip(
                    "closure-freevars-changed",
                    f"{definition.qualname}.<locals>.{new_inner.co_name}: closures made before "
                    "this patch keep their old code, because the free variables they read "
                    f"changed ({_describe_names(old_inner.co_freevars)} → {_describe_names(new_inner.co_freevars)}); "
                    "closures made from now on run the new code. Re-run the factory to refresh them",
                    qualname=definition.qualname,
                    line=new_inner.co_firstlineno,
                )
        return updates

    def report_unpaired(self, definition: Definition, old: CodeType, paired: set[int]) -> None:
        """Closures still alive of an inner function the new code no longer has."""
        unpaired = dict.fromkeys(code for code in all_nested(old) if id(code) not in paired)
        for code in codes_in_use(unpaired):
            self.skip(
                "closure-freevars-changed",
                f"{definition.qualname}.<locals>.{code.co_name}: closures made before this patch "
                "keep their old code, because the new text has no inner function that matches it "
                "(renamed, removed, or a def that became a lambda); closures made from now on run "
                "the new code. Re-run the factory to refresh them",
                qualname=definition.qualname,
                line=definition.line,
            )

    def plan_swap(
        self,
        definition: Definition,
        namespace: Any,
        fitted: list[tuple[FunctionType, CodeType]],
        changed: list[FunctionType],
        *,
        signature: bool,
        docstring: bool,
    ) -> None:
        """One step giving each live function of ``fitted`` its new code.

        The ``changed`` ones also get the new defaults and annotations (when
        ``signature``), the new docstring (when ``docstring``), their closures'
        new inner code and cleared caches; the others only moved.
        """
        live_class = namespace if isinstance(namespace, type) else None
        values: tuple[Any, Any, Any] | None = None
        # Defaults that name a definition or an import of the new text above are
        # evaluated while staging, where what the patch binds there is visible.
        staged = signature and self.reads_definitions_above(definition)
        if signature:
            self.signatures.add(definition.qualname)
        if signature and not staged:
            try:
                values = evaluate_signature(
                    definition,
                    self.module,
                    live_class,
                    self.plan.filename,
                    self.flags,
                    self.overlay_at(definition.line),
                )
            except Exception as error:
                self.error(
                    "signature-failed",
                    f"{definition.qualname}: evaluating its defaults or annotations raised "
                    f"{type(error).__name__}: {error}; nothing was changed",
                    definition,
                )
                return
        changed_ids = {id(function) for function in changed}
        self.plan_closure_updates(self.plan_closures(definition, fitted, changed_ids))
        new_docstring = ast.get_docstring(definition.node, clean=sys.version_info >= (3, 13))
        if changed:
            self.plan.changed.append(definition.qualname)
            self.plan.compiled[definition.qualname] = fitted[0][1]
            self.plan.caches.extend(caches_of(binding(namespace, definition.member)))
        else:
            self.plan.moved.append(definition.qualname)

        def swap(undo: Undo) -> None:
            nonlocal values
            if staged:
                overlay = {**pending_bindings(self.module), **self.overlay_at(definition.line)}
                values = evaluate_signature(
                    definition, self.module, live_class, self.plan.filename, self.flags, overlay
                )
            for function, code in fitted:
                replace_code(function, code, undo, changed=id(function) in changed_ids)
                if id(function) not in changed_ids:
                    continue
                if values is not None:
                    set_attribute(function, "__defaults__", values[0], undo)
                    set_attribute(function, "__kwdefaults__", values[1], undo)
                    set_attribute(function, "__annotations__", values[2], undo)
                if docstring:
                    set_attribute(function, "__doc__", new_docstring, undo)

        verb = "patching" if changed else "moving"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", swap)

    def plan_closure_updates(self, updates: dict[CodeType, CodeType]) -> None:
        """Closures of these inner functions get their new code in one step, after the
        others: one heap walk for the whole patch, and only when some are alive."""
        if not updates:
            return
        pending = self.plan.closures
        if not pending:
            module = self.module

            def update(undo: Undo) -> None:
                try:
                    changed = update_closures(pending, undo, vars(module))
                finally:
                    # Nothing may keep the old code objects: their reference counts
                    # tell the next patch whether closures of them are alive.
                    pending.clear()
                if changed:
                    # Results a cache keeps from a wrapper whose code changed are old too.
                    for cache in caches_over(module, changed):
                        clear_cache(cache, undo)

            self.plan.add_last_step("updating closures", update)
        pending.update(updates)

    def reads_definitions_above(self, definition: Definition) -> bool:
        """Whether the defaults or annotations of ``definition`` name a module-level
        definition or import the new text has above it."""
        node = definition.node
        assert not isinstance(node, ast.ClassDef)
        arguments = node.args
        expressions: list[ast.expr | None] = [*arguments.defaults, *arguments.kw_defaults]
        if not self.flags & future_annotations_flag():
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            expressions += [a.annotation for a in every] + [node.returns]
        names = {
            name.id
            for expression in expressions
            if expression is not None
            for name in ast.walk(expression)
            if isinstance(name, ast.Name)
        }
        if not names:
            return False
        if self._defined is None:
            self._defined = [(d.line, d.name) for d in self.new.ordered if d.parent is None]
            self._defined += [
                (s.line, name)
                for s in self.new.statements
                if is_import(s.node)
                for name in bound_names(s.node)
            ]
        return any(line < definition.line and name in names for line, name in self._defined)


def _describe_names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
