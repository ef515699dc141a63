"""Planning for a module with no baseline, by comparing with the live objects."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from types import CodeType, FunctionType
from typing import Any

from splice.engine.classes import (
    enum_member_names,
    field_statements,
    header_mismatch,
    is_dataclass_type,
    is_enum,
    own_field_names,
)
from splice.engine.codeobjects import code_kind, find_code, same_code
from splice.engine.definitions import Definition, Outline, Statement
from splice.engine.evaluation import evaluate_expression
from splice.engine.mutations import binder
from splice.engine.plan import Plan
from splice.engine.planner import Planner
from splice.engine.result import Finding
from splice.engine.statements import literal_targets, literal_value
from splice.engine.targets import binding, is_missing, live_functions, namespace_of

_MISSING = object()


class LivePlanner(Planner):
    """Plans a patch for a module with no baseline, by asking the live objects.

    The module was imported before splice was watching, so its file may
    already hold the new text: compare the new code with the code the live
    functions run instead. Deletions cannot be told from dynamic definitions
    here, so nothing is deleted; statements other than literals are left alone.
    """

    def __init__(self, plan: Plan, new: Outline, only: Sequence[str] | None) -> None:
        super().__init__(plan, new)
        self.only = list(only) if only else None
        #: qualname -> its definitions in the new text, in order (usually one).
        self.groups: dict[str, list[Definition]] = {}
        for definition in new.ordered:
            self.groups.setdefault(definition.qualname, []).append(definition)
        #: qualname -> id of a live function -> the definition it came from.
        self.owners: dict[str, dict[int, Definition]] = {}

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

    def run(self) -> None:
        plan, module = self.plan, self.plan.module
        if self.only:
            known = self.new.definitions
            for name in self.only:
                if name not in known:
                    plan.errors.append(
                        Finding(
                            "unknown-definition",
                            f"{name}: no such definition in the new source; nothing was changed",
                            qualname=name,
                        )
                    )
            if plan.errors:
                return
        module_code = compile(
            self.new.tree, plan.filename, "exec", self.new.future_flags, dont_inherit=True
        )
        for definition in self.new.ordered:
            if not self.selected(definition.qualname) or self.inside_whole(definition.qualname):
                continue
            namespace = namespace_of(module, definition.parent)
            if namespace is None:
                continue
            bound = binding(namespace, definition.member)
            if definition.kind == "class":
                if is_missing(bound) and self.addable(definition):
                    self.plan_run(definition, "added")
                    self.whole.add(definition.qualname)
                elif isinstance(bound, type) and bound.__qualname__ == definition.qualname:
                    self.check_class(definition, bound)
                continue
            functions = [
                function
                for function in live_functions(bound, definition.name, None)
                if function.__code__.co_filename == plan.filename
            ]
            if not functions:
                if is_missing(bound) and self.addable(definition):
                    self.plan_run(definition, "added")
                continue
            path = [*(definition.parent.split(".") if definition.parent else []), definition.name]
            code = find_code(module_code, path, definition.line)
            if code is None:
                continue
            if len(self.groups[definition.qualname]) > 1:
                owners = self.owners_of(definition, functions, module_code, path)
                functions = [f for f in functions if owners.get(id(f)) is definition]
                if not functions:
                    continue
            self.plan_function(definition, functions, code, namespace)
        if self.only is None:
            for statement in self.new.statements:
                self.plan_literal(statement)

    def check_class(self, definition: Definition, live: type) -> None:
        """Refuse what the live class shows cannot be applied; regenerate dataclasses."""
        parent = namespace_of(self.plan.module, definition.parent)
        scope = dict(vars(parent)) if isinstance(parent, type) else None

        def evaluate(expression: ast.expr) -> Any:
            return evaluate_expression(expression, self.plan.module, scope, self.plan.filename)

        part = header_mismatch(definition, live, evaluate)
        if part is not None:
            self.refuse_header(definition, part)
        elif is_enum(live):
            if enum_member_names(definition) != list(getattr(live, "__members__", {})):
                self.refuse_enum(definition)
        elif is_dataclass_type(live):
            new_fields = [node.target.id for node in field_statements(definition)]  # type: ignore[union-attr]
            if new_fields != own_field_names(live):
                self.plan_dataclass(definition, live)

    def owners_of(
        self,
        definition: Definition,
        functions: list[FunctionType],
        module_code: CodeType,
        path: list[str],
    ) -> dict[int, Definition]:
        """Which of several same-named definitions each live function came from.

        Live line numbers may be stale, so identical code decides first, then
        the nearest line (a property's getter and setter, an if/else pair).
        """
        owners = self.owners.setdefault(definition.qualname, {})
        group = self.groups[definition.qualname]
        codes = [find_code(module_code, path, candidate.line) for candidate in group]
        for function in functions:
            if id(function) in owners:
                continue
            same = [
                candidate
                for candidate, code in zip(group, codes, strict=True)
                if code is not None and same_code(function.__code__, code)
            ]
            line = function.__code__.co_firstlineno
            owners[id(function)] = min(
                same or group, key=lambda candidate: abs(candidate.line - line)
            )
        return owners

    def plan_function(
        self, definition: Definition, functions: list[FunctionType], code: CodeType, namespace: Any
    ) -> None:
        live_class = namespace if isinstance(namespace, type) else None
        if any(code_kind(function.__code__) != code_kind(code) for function in functions):
            self.plan_run(definition, "rebound")
            return
        changed = [f for f in functions if not same_code(f.__code__, code)]
        moved = [
            f
            for f in functions
            if f not in changed and f.__code__.co_firstlineno != code.co_firstlineno
        ]
        fitted = []
        for function in changed + moved:
            new_code = self.fit_closure(function, code, definition, live_class)
            if new_code is None:
                return
            fitted.append((function, new_code))
        if not fitted:
            return
        # Without a diff, a changed function may have changed in any part.
        self.plan_swap(
            definition, namespace, fitted, changed, signature=bool(changed), docstring=bool(changed)
        )

    def plan_literal(self, statement: Statement) -> None:
        names = literal_targets(statement.node)
        if not names:
            return
        assert isinstance(statement.node, (ast.Assign, ast.AnnAssign))
        try:
            value = literal_value(statement.node, self.plan.filename)
        except Exception:
            return
        module = self.plan.module
        stale = {name: value for name in names if vars(module).get(name, _MISSING) != value}
        if stale:
            self.plan.add_step(
                statement.line, f"assigning {', '.join(stale)}", binder(module, stale)
            )
            self.plan.statements_applied.append(statement.line)
