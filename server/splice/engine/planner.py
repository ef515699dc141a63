"""Planning from a trusted baseline: diff, then one step per change."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from types import CodeType, FunctionType
from typing import Any

from splice.engine.classes import (
    DataclassRegeneration,
    dataclass_options,
    fields_changed,
    is_dataclass_type,
    is_enum,
)
from splice.engine.codeobjects import code_kind, pair_nested, same_code, shift_lines
from splice.engine.definitions import Definition, Outline, Statement
from splice.engine.diff import DefinitionChange, diff_definitions
from splice.engine.evaluation import (
    evaluate_expression,
    evaluate_signature,
    future_annotations_flag,
)
from splice.engine.mutations import (
    bind,
    binder,
    replace_code,
    set_attribute,
    unbind,
    update_closures,
)
from splice.engine.pieces import (
    bind_class_placeholder,
    compile_definition,
    run_definition,
    with_class_cell_added,
    with_explicit_super,
)
from splice.engine.plan import Plan, Undo
from splice.engine.result import Finding
from splice.engine.statements import assigns_name, is_import, literal_targets, literal_value
from splice.engine.targets import binding, caches_of, is_missing, live_functions, namespace_of


class Planner:
    """Plans a patch from a trusted baseline: diff, then one step per change."""

    def __init__(self, plan: Plan, old: Outline, new: Outline, delete_removed: bool) -> None:
        self.plan = plan
        self.module = plan.module
        self.old, self.new = old, new
        self.delete_removed = delete_removed
        self.flags = new.future_flags
        self.new_classes = {d.qualname: d for d in new.ordered if d.kind == "class"}
        self.old_classes = {d.qualname: d for d in old.ordered if d.kind == "class"}
        self.old_definitions = old.definitions
        self.new_definitions = new.definitions
        self.new_counts = Counter(definition.qualname for definition in new.ordered)
        #: Classes handled as a whole (rebound, refused, not live): skip members.
        self.whole: set[str] = set()
        #: Dataclasses regenerated: their field statements are handled.
        self.regenerated: set[str] = set()

    # -- driving ---------------------------------------------------------
    def run(self) -> None:
        diff = diff_definitions(self.old, self.new)
        for change in diff.changes:
            if change.kind == "changed" and change.new is not None and change.new.kind == "class":
                self.plan_class(change)
        for change in diff.changes:
            definition = change.new or change.old
            assert definition is not None
            if self.inside_whole(definition.qualname) or (
                change.kind == "changed" and definition.kind == "class"
            ):
                continue
            if change.kind == "added":
                self.plan_add(definition)
            elif change.kind == "deleted":
                self.plan_delete(definition)
            elif change.kind == "moved":
                self.plan_move(change)
            else:
                self.plan_function(change)
        for statement in diff.statements:
            self.plan_statement(statement)

    def inside_whole(self, qualname: str) -> bool:
        parent = qualname
        while parent:
            if parent in self.whole:
                return True
            parent = parent.rpartition(".")[0]
        return False

    def enclosing(
        self, definition: Definition, outline: Outline | None = None
    ) -> list[ast.ClassDef]:
        classes = self.new_classes if outline is None else self.old_classes
        chain: list[ast.ClassDef] = []
        parent = definition.parent
        while parent:
            node = classes[parent].node
            assert isinstance(node, ast.ClassDef)
            chain.insert(0, node)
            parent = classes[parent].parent
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

    def skip(self, code: str, message: str, severity: str = "warning", **where: Any) -> None:
        self.plan.skipped.append(Finding(code, message, severity=severity, **where))  # type: ignore[arg-type]

    # -- classes ---------------------------------------------------------
    def plan_class(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        if self.inside_whole(new.qualname):
            return
        live = namespace_of(self.module, new.qualname)
        if not isinstance(live, type):
            self.whole.add(new.qualname)
            if new.in_block or (old.parent and self.inside_whole(old.parent)):
                return
            self.error(
                "class-not-found",
                f"{new.qualname}: cannot patch: the module has no class by that name "
                "(its name is bound to something else); restart to load it",
                new,
            )
            return
        if "bases" in change.parts or "keywords" in change.parts:
            self.refuse_header(new, "bases" if "bases" in change.parts else "keywords")
            return
        if "decorators" in change.parts:
            self.whole.add(new.qualname)
            self.plan_run(new, "rebound")
            return
        self.plan_class_body(old, new, live)

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

    def plan_class_body(self, old: Definition, new: Definition, live: type) -> None:
        if is_enum(live):
            old_members = [s.text for s in old.statements if not s.is_docstring]
            new_members = [s.text for s in new.statements if not s.is_docstring]
            if old_members != new_members:
                self.refuse_enum(new)
            return
        if is_dataclass_type(live) and fields_changed(old, new):
            self.plan_dataclass(new, live)

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

    # -- functions -------------------------------------------------------
    def plan_function(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        namespace = namespace_of(self.module, new.parent)
        if namespace is None:
            return  # its class is not live (an untaken branch): nothing runs this
        bound = binding(namespace, new.member)
        functions = live_functions(bound, new.name, old.line)
        # Another definition of the same name (an if/else pair, a redefinition)
        # may be the live one: then only an exact match is this definition.
        unique = self.old_definitions[old.qualname] is old and old.occurrence == 0
        if not functions and unique and not is_missing(bound):
            functions = live_functions(bound, new.name, None)
        plain = unique and not new.in_block
        # Only a decorator can hide the function it made; anything else bound to
        # the name came from elsewhere (another branch, a later statement).
        opaque = plain and not is_missing(bound) and bool(old.node.decorator_list)
        if not functions and not opaque and not (plain and is_missing(bound)):
            elsewhere = plain or (not is_missing(bound) and unique)
            self.skip(
                "definition-not-live",
                f"{new.qualname}: not patched: this definition is not the one the program "
                + (
                    f"runs: the name is bound to a {type(bound).__name__} that does not come "
                    "from it (a later statement rebound it)"
                    if elsewhere
                    else "runs (its block took another branch, or another definition of the "
                    "same name replaced it)"
                ),
                severity="warning" if plain else "info",
                qualname=new.qualname,
                line=new.line,
            )
            return
        if "decorators" in change.parts:
            self.plan_run(new, "rebound")
            return
        if not functions:
            if is_missing(bound):
                self.plan_run(new, "added")
                return
            self.error(
                "decorator-opaque",
                f"{new.qualname}: cannot patch in place: its decorator returned "
                f"{type(bound).__name__} object that does not expose the original function "
                "(no __wrapped__). Use functools.wraps in the decorator, or restart",
                new,
            )
            return
        code = compile_definition(new.node, self.enclosing(new), self.plan.filename, self.flags)
        assert code is not None
        if any(code_kind(function.__code__) != code_kind(code) for function in functions):
            # def <-> async def, or a yield added: a function cannot change kind in place.
            self.plan_run(new, "rebound")
            return
        live_class = namespace if isinstance(namespace, type) else None
        fitted = []
        for function in functions:
            new_code = self.fit_closure(function, code, new, live_class)
            if new_code is None:
                return
            fitted.append((function, new_code))
        signature: tuple[Any, Any, Any] | None = None
        if "signature" in change.parts:
            try:
                signature = evaluate_signature(
                    new, self.module, live_class, self.plan.filename, self.flags
                )
            except Exception as error:
                self.error(
                    "signature-failed",
                    f"{new.qualname}: evaluating its defaults or annotations raised "
                    f"{type(error).__name__}: {error}; nothing was changed",
                    new,
                )
                return
        closures = self.plan_closures(new, fitted)
        self.plan.changed.append(new.qualname)
        self.plan.caches.extend(caches_of(bound))
        docstring = ast.get_docstring(new.node, clean=sys.version_info >= (3, 13))

        def swap(undo: Undo) -> None:
            for function, new_code in fitted:
                replace_code(function, new_code, undo)
                if signature is not None:
                    set_attribute(function, "__defaults__", signature[0], undo)
                    set_attribute(function, "__kwdefaults__", signature[1], undo)
                    set_attribute(function, "__annotations__", signature[2], undo)
                if "docstring" in change.parts:
                    set_attribute(function, "__doc__", docstring, undo)
            if closures:
                update_closures(closures, undo)

        self.plan.add_step(new.line, f"patching {new.qualname}", swap)

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

    def plan_move(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        namespace = namespace_of(self.module, new.parent)
        if namespace is None:
            return
        functions = live_functions(binding(namespace, new.member), new.name, old.line)
        if not functions:
            return
        if old.text == new.text:
            codes = [(f, shift_lines(f.__code__, new.line - old.line)) for f in functions]
        else:
            code = compile_definition(new.node, self.enclosing(new), self.plan.filename, self.flags)
            assert code is not None
            live_class = namespace if isinstance(namespace, type) else None
            codes = []
            for function in functions:
                fitted = self.fit_closure(function, code, new, live_class)
                if fitted is None:
                    return
                codes.append((function, fitted))
        self.plan.moved.append(new.qualname)

        def move(undo: Undo) -> None:
            for function, code in codes:
                replace_code(function, code, undo)

        self.plan.add_step(new.line, f"moving {new.qualname}", move)

    # -- adding, rebinding, deleting ---------------------------------------
    def plan_add(self, definition: Definition) -> None:
        if definition.in_block and self.new_counts[definition.qualname] > 1:
            # Another definition of the same name (another branch) may be the
            # one the block would bind: which branch ran is not known here.
            self.skip(
                "definition-not-live",
                f"{definition.qualname}: not defined: it was added to a block that defines "
                "the same name elsewhere, and splice cannot tell which branch ran. Run the "
                "block explicitly or restart",
                severity="info",
                qualname=definition.qualname,
                line=definition.line,
            )
            return
        self.plan_run(definition, "added")

    def plan_run(self, definition: Definition, report: str) -> None:
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
        getattr(self.plan, report).append(definition.qualname)
        enclosing = self.enclosing(definition)
        module, filename, flags = self.module, self.plan.filename, self.flags

        def run(undo: Undo) -> None:
            bindings = run_definition(
                definition.node, enclosing, live_classes, module, filename, flags
            )
            bind(namespace, definition.member, bindings[definition.member], undo)

        verb = "defining" if report == "added" else "re-creating"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", run)

    def plan_delete(self, definition: Definition) -> None:
        namespace = namespace_of(self.module, definition.parent)
        if namespace is None:
            return
        bound = binding(namespace, definition.member)
        if is_missing(bound):
            return
        if definition.kind == "function" and not live_functions(
            bound, definition.name, definition.line
        ):
            return  # the name is bound to something else now (or another branch's definition)
        if definition.kind == "class" and not (
            isinstance(bound, type) and bound.__qualname__ == definition.qualname
        ):
            return
        where: dict[str, Any] = {"qualname": definition.qualname}
        if definition.qualname in self.new_definitions and isinstance(bound, property):
            # A setter or deleter removed: the property must be rebuilt from the
            # definitions that remain, in order, each seeing the one before.
            if definition.qualname not in self.plan.rebound:
                for remaining in self.new.ordered:
                    if remaining.qualname == definition.qualname:
                        self.plan_run(remaining, "rebound")
                self.plan.rebound[:] = dict.fromkeys(self.plan.rebound)
            return
        if definition.qualname in self.new_definitions:
            self.skip(
                "deletion-shared-name",
                f"{definition.qualname}: this definition was removed but another of the same "
                "name remains, so the name was kept",
                **where,
            )
            return
        if not self.delete_removed:
            self.skip(
                "deletion-skipped",
                f"{definition.qualname}: removed from the source but kept in the program "
                "(deleting removed definitions is turned off)",
                severity="info",
                **where,
            )
            return
        self.plan.deleted.append(definition.qualname)

        def delete(undo: Undo) -> None:
            unbind(namespace, definition.member, undo)

        self.plan.add_step(definition.line, f"deleting {definition.qualname}", delete)

    # -- statements --------------------------------------------------------
    def plan_statement(self, statement: Statement) -> None:
        scope = statement.scope
        if scope is not None and (self.inside_whole(scope) or scope not in self.old_classes):
            return
        node = statement.node
        where: dict[str, Any] = {
            "line": statement.line,
            "column": statement.column + 1,
            "end_line": statement.end_line,
        }
        namespace = namespace_of(self.module, scope)
        if namespace is None:
            return
        if scope in self.regenerated and isinstance(node, ast.AnnAssign):
            return
        names = literal_targets(node)
        if "__slots__" in (names or []) or assigns_name(node, "__slots__"):
            self.error(
                "slots-changed",
                f"{scope}: cannot patch in place: __slots__ changed, and a live class's slots "
                "are fixed when it is created. Restart the program",
                qualname=scope,
                **where,
            )
            return
        if statement.is_docstring:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            value = node.value.value
            self.plan.add_step(
                statement.line, "setting the docstring", binder(namespace, {"__doc__": value})
            )
            self.plan.statements_applied.append(statement.line)
            return
        if names is not None:
            assert isinstance(node, (ast.Assign, ast.AnnAssign))
            try:
                value = literal_value(node, self.plan.filename)
            except Exception as error:
                self.error("statement-failed", f"line {statement.line}: {error}", **where)
                return
            label = f"assigning {', '.join(names)}"
            self.plan.add_step(
                statement.line, label, binder(namespace, dict.fromkeys(names, value))
            )
            self.plan.statements_applied.append(statement.line)
            return
        if scope is None and is_import(node):
            module, filename, flags = self.module, self.plan.filename, self.flags

            def run_import(undo: Undo) -> None:
                bindings = run_definition(node, [], [], module, filename, flags)
                for name, value in bindings.items():
                    bind(module, name, value, undo)

            self.plan.add_step(statement.line, f"line {statement.line} (import)", run_import)
            self.plan.statements_applied.append(statement.line)
            return
        place = f"in class {scope}" if scope else "top-level"
        self.skip(
            "statement-not-run",
            f"line {statement.line}: this {place} statement changed but was not run (splice "
            "never re-runs top-level code behind your back); run it explicitly if you need it",
            qualname=scope,
            **where,
        )


def _describe_names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
