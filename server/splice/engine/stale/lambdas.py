"""Lambdas built into module-level containers: patched in place, like any function.

``SCHEDULES = {"exp": lambda i: 0.9 ** i}`` ran at import and left the dict
holding functions. A statement is never re-run, so an edit inside one of its
lambdas used to be only named (``statement-not-run``). When the edit changed
nothing but lambdas' bodies (the statement is the same with each lambda's
body set aside), the live lambdas are found where the text puts them (by
key, or by position) and get their new code in place, as a changed function
does: whoever holds them runs the new body.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from types import CodeType, FunctionType
from typing import Any

from splice.engine.commit.mutations import replace_code
from splice.engine.objects.codeobjects import same_code
from splice.engine.objects.verification import same_value
from splice.engine.outline.definitions import Statement
from splice.engine.plan.steps import Plan, Undo
from splice.engine.result import STATEMENT_SKIP_CODES

_MISSING = object()


def plan_lambdas(plan: Plan) -> list[tuple[str, FunctionType]]:
    """Patch the lambdas of changed module-level containers; (name, live lambda) of each."""
    outline = plan.outline
    if outline is None:
        return []
    candidates = [
        finding
        for finding in plan.skipped
        if finding.code in STATEMENT_SKIP_CODES and finding.qualname is None
    ]
    if not candidates:
        return []
    by_line = {statement.line: statement for statement in outline.statements}
    patched: list[tuple[str, FunctionType]] = []
    for finding in candidates:
        statement = by_line.get(finding.line or 0)
        if statement is None:
            continue
        found = _plan_statement(plan, statement)
        if found is None:
            continue
        plan.skipped.remove(finding)
        patched.extend(found)
    return patched


def _plan_statement(plan: Plan, statement: Statement) -> list[tuple[str, FunctionType]] | None:
    node = statement.node
    names = _targets(node)
    value = getattr(node, "value", None)
    if not names or value is None:
        return None
    shape = _shape(value)
    if shape is None or "λ" not in shape:
        return None
    if plan.diff is not None and not _only_lambdas_changed(plan, names, shape):
        return None
    live = vars(plan.module).get(names[0], _MISSING)
    verify = plan.diff is None  # no baseline: the rest of the statement must match what lives
    lambdas = _located(value, live, plan.filename, verify)
    if lambdas is None:
        return None
    codes = _lambda_codes(plan, node)
    if len(codes) != len(lambdas):
        return None
    pairs = []
    for (function, _), code in zip(lambdas, codes, strict=True):
        if same_code(function.__code__, code):
            continue
        if function.__code__.co_freevars != code.co_freevars:
            return None
        pairs.append((function, code))
    label = names[0]
    if pairs:
        plan.changed.append(label)

        def swap(undo: Undo) -> None:
            for function, code in pairs:
                replace_code(function, code, undo)

        plan.add_step(statement.line, f"patching the lambdas of {label}", swap)
    return [(label, function) for function, _ in pairs]


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _shape(node: ast.expr) -> str | None:
    """The statement's value with each lambda's body set aside (its parameters kept),
    or None unless it is built of literals, lambdas, dicts, lists and tuples only."""
    if isinstance(node, ast.Lambda):
        if any(not _literal(default) for default in node.args.defaults) or any(
            default is not None and not _literal(default) for default in node.args.kw_defaults
        ):
            return None
        return "λ" + ast.dump(node.args)
    if isinstance(node, ast.Dict):
        parts = []
        for key, item in zip(node.keys, node.values, strict=True):
            inner = _shape(item)
            if key is None or not _literal(key) or inner is None:
                return None
            parts.append(f"{ast.dump(key)}:{inner}")
        return "{" + ",".join(parts) + "}"
    if isinstance(node, (ast.List, ast.Tuple)):
        inner_parts = [_shape(element) for element in node.elts]
        if any(part is None for part in inner_parts):
            return None
        return f"{type(node).__name__}[" + ",".join(inner_parts) + "]"  # type: ignore[arg-type]
    return ast.dump(node) if _literal(node) else None


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _only_lambdas_changed(plan: Plan, names: list[str], shape: str) -> bool:
    """With a baseline: the old statement binding the same names has the same shape."""
    assert plan.diff is not None
    for old in plan.diff.removed:
        if old.scope is None and _targets(old.node) == names:
            value = getattr(old.node, "value", None)
            return value is not None and _shape(value) == shape
    return False


def _located(
    node: ast.expr, live: Any, filename: str, verify: bool
) -> list[tuple[FunctionType, ast.Lambda]] | None:
    """The live lambdas where the text puts them, in evaluation order, or None."""
    found: list[tuple[FunctionType, ast.Lambda]] = []
    for expression, value in _pairs(node, live, verify):
        if value is _MISSING:
            return None
        if isinstance(expression, ast.Lambda):
            code = getattr(value, "__code__", None)
            if type(value) is not FunctionType or not isinstance(code, CodeType):
                return None
            if code.co_name != "<lambda>" or code.co_filename != filename:
                return None
            found.append((value, expression))
    return found


def _pairs(node: ast.expr, live: Any, verify: bool) -> Iterator[tuple[ast.expr, Any]]:
    """(expression, the live value it made), lambdas and literals, in evaluation order;
    the value is ``_MISSING`` where the live containers do not match the text."""
    if isinstance(node, ast.Dict):
        if type(live) is not dict or (verify and len(live) != len(node.keys)):
            yield node, _MISSING
            return
        for key, item in zip(node.keys, node.values, strict=True):
            assert key is not None
            yield from _pairs(item, live.get(ast.literal_eval(key), _MISSING), verify)
    elif isinstance(node, (ast.List, ast.Tuple)):
        kind = list if isinstance(node, ast.List) else tuple
        if type(live) is not kind or len(live) < len(node.elts):
            yield node, _MISSING
            return
        if verify and len(live) != len(node.elts):
            yield node, _MISSING
            return
        for index, element in enumerate(node.elts):
            yield from _pairs(element, live[index], verify)
    elif isinstance(node, ast.Lambda):
        yield node, live
    elif verify and not same_value(live, ast.literal_eval(node)):
        yield node, _MISSING


def _lambda_codes(plan: Plan, node: ast.stmt) -> list[CodeType]:
    """The code objects of the statement's lambdas, compiled now, in evaluation order."""
    flags = plan.outline.future_flags if plan.outline is not None else 0
    code = compile(ast.Module(body=[node], type_ignores=[]), plan.filename, "exec", flags, True)
    return [
        constant
        for constant in code.co_consts
        if isinstance(constant, CodeType) and constant.co_name == "<lambda>"
    ]
