"""The planners' shared base: the steps both planners plan the same way.

Planning turns a diff into a ``Plan`` (``steps.py``) of steps and findings,
without touching live state. ``BaselinePlanner`` (``baseline_planner.py``,
its statements in ``statements.py``) diffs the new text against the recorded
baseline; ``LivePlanner`` (``live/``) compares it with the live objects when
there is none. Both run definitions, add imports, regenerate dataclasses and
refuse rude edits through this base, and swap code through ``swaps.py``.
"""

from __future__ import annotations

import ast
import bisect
from functools import cached_property
from types import CodeType
from typing import Any, Literal

from splice.engine.commit.mutations import bind
from splice.engine.objects.classes import DataclassRegeneration, dataclass_options
from splice.engine.objects.evaluation import (
    evaluate_expression,
    future_annotations_flag,
)
from splice.engine.objects.pieces import (
    compile_to_run,
    run_definition,
)
from splice.engine.objects.targets import namespace_of
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
        self._defined: list[tuple[int, str]] | None = None

    @cached_property
    def new_classes(self) -> dict[str, Definition]:
        """qualname -> class statement of the new text (made on first use: most patches
        of a large module change no method)."""
        return {d.qualname: d for d in self.new.ordered if d.kind == "class"}

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
        # A value, not a container the program may share: a fresh copy of a
        # list would take what a decorator registers into it.
        above = {
            name: value
            for name, value in self.overlay_at(definition.line).items()
            if _immutable(value)
        }

        def run(undo: Undo) -> None:
            bindings = run_definition(code, enclosing, live_classes, module, above)
            if bind_name:
                bind(namespace, definition.member, bindings[definition.member], undo)

        verb = "defining" if report == "added" else "re-creating"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", run)


def _immutable(value: Any) -> bool:
    if type(value) is tuple:
        return all(_immutable(item) for item in value)
    return type(value) in (int, float, complex, str, bytes, bool, type(None), frozenset)
