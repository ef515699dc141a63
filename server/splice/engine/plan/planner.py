"""The planners' shared base: the steps both planners plan the same way.

Planning turns a diff into a ``Plan`` (``plan.py``) of steps and findings,
without touching live state. ``BaselinePlanner`` (``baseline_planner.py``)
diffs the new text against the recorded baseline; ``LivePlanner``
(``live_planner.py``) compares it with the live objects when there is none.
Both run a definition, fit code to a closure, swap code objects, regenerate
dataclasses and refuse rude edits through this base.
"""

from __future__ import annotations

import ast
import bisect
import sys
from types import CodeType, FunctionType
from typing import Any, Literal

from splice.engine.commit.mutations import bind, replace_code, set_attribute, update_closures
from splice.engine.objects.classes import DataclassRegeneration, dataclass_options
from splice.engine.objects.codeobjects import pair_nested, same_code
from splice.engine.objects.evaluation import (
    evaluate_expression,
    evaluate_signature,
    future_annotations_flag,
)
from splice.engine.objects.pieces import (
    bind_class_placeholder,
    compile_definition,
    compile_to_run,
    run_definition,
    with_class_cell_added,
    with_explicit_super,
)
from splice.engine.objects.targets import binding, caches_of, namespace_of
from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.statements import bound_names, literal_targets, literal_value
from splice.engine.plan.steps import Plan, Undo
from splice.engine.result import Finding, Severity


