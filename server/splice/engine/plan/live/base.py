"""The live planner's shared state: the new text's definitions by name, and the literal rule.

Every part of the live planner (functions, classes, module statements) reads
these: which definitions the user selected, which same-name siblings compete
for a name, and whether a literal's live value may be reset.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from splice.engine.objects.evaluation import evaluate_expression
from splice.engine.objects.verification import same_value
from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.statements import literal_targets
from splice.engine.plan.live.deletions import DeletionPlanner
from splice.engine.plan.steps import Plan

MISSING = object()


class LiveBase(DeletionPlanner):
    """What the parts of the live planner share."""

    def __init__(
        self,
        plan: Plan,
        new: Outline,
        only: Sequence[str] | None,
        delete_removed: bool = True,
    ) -> None:
        super().__init__(plan, new, delete_removed)
        self.only = list(only) if only else None
        # Only the selected definitions are checked: the rest of the text is not verified.
        plan.record_baseline = self.only is None
        #: qualname -> its definitions in the new text, in order (usually one).
        self.groups: dict[str, list[Definition]] = {}
        for definition in new.ordered:
            self.groups.setdefault(definition.qualname, []).append(definition)
        #: qualname -> id of a live function -> the definition it came from.
        self.owners: dict[str, dict[int, Definition]] = {}
        #: Live classes checked member by member (not rebuilt, refused or added).
        self.checked: dict[str, type] = {}
        self._members: dict[str | None, list[str]] | None = None

    def selected(self, qualname: str) -> bool:
        return self.only is None or any(
            qualname == name or qualname.startswith(name + ".") for name in self.only
        )

    def addable(self, definition: Definition) -> bool:
        """Whether a definition the module lacks is new (not an untaken branch's).

        Inside a block it may be either, unless the user named it and no other
        definition of that name competes for the branch.
        """
        if not definition.in_block:
            return True
        named = self.only is not None and definition.qualname in self.only
        return named and len(self.groups[definition.qualname]) == 1

    def plan_missing(self, definition: Definition) -> None:
        """A definition whose name the module lacks: new, or in a branch not taken."""
        if self.addable(definition):
            self.plan_run(definition, "added")
        elif definition is self.groups[definition.qualname][0]:
            self.unverified(
                "definition-unverified",
                f"{definition.qualname}: not defined: it is inside a block, and splice cannot "
                "tell a definition added to the block from one in a branch that did not run; "
                "reload it by name (or run the block) if it is new",
                qualname=definition.qualname,
                line=definition.line,
            )

    def evaluator(self, namespace: Any, line: int) -> Any:
        scopes: list[dict[str, Any]] = []

        def evaluate(expression: ast.expr) -> Any:
            if not scopes:  # built on first use: most definitions have no decorators
                if isinstance(namespace, type):
                    scopes.append(dict(vars(namespace)))
                else:
                    scopes.append(dict(self.overlay_at(line)))
            return evaluate_expression(expression, self.module, scopes[0], self.plan.filename)

        return evaluate

    def plan_rebind(self, definition: Definition) -> None:
        """Re-run a definition (with every same-name sibling, in order: a property's
        setter must see its getter)."""
        group = self.groups[definition.qualname]
        if definition.qualname in self.plan.rebound:
            return
        for member in group if len(group) > 1 and not definition.in_block else [definition]:
            self.plan_run(member, "rebound")
        self.plan.rebound[:] = dict.fromkeys(self.plan.rebound)
        self.whole.add(definition.qualname)

    def literal_stale(
        self, namespace: Any, name: str, value: Any, statement: Statement, scope: str | None
    ) -> bool:
        """Whether a literal's name must be assigned its new value: only when it is missing.

        A live value that differs from the text's may be an edit made before
        splice started, or a value the program set since (a flag, a counter, a
        list it appends to); nothing tells them apart, so splice never resets
        it: it says so, and running the line applies the text's value.
        """
        current = vars(namespace).get(name, MISSING)
        if current is MISSING:
            return True
        if type(current) is type(value) and same_value(current, value):
            return False
        if scope is None and self.used_after(name, statement.line):
            return False  # a later statement (itself reported) explains the difference
        where = f"{scope}.{name}" if scope else name
        self.unverified(
            "statement-unverified",
            f"line {statement.line}: {where} is {_short(current)} in the program but "
            f"{_short(value)} in the text; splice cannot tell an edit made before it started "
            "from a value the program set since, so it kept the program's; run this statement "
            "to apply the text's",
            qualname=scope,
            line=statement.line,
        )
        return False

    def used_after(self, name: str, line: int) -> bool:
        """Whether a module-level statement below ``line`` reads ``name`` (``events.append``)."""
        return any(
            isinstance(node, ast.Name) and node.id == name
            for statement in self.new.statements
            if statement.line > line and not literal_targets(statement.node)
            for node in ast.walk(statement.node)
        )

    def statement_unverified(self, statement: Statement, scope: str | None) -> None:
        node = statement.node
        if isinstance(node, ast.Pass) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            return  # does nothing, whatever it was before
        place = f"in class {scope}" if scope else "top-level"
        self.unverified(
            "statement-unverified",
            f"line {statement.line}: splice cannot tell whether this {place} statement "
            "changed since the module was imported, and it never re-runs such code behind "
            "your back; run it explicitly if it changed",
            qualname=scope,
            line=statement.line,
            column=statement.column + 1,
            end_line=statement.end_line,
        )

    def members(self) -> dict[str | None, list[str]]:
        """Each scope's definitions in the new text, by the key they bind."""
        if self._members is None:
            self._members = {}
            for definition in self.new.ordered:
                self._members.setdefault(definition.parent, []).append(definition.member)
        return self._members


def _short(value: Any) -> str:
    """A value to show, without running the program's code (no user ``__repr__``)."""
    if type(value) in (int, float, complex, str, bytes, bool, type(None)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    try:
        return f"a {type(value).__name__} of {len(value)}"
    except Exception:
        return f"a {type(value).__name__}"
