"""The live planner's classes: header, enum, dataclass fields and class-level literals against the live class."""

from __future__ import annotations

import ast
from typing import Any

from splice.engine.commit.mutations import binder
from splice.engine.hooks.claims import claim_class
from splice.engine.objects.classes import (
    enum_member_names,
    field_statements,
    header_mismatch,
    is_dataclass_type,
    is_enum,
    own_field_names,
)
from splice.engine.objects.evaluation import evaluate_expression
from splice.engine.objects.targets import binding, is_missing, namespace_of
from splice.engine.objects.verification import (
    dataclass_field_call,
    is_dataclass_decorator,
    pure,
    same_member,
    same_value,
    same_values,
    slots,
)
from splice.engine.outline.definitions import Definition, Statement
from splice.engine.outline.statements import assigns_name, literal_targets
from splice.engine.plan.live.base import MISSING, LiveBase


class LiveClasses(LiveBase):
    """Classes compared with the live class their name binds."""

    def plan_class(self, definition: Definition, namespace: Any) -> None:
        bound = binding(namespace, definition.member)
        if is_missing(bound):
            self.plan_missing(definition)
            self.whole.add(definition.qualname)
            return
        if not (isinstance(bound, type) and bound.__qualname__ == definition.qualname):
            if not definition.in_block and not self.bound_after(
                definition.parent, definition.line, definition.member
            ):
                self.unverified(
                    "definition-unverified",
                    f"{definition.qualname}: not patched: the name is bound to a "
                    f"{type(bound).__name__}, not to a class from this definition (a class "
                    "decorator may have replaced it); splice cannot tell what to update",
                    qualname=definition.qualname,
                    line=definition.line,
                )
            self.whole.add(definition.qualname)
            return
        self.check_class(definition, bound)
        if definition.qualname not in self.whole:
            self.checked[definition.qualname] = bound
            node = definition.node
            assert isinstance(node, ast.ClassDef)
            decorators = [d for d in node.decorator_list if not is_dataclass_decorator(d)]
            keywords = [k for k in node.keywords if k.arg != "metaclass"]
            if decorators or keywords:
                self.unverified(
                    "decorator-unverified",
                    f"{definition.qualname}: splice cannot tell whether its class decorators or "
                    "class keywords changed since the module was imported, so it did not re-run "
                    "them; if you changed them, restart to apply that",
                    qualname=definition.qualname,
                    line=definition.line,
                )

    def check_class(self, definition: Definition, live: type) -> None:
        """Refuse what the live class shows cannot be applied; regenerate dataclasses."""
        parent = namespace_of(self.plan.module, definition.parent)
        scope = dict(vars(parent)) if isinstance(parent, type) else None

        def evaluate(expression: ast.expr) -> Any:
            return evaluate_expression(expression, self.plan.module, scope, self.plan.filename)

        part = header_mismatch(definition, live, evaluate)
        if part is not None:
            self.refuse_header(definition, part)
        elif claim_class(self, definition, live):
            self.whole.add(definition.qualname)
            return  # an adapter rebuilds it (a pydantic model, an attrs class) or refused
        elif is_enum(live):
            if enum_member_names(definition) != list(getattr(live, "__members__", {})) or any(
                not same_member(live, statement) for statement in definition.statements
            ):
                self.refuse_enum(definition)
        elif is_dataclass_type(live):
            new_fields = [node.target.id for node in field_statements(definition)]  # type: ignore[union-attr]
            if new_fields != own_field_names(live) or not self.same_field_defaults(
                definition, live
            ):
                self.plan_dataclass(definition, live)
            else:
                self.regenerated.add(definition.qualname)  # fields checked: nothing to do

    def same_field_defaults(self, definition: Definition, live: type) -> bool:
        fields = vars(live)["__dataclass_fields__"]
        for node in field_statements(definition):
            name = node.target.id  # type: ignore[union-attr]
            field = fields.get(name)
            default = getattr(field, "default", MISSING)
            if node.value is None:
                if getattr(type(default), "__name__", "") != "MISSING_TYPE":
                    return False
                continue
            if not pure(node.value):
                if not (isinstance(node.value, ast.Call) and dataclass_field_call(node.value)):
                    return False
                continue  # field(...): its options are compared by regenerating only on change
            try:
                value = evaluate_expression(
                    node.value, self.module, dict(vars(live)), self.plan.filename
                )
            except Exception:
                return False
            if not same_value(value, default):
                return False
        return True

    def plan_class_statements(self, definition: Definition, live: type) -> None:
        """Class-level statements: docstring, literal attributes (in source order)."""
        final: dict[str, tuple[Statement, Any]] = {}
        for statement in definition.statements:
            node = statement.node
            if statement.is_docstring:
                assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                if live.__doc__ != node.value.value:
                    self.plan.add_step(
                        statement.line,
                        f"setting the docstring of {definition.qualname}",
                        binder(live, {"__doc__": node.value.value}),
                    )
                    self.plan.statements_applied.append(statement.line)
                continue
            if definition.qualname in self.regenerated and isinstance(node, ast.AnnAssign):
                continue
            names = literal_targets(node)
            if names is None:
                if assigns_name(node, "__slots__"):
                    self.unverified(
                        "statement-unverified",
                        f"line {statement.line}: splice cannot tell whether __slots__ of "
                        f"{definition.qualname} changed; it was not applied",
                        qualname=definition.qualname,
                        line=statement.line,
                    )
                    continue
                self.statement_unverified(statement, definition.qualname)
                continue
            evaluated, value = self.literal_or_error(statement, line=statement.line)
            if not evaluated:
                continue
            for name in names:
                final[name] = (statement, value)
        for member in self.members().get(definition.qualname, ()):
            final.pop(member, None)
        stale: dict[int, dict[str, Any]] = {}
        for name, (statement, value) in final.items():
            if is_enum(live):
                break  # members were compared by the enum check
            if name == "__slots__":
                if not same_values(tuple(slots(value)), tuple(slots(vars(live).get(name)))):
                    self.error(
                        "slots-changed",
                        f"{definition.qualname}: cannot patch in place: __slots__ changed, and a "
                        "live class's slots are fixed when it is created. Restart the program",
                        qualname=definition.qualname,
                        line=statement.line,
                    )
                continue
            if self.literal_stale(live, name, value, statement, definition.qualname):
                stale.setdefault(statement.line, {})[name] = value
        for line, values in stale.items():
            self.plan.add_step(
                line, f"assigning {definition.qualname}.{', '.join(values)}", binder(live, values)
            )
            self.plan.statements_applied.append(line)