class Planner:
    """What both planners share; ``run`` is theirs."""

    def __init__(self, plan: Plan, new: Outline) -> None:
        self.plan = plan
        self.module = plan.module
        self.new = new
        self.flags = new.future_flags
        self.new_classes = {d.qualname: d for d in new.ordered if d.kind == "class"}
        #: Classes handled as a whole (rebound, refused, not live): skip members.
        self.whole: set[str] = set()
        #: Dataclasses regenerated: their field statements are handled.
        self.regenerated: set[str] = set()
        #: Functions whose defaults and annotations this patch evaluates anew.
        self.signatures: set[str] = set()
        self._literals: list[tuple[int, dict[str, Any], set[str]]] | None = None
        self._overlays: list[tuple[int, dict[str, Any]]] | None = None
        self._bindings: dict[str | None, list[tuple[int, set[str]]]] | None = None
        self._bindings_complete: dict[str, bool] = {}

    def literals(self) -> list[tuple[int, dict[str, Any], set[str]]]:
        """Per module-level statement of the new text: its line, the literal values
        it binds, and the other names it may bind (to a value not known here)."""
        if self._literals is None:
            self._literals = []
            for statement in self.new.statements:
                names = literal_targets(statement.node)
                if names is not None:
                    assert isinstance(statement.node, (ast.Assign, ast.AnnAssign))
                    try:
                        value = literal_value(statement.node, self.plan.filename)
                    except Exception:
                        self._literals.append((statement.line, {}, set(names)))
                        continue
                    self._literals.append((statement.line, dict.fromkeys(names, value), set()))
                else:
                    self._literals.append((statement.line, {}, bound_names(statement.node)))
        return self._literals

    def overlay_at(self, line: int) -> dict[str, Any]:
        """The literal values the new text has bound at module level above ``line``.

        Defaults and annotations are evaluated against these (source order),
        not against the values the module had before the patch.
        """
        if self._overlays is None:
            # One snapshot per statement, shared until a statement changes it.
            self._overlays = []
            current: dict[str, Any] = {}
            for start, literal, others in self.literals():
                if literal or others & current.keys():
                    current = {n: v for n, v in current.items() if n not in others}
                    current.update(literal)
                self._overlays.append((start, current))
        index = bisect.bisect_left(self._overlays, line, key=lambda entry: entry[0])
        return self._overlays[index - 1][1] if index else {}

    def scope_bindings(self, scope: str | None) -> list[tuple[int, set[str]]]:
        """Each statement and definition of ``scope`` in the new text: its line, the names it binds."""
        if self._bindings is None:
            self._bindings = {}
            for d in self.new.ordered:
                self._bindings.setdefault(d.parent, []).append((d.line, {d.member}))
            module = self._bindings.setdefault(None, [])
            module.extend(
                (line, set(literal) | others) for line, literal, others in self.literals()
            )
        owner = self.new_classes.get(scope) if scope is not None else None
        if scope is not None and owner is None:
            return []
        bindings = self._bindings.setdefault(scope, [])
        if owner is not None and not self._bindings_complete.get(owner.qualname):
            bindings.extend((s.line, bound_names(s.node)) for s in owner.statements)
            self._bindings_complete[owner.qualname] = True
        return bindings

    def bound_after(self, scope: str | None, line: int, name: str) -> bool:
        return any(start > line and name in names for start, names in self.scope_bindings(scope))

    def inside_whole(self, qualname: str) -> bool:
        parent = qualname
        while parent:
            if parent in self.whole:
                return True
            parent = parent.rpartition(".")[0]
        return False

    def enclosing(self, definition: Definition) -> list[ast.ClassDef]:
        """The class statements around ``definition`` in the new text, outermost first."""
        return self.classes_around(definition.parent)

    def classes_around(self, scope: str | None) -> list[ast.ClassDef]:
        """The class statements of ``scope`` and its enclosing classes, outermost first."""
        chain: list[ast.ClassDef] = []
        parent = scope
        while parent:
            node = self.new_classes[parent].node
            assert isinstance(node, ast.ClassDef)
            chain.insert(0, node)
            parent = self.new_classes[parent].parent
        return chain

    def live_classes(self, definition: Definition) -> list[type] | None:
        chain: list[type] = []
        parent = definition.parent
        scopes: list[str] = []
        while parent:
            scopes.insert(0, parent)
            parent = parent.rpartition(".")[0] or None
        for scope in scopes:
            live = namespace_of(self.module, scope)
            if not isinstance(live, type):
                return None
            chain.append(live)
        return chain

    def error(
        self, code: str, message: str, definition: Definition | None = None, **where: Any
    ) -> None:
        if definition is not None:
            where.setdefault("qualname", definition.qualname)
            where.setdefault("line", definition.line)
            where.setdefault("column", definition.column + 1)
            where.setdefault("end_line", definition.end_line)
        self.plan.errors.append(Finding(code, message, **where))

    def skip(self, code: str, message: str, severity: Severity = "warning", **where: Any) -> None:
        self.plan.skipped.append(Finding(code, message, severity=severity, **where))

    def literal_or_error(self, statement: Statement, **where: Any) -> tuple[bool, Any]:
        """``(True, value)`` of a literal assignment, or ``(False, None)`` once its
        evaluation failed and was reported as an error at ``where``."""
        node = statement.node
        assert isinstance(node, (ast.Assign, ast.AnnAssign))
        try:
            return True, literal_value(node, self.plan.filename)
        except Exception as error:
            self.error("statement-failed", f"line {statement.line}: {error}", **where)
            return False, None

    def add_import(self, statement: Statement, code: CodeType) -> None:
        """Run an import's ``code`` when the patch commits, binding its names in the module."""
        module = self.module

        def run_import(undo: Undo) -> None:
            bindings = run_definition(code, [], [], module)
            for name, value in bindings.items():
                bind(module, name, value, undo)

        self.plan.add_step(statement.line, f"line {statement.line} (import)", run_import)
        self.plan.statements_applied.append(statement.line)

    def refuse_header(self, new: Definition, part: str) -> None:
        what = "bases" if part == "bases" else "metaclass or class keywords"
        self.whole.add(new.qualname)
        self.error(
            "class-bases-changed" if part == "bases" else "class-keywords-changed",
            f"{new.qualname}: cannot patch in place: its {what} changed, and a live class "
            "cannot change them; its existing instances keep the old ones. Restart the "
            "program (or re-create the class and its instances) to apply this edit",
            new,
        )

    def refuse_enum(self, new: Definition) -> None:
        self.whole.add(new.qualname)
        self.error(
            "enum-members-changed",
            f"{new.qualname}: cannot patch in place: the members of an enum are fixed "
            "when it is created, and existing members are compared by identity. "
            "Restart the program to apply this edit",
            new,
        )

    def plan_dataclass(self, new: Definition, live: type) -> None:
        try:
            options = dataclass_options(new)
        except ValueError as error:
            self.error("dataclass-options", f"{new.qualname}: cannot regenerate: {error}", new)
            return
        if options is None:
            return
        if options.get("slots"):
            self.error(
                "dataclass-slots",
                f"{new.qualname}: cannot change the fields of a dataclass with slots=True in "
                "place: its slots are fixed when the class is created. Restart the program",
                new,
            )
            return
        future_annotations = bool(self.flags & future_annotations_flag())
        namespace = dict(vars(live))

        def evaluate(expression: ast.expr) -> Any:
            return evaluate_expression(expression, self.module, namespace, self.plan.filename)

        def annotation(expression: ast.expr) -> Any:
            if future_annotations:
                return ast.unparse(expression)
            return evaluate(expression)

        try:
            regeneration = DataclassRegeneration(
                live, new, options, evaluate, annotation, self.plan.filename
            )
        except Exception as error:
            self.error(
                "dataclass-field-failed",
                f"{new.qualname}: a field's annotation or default raised "
                f"{type(error).__name__}: {error}; nothing was changed",
                new,
            )
            return
        self.regenerated.add(new.qualname)
        self.plan.changed.append(new.qualname)
        self.plan.add_step(new.line, f"regenerating dataclass {new.qualname}", regeneration.commit)

    def plan_run(
        self,
        definition: Definition,
        report: Literal["added", "rebound"],
        *,
        bind_name: bool = True,
    ) -> None:
        """Run a definition at commit, with its decorators; ``bind_name`` False runs
        it only for what its decorators do (a later same-name sibling keeps the name)."""
        namespace = namespace_of(self.module, definition.parent)
        live_classes = self.live_classes(definition)
        if namespace is None or live_classes is None:
            if definition.parent and self.inside_whole(definition.parent):
                return
            self.error(
                "class-not-found",
                f"{definition.qualname}: cannot add it: its class {definition.parent} is not "
                "a live class of the module",
                definition,
            )
            return
        enclosing = self.enclosing(definition)
        # Compiled now, so a compile-stage syntax error refuses the patch before any step runs.
        code = compile_to_run(definition.node, enclosing, self.plan.filename, self.flags)
        (self.plan.added if report == "added" else self.plan.rebound).append(definition.qualname)
        module = self.module

        def run(undo: Undo) -> None:
            bindings = run_definition(code, enclosing, live_classes, module)
            if bind_name:
                bind(namespace, definition.member, bindings[definition.member], undo)

        verb = "defining" if report == "added" else "re-creating"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", run)

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
        self, definition: Definition, fitted: list[tuple[FunctionType, CodeType]]
    ) -> dict[CodeType, CodeType]:
        """Inner functions whose existing closures can run their new code."""
        updates: dict[CodeType, CodeType] = {}
        for function, new_code in fitted:
            for old_inner, new_inner in pair_nested(function.__code__, new_code):
                if same_code(old_inner, new_inner):
                    continue
                if old_inner.co_freevars == new_inner.co_freevars:
                    updates[old_inner] = new_inner
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
        if signature:
            self.signatures.add(definition.qualname)
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
        closures = self.plan_closures(
            definition,
            [(function, code) for function, code in fitted if id(function) in changed_ids],
        )
        new_docstring = ast.get_docstring(definition.node, clean=sys.version_info >= (3, 13))
        if changed:
            self.plan.changed.append(definition.qualname)
            self.plan.compiled[definition.qualname] = fitted[0][1]
            self.plan.caches.extend(caches_of(binding(namespace, definition.member)))
        else:
            self.plan.moved.append(definition.qualname)

        def swap(undo: Undo) -> None:
            for function, code in fitted:
                replace_code(function, code, undo)
                if id(function) not in changed_ids:
                    continue
                if values is not None:
                    set_attribute(function, "__defaults__", values[0], undo)
                    set_attribute(function, "__kwdefaults__", values[1], undo)
                    set_attribute(function, "__annotations__", values[2], undo)
                if docstring:
                    set_attribute(function, "__doc__", new_docstring, undo)
            if closures:
                update_closures(closures, undo)

        verb = "patching" if changed else "moving"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", swap)


def _describe_names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
