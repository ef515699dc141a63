"""Which top-level statements a patch may apply, and applying them.

Only two kinds run: imports, and assignments whose value is built from
literals alone. Nothing else at top level is ever re-executed by a patch.
"""

from __future__ import annotations

import ast
from typing import Any

_LITERAL_CONTAINERS = (ast.Tuple, ast.List, ast.Set)
_SAFE_OPERATORS = (
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.LShift,
    ast.RShift,
    ast.BitOr,
    ast.BitAnd,
    ast.BitXor,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    ast.Not,
)
#: Results larger than this are not built from literals by a patch ("x" * 10**9).
_MAX_LITERAL_SIZE = 1_000_000


def is_literal(node: ast.expr | None) -> bool:
    """Whether ``node`` is built from literals only: ``3``, ``60 * 10``, ``("a", -1)``."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, _LITERAL_CONTAINERS):
        return all(is_literal(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is None or is_literal(key) for key in node.keys) and all(
            is_literal(value) for value in node.values
        )
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, _SAFE_OPERATORS) and is_literal(node.operand)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and not _small_power(node):
            return False
        return (
            isinstance(node.op, _SAFE_OPERATORS)
            and is_literal(node.left)
            and is_literal(node.right)
        )
    return False


def _small_power(node: ast.BinOp) -> bool:
    right = node.right
    return isinstance(right, ast.Constant) and isinstance(right.value, int) and right.value <= 64


def literal_targets(statement: ast.stmt) -> list[str] | None:
    """The names a literal assignment binds, or None when it is not one."""
    if (
        isinstance(statement, ast.Assign)
        and is_literal(statement.value)
        and all(isinstance(target, ast.Name) for target in statement.targets)
    ):
        return [target.id for target in statement.targets if isinstance(target, ast.Name)]
    if (
        isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and statement.simple
        and is_literal(statement.value)
    ):
        return [statement.target.id]
    return None


def assigned_names(statement: ast.stmt) -> list[str] | None:
    """The names a plain assignment (``x = ...``, ``x: T = ...``) binds, or None."""
    if isinstance(statement, ast.Assign) and all(
        isinstance(target, ast.Name) for target in statement.targets
    ):
        return [target.id for target in statement.targets if isinstance(target, ast.Name)]
    if (
        isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and statement.simple
        and statement.value is not None
    ):
        return [statement.target.id]
    return None


def literal_value(statement: ast.Assign | ast.AnnAssign, filename: str) -> Any:
    """Evaluate a literal assignment's value; no names are reachable from it."""
    assert statement.value is not None
    expression = ast.Expression(statement.value)
    value = eval(compile(expression, filename, "eval"), {"__builtins__": {}})
    if isinstance(value, (str, bytes, tuple, list)) and len(value) > _MAX_LITERAL_SIZE:
        raise ValueError("the value is too large to be built by a patch")
    return value


def is_future_import(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"


def is_import(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return statement.module != "__future__"
    return isinstance(statement, ast.Import)


def assigns_name(node: ast.stmt, name: str) -> bool:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)


def bound_names(node: ast.stmt) -> set[str]:
    """The names a statement may bind in the scope it runs in.

    Looks inside compound statements but not into the bodies of functions,
    lambdas or classes it defines (their own names count); a ``global``
    declaration inside a function counts, since calling it binds the name.
    """
    names: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(current.name)
            names.update(_global_names(current))
            stack.extend(current.decorator_list)
            continue
        if isinstance(current, ast.Lambda):
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, (ast.Store, ast.Del)):
            names.add(current.id)
        elif isinstance(current, (ast.Import, ast.ImportFrom)):
            for alias in current.names:
                names.add((alias.asname or alias.name).partition(".")[0])
        elif (
            isinstance(current, ast.ExceptHandler)
            and current.name
            or isinstance(current, (ast.MatchAs, ast.MatchStar))
            and current.name
        ):
            names.add(current.name)
        elif isinstance(current, ast.MatchMapping) and current.rest:
            names.add(current.rest)
        stack.extend(ast.iter_child_nodes(current))
    return names


def _global_names(definition: ast.AST) -> set[str]:
    return {
        name
        for child in ast.walk(definition)
        if isinstance(child, (ast.Global, ast.Nonlocal))
        for name in child.names
    }


def star_import_modules(node: ast.stmt) -> list[ast.ImportFrom]:
    """The ``from m import *`` statements in ``node`` (they bind names no text shows)."""
    return [
        child
        for child in ast.walk(node)
        if isinstance(child, ast.ImportFrom) and any(alias.name == "*" for alias in child.names)
    ]
