"""Checking a live object against a definition, when there is no baseline to diff.

Without the text a module was imported from, each part of a new definition
is compared with what the live object shows: its defaults, annotations,
docstring and the wrappers its decorators left. Only expressions that cannot
run user code are evaluated (``pure``); anything else is reported as not
verifiable, never guessed.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import typing
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import Any

from splice.engine.outline.definitions import Definition, Statement
from splice.engine.outline.statements import literal_targets, literal_value

_ABSENT = object()


def pure(node: ast.expr | None) -> bool:
    """Whether evaluating ``node`` only reads names and builds values (no calls)."""
    if node is None:
        return True
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return pure(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(pure(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(pure(key) for key in node.keys) and all(pure(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return pure(node.operand)
    if isinstance(node, ast.BinOp):
        # ``int | None`` and small arithmetic; a huge power is not worth it.
        return not isinstance(node.op, ast.Pow) and pure(node.left) and pure(node.right)
    if isinstance(node, ast.Subscript):
        return pure(node.value) and pure(node.slice)
    return False


def same_value(first: Any, second: Any) -> bool:
    """Whether two values would make a function behave the same (identity, or equal
    values of one type)."""
    if first is second:
        return True
    if type(first) is not type(second) or isinstance(first, FunctionType):
        return False
    try:
        return bool(first == second)
    except Exception:  # a user's __eq__ may raise: then they are not known to be equal
        return False


def same_values(first: Any, second: Any) -> bool:
    if isinstance(first, tuple) and isinstance(second, tuple):
        return len(first) == len(second) and all(map(same_value, first, second))
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(
            same_value(first[key], second[key]) for key in first
        )
    return same_value(first, second)


def is_overload(decorators: list[ast.expr], evaluate: Callable[[ast.expr], Any]) -> bool:
    for decorator in decorators:
        if pure(decorator):
            try:
                if evaluate(decorator) is typing.overload:
                    return True
            except Exception:
                continue
    return False


def unmangled(member: str, prefix: str) -> str:
    """``_C__x`` in class ``C`` is the function ``__x``."""
    owner = prefix[:-1].rpartition(".")[2].lstrip("_")
    mangled = f"_{owner}__"
    if owner and member.startswith(mangled):
        return member[len(mangled) - 2 :]
    return member


def property_accessors(group: list[Definition]) -> set[str] | None:
    """Which accessors a property's definitions give it, or None if not plain ones."""
    accessors: set[str] = set()
    for definition in group:
        decorators = definition.node.decorator_list
        if definition.in_block or len(decorators) != 1:
            return None
        [decorator] = decorators
        if isinstance(decorator, ast.Name) and decorator.id == "property":
            accessors = {"fget"}
        elif isinstance(decorator, ast.Attribute) and decorator.attr in _ACCESSORS:
            accessors.add(_ACCESSORS[decorator.attr])
        else:
            return None
    return accessors


_ACCESSORS = {"getter": "fget", "setter": "fset", "deleter": "fdel"}


def slots(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value) if value is not None else []


def is_dataclass_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "dataclass"


def dataclass_field_call(node: ast.Call) -> bool:
    target = node.func
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "field"


def same_member(live: type, statement: Statement) -> bool:
    """Whether an enum's literal member has the live member's value."""
    node = statement.node
    names = literal_targets(node)
    if not names or statement.is_docstring:
        return True
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    try:
        value = literal_value(node, "<enum>")
    except Exception:
        return True
    members = getattr(live, "__members__", {})
    return all(name not in members or same_value(members[name].value, value) for name in names)


def import_current(node: ast.Import | ast.ImportFrom, module: ModuleType) -> bool:
    """Whether every name the import binds is already bound to what it would bind."""
    namespace = vars(module)
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                target = sys.modules.get(alias.name)
                name = alias.asname
            else:
                name = alias.name.partition(".")[0]
                target = sys.modules.get(name)
                if alias.name not in sys.modules:
                    return False  # the submodule is not imported yet
            if target is None or namespace.get(name, _ABSENT) is not target:
                return False
        return True
    try:
        source_name = importlib.util.resolve_name(
            "." * node.level + (node.module or ""), module.__package__ or None
        )
    except (ImportError, ValueError):
        return False
    source = sys.modules.get(source_name)
    if source is None:
        return False
    for alias in node.names:
        if alias.name == "*":
            public = getattr(source, "__all__", None) or [
                n for n in vars(source) if not n.startswith("_")
            ]
            pairs = [(n, n) for n in public]
        else:
            pairs = [(alias.name, alias.asname or alias.name)]
        for attribute, name in pairs:
            value = vars(source).get(attribute, _ABSENT)
            if value is _ABSENT:
                value = sys.modules.get(f"{source_name}.{attribute}", _ABSENT)
            if value is _ABSENT or namespace.get(name, _ABSENT) is not value:
                return False
    return True
