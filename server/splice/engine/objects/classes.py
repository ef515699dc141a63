"""Class bodies that cannot simply change in place: dataclasses, enums, slots."""

from __future__ import annotations

import ast
import dataclasses
import enum
from collections.abc import Callable
from typing import Any

from splice.engine.outline.definitions import Definition
from splice.engine.outline.statements import is_literal, literal_value

#: What ``dataclasses.dataclass`` generates; removed before regenerating unless
#: the new class body defines it itself.
_GENERATED = (
    "__init__",
    "__repr__",
    "__eq__",
    "__hash__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__setattr__",
    "__delattr__",
    "__match_args__",
    "__dataclass_fields__",
    "__dataclass_params__",
    "__getstate__",
    "__setstate__",
)
_MISSING = object()


def is_enum(cls: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, enum.Enum)


def is_dataclass_type(cls: type) -> bool:
    return isinstance(cls, type) and "__dataclass_fields__" in vars(cls)


def field_statements(definition: Definition) -> list[ast.AnnAssign]:
    return [
        statement.node
        for statement in definition.statements
        if isinstance(statement.node, ast.AnnAssign) and isinstance(statement.node.target, ast.Name)
    ]


def fields_changed(old: Definition, new: Definition) -> bool:
    old_fields = [ast.dump(node) for node in field_statements(old)]
    return old_fields != [ast.dump(node) for node in field_statements(new)]


def dataclass_options(definition: Definition) -> dict[str, Any] | None:
    """The literal keyword arguments of the ``@dataclass`` decorator, or None if absent."""
    for decorator in definition.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = (
            target.id
            if isinstance(target, ast.Name)
            else target.attr
            if isinstance(target, ast.Attribute)
            else None
        )
        if name != "dataclass":
            continue
        if not isinstance(decorator, ast.Call):
            return {}
        options = {}
        for keyword in decorator.keywords:
            if keyword.arg is None or not is_literal(keyword.value):
                raise ValueError("its @dataclass arguments are not literals")
            options[keyword.arg] = ast.literal_eval(keyword.value)
        return options
    return None


class DataclassRegeneration:
    """Prepare, then commit, new dataclass machinery on a live class."""

    def __init__(
        self,
        cls: type,
        new: Definition,
        options: dict[str, Any],
        evaluate: Callable[[ast.expr], Any],
        annotation: Callable[[ast.expr], Any],
        filename: str,
    ) -> None:
        self.cls = cls
        self.options = options
        user_defined = {
            child.name
            for child in new.node.body
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self.generated = [name for name in _GENERATED if name not in user_defined]
        self.annotations: dict[str, Any] = {}
        self.defaults: dict[str, Any] = {}
        for node in field_statements(new):
            assert isinstance(node.target, ast.Name)
            name = node.target.id
            self.annotations[name] = annotation(node.annotation)
            if node.value is not None:
                self.defaults[name] = (
                    literal_value(node, filename)
                    if is_literal(node.value)
                    else evaluate(node.value)
                )
        # Old defaults of fields that are gone, or that lost their default,
        # would otherwise be read by dataclass as defaults again.
        self.removed = [
            name
            for name in vars(cls).get("__annotations__", {})
            if name not in self.defaults and name in vars(cls)
        ]

    def commit(self, undo: list[Callable[[], None]]) -> None:
        cls = self.cls
        before = dict(vars(cls))

        def restore() -> None:
            for name in list(vars(cls)):
                if name not in before and name not in ("__dict__", "__weakref__"):
                    delattr(cls, name)
            for name, value in before.items():
                if name in ("__dict__", "__weakref__"):
                    continue
                if vars(cls).get(name, _MISSING) is not value:
                    setattr(cls, name, value)

        undo.append(restore)
        for name in self.generated + self.removed:
            if name in vars(cls):
                delattr(cls, name)
        for name, value in self.defaults.items():
            setattr(cls, name, value)
        cls.__annotations__ = dict(self.annotations)
        dataclasses.dataclass(cls, **self.options)


def header_mismatch(
    definition: Definition, live: type, evaluate: Callable[[ast.expr], Any]
) -> str | None:
    """``"bases"`` or ``"keywords"`` when ``live`` was plainly made from another header.

    For modules without a baseline. Only plain names are evaluated (no calls),
    and classes are compared by module and qualname, so a base re-created by
    a reload still counts as the same.
    """
    node = definition.node
    assert isinstance(node, ast.ClassDef)
    if all(_is_plain_name(base) for base in node.bases):
        try:
            bases = tuple(evaluate(base) for base in node.bases) or (object,)
        except Exception:
            bases = ()
        plain = bool(bases) and all(isinstance(base, type) for base in bases)
        if plain and [_identity(b) for b in bases] != [_identity(b) for b in live.__bases__]:
            return "bases"
    for keyword in node.keywords:
        if keyword.arg == "metaclass" and _is_plain_name(keyword.value):
            try:
                metaclass = evaluate(keyword.value)
            except Exception:
                continue
            if _identity(metaclass) != _identity(type(live)):
                return "keywords"
    return None


def enum_member_names(definition: Definition) -> list[str]:
    """The names a class body binds by plain assignment, as an enum's members would be."""
    names = []
    for statement in definition.statements:
        node = statement.node
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                names.append(target.id)
    return names


def own_field_names(cls: type) -> list[str]:
    return list(vars(cls).get("__annotations__", {}))


def _is_plain_name(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _identity(value: Any) -> tuple[str, str]:
    return (getattr(value, "__module__", ""), getattr(value, "__qualname__", repr(value)))
