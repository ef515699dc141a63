"""The baseline planner's statements: imports and literals applied, the rest reported.

A statement that is not a definition never runs behind the user's back;
imports and literal assignments do, in source order. An assignment the new
text no longer has takes its names with it, as a removed ``def`` does; and a
name whose last binding changed (an assignment removed or moved below
another) ends with the value of the one that binds it last now.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from splice.engine.commit.mutations import binder, unbind
from splice.engine.objects.pieces import compile_to_run
from splice.engine.objects.targets import binding, is_missing, namespace_of
from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.diff import Diff
from splice.engine.outline.statements import (
    assigned_names,
    assigns_name,
    bound_names,
    is_future_import,
    is_import,
    literal_targets,
    star_import_modules,
)
from splice.engine.plan.steps import Undo
from splice.engine.plan.swaps import SwapPlanner


class StatementPlanner(SwapPlanner):
    """Statements of a patch planned from the baseline's diff."""

    old: Outline
    old_classes: dict[str, Definition]
    delete_removed: bool

    def plan_statements(self, diff: Diff) -> None:
        for statement in diff.statements:
            self.plan_statement(statement)
        for statement in diff.removed:
            self.plan_removed_assignment(statement)
        applied = {id(statement) for statement in diff.statements}
        if diff.removed or _texts(self.old.statements) != _texts(self.new.statements):
            self.plan_final_bindings(None, self.old.statements, self.new.statements, applied)
        for change in diff.changes:
            old, new = change.old, change.new
            if change.kind != "changed" or old is None or new is None or new.kind != "class":
                continue
            if not self.inside_whole(new.qualname):
                self.plan_final_bindings(new.qualname, old.statements, new.statements, applied)

    def plan_removed_assignment(self, statement: Statement) -> None:
        """An assignment the new text no longer has: like a removed definition, its
        names go too, unless the new text binds them some other way."""
        names = assigned_names(statement.node)
        scope = statement.scope
        if not names or (scope is not None and self.inside_whole(scope)):
            return
        if scope is not None and scope not in self.new_classes:
            return
        if scope in self.regenerated and isinstance(statement.node, ast.AnnAssign):
            return  # a dataclass field: the regeneration removed it
        namespace = namespace_of(self.module, scope)
        if namespace is None:
            return
        remaining = set().union(*(bound for _, bound in self.scope_bindings(scope)))
        if scope is None and any(star_import_modules(s.node) for s in self.new.statements):
            return  # a star import may bind any name
        gone = [
            name
            for name in names
            if name not in remaining
            and name != "__slots__"
            and not is_missing(binding(namespace, name))
        ]
        if not gone:
            return
        where: dict[str, Any] = {"line": statement.line, "qualname": scope}
        if not self.delete_removed:
            self.skip(
                "deletion-skipped",
                f"{', '.join(gone)}: removed from the source but kept in the program "
                "(deleting removed definitions is turned off)",
                severity="info",
                **where,
            )
            return
        self.plan.deleted.extend(f"{scope}.{name}" if scope else name for name in gone)

        def delete(undo: Undo) -> None:
            for name in gone:
                unbind(namespace, name, undo)

        # Steps run in the new text's order; a removal has no line there, so it runs first.
        self.plan.add_step(0, f"deleting {', '.join(gone)}", delete)

    def plan_final_bindings(
        self,
        scope: str | None,
        old: Iterable[Statement],
        new: Iterable[Statement],
        applied: set[int],
    ) -> None:
        """Names whose last binder in ``scope`` changed though that statement did not
        (the one after it removed, or the two swapped): its value is the live one now."""
        namespace = namespace_of(self.module, scope)
        if namespace is None or scope in self.regenerated:
            return
        before = _last_binders(old)
        members = {d.member for d in self.new.ordered if d.parent == scope}
        reported: set[int] = set()
        for name, statement in _last_binders(new).items():
            previous = before.get(name)
            if id(statement) in applied or (
                previous is not None and previous.text == statement.text
            ):
                continue
            if name in members:
                continue  # a definition binds it too: the definitions' steps decide
            if name in (literal_targets(statement.node) or ()):
                evaluated, value = self.literal_or_error(statement, line=statement.line)
                if evaluated:
                    label = f"assigning {name}" if scope is None else f"assigning {scope}.{name}"
                    self.plan.add_step(statement.line, label, binder(namespace, {name: value}))
                    self.plan.statements_applied.append(statement.line)
            elif id(statement) not in reported and not is_import(statement.node):
                reported.add(id(statement))
                self.skip(
                    "statement-not-run",
                    f"line {statement.line}: this statement now binds {name} last (the one "
                    "that did is gone or above it), but it was not run (splice never re-runs "
                    "top-level code behind your back); run it explicitly if you need it",
                    qualname=scope,
                    line=statement.line,
                    column=statement.column + 1,
                    end_line=statement.end_line,
                )

    def check_future_import(self, statement: Statement) -> None:
        """Raise the compiler's error for a ``from __future__`` import below the top.

        Compiled alone it is at the top of its module, so compiling cannot tell.
        """
        body = self.new.tree.body
        index = next(number for number, node in enumerate(body) if node is statement.node)
        for number, node in enumerate(body[:index]):
            docstring = (
                number == 0
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            )
            if not docstring and not is_future_import(node):
                raise SyntaxError(
                    "from __future__ imports must occur at the beginning of the file",
                    (self.plan.filename, statement.line, statement.column + 1, None),
                )

    def plan_statement(self, statement: Statement) -> None:
        scope = statement.scope
        node = statement.node
        # Whether it runs or not, it must compile: a module that does not
        # (``break`` outside a loop) is refused before anything is applied.
        code = compile_to_run(node, self.classes_around(scope), self.plan.filename, self.flags)
        if scope is None and is_future_import(node):
            self.check_future_import(statement)
        if scope is not None and (self.inside_whole(scope) or scope not in self.old_classes):
            return
        if isinstance(node, ast.Pass) or (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and not statement.is_docstring
        ):
            return  # does nothing, whatever it was before
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
            evaluated, value = self.literal_or_error(statement, **where)
            if not evaluated:
                return
            # A name the new text binds again further down ends with that later
            # value, which already runs unless that statement changed too.
            final = [name for name in names if not self.bound_after(scope, statement.line, name)]
            if final:
                label = f"assigning {', '.join(final)}"
                self.plan.add_step(
                    statement.line, label, binder(namespace, dict.fromkeys(final, value))
                )
            self.plan.statements_applied.append(statement.line)
            return
        if scope is None and is_import(node):
            self.add_import(statement, code)
            return
        place = f"in class {scope}" if scope else "top-level"
        self.skip(
            "statement-not-run",
            f"line {statement.line}: this {place} statement changed but was not run (splice "
            "never re-runs top-level code behind your back); run it explicitly if you need it",
            qualname=scope,
            **where,
        )


def _texts(statements: Iterable[Statement]) -> list[str]:
    return [statement.text for statement in statements]


def _last_binders(statements: Iterable[Statement]) -> dict[str, Statement]:
    """Each name a statement binds -> the last statement that binds it."""
    binders: dict[str, Statement] = {}
    for statement in statements:
        if statement.is_docstring:
            continue
        names = literal_targets(statement.node)
        for name in names if names is not None else bound_names(statement.node):
            binders.pop(name, None)
            binders[name] = statement
    return binders
