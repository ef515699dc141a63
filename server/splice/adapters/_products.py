"""Top-level statements whose product is live: ``app = create_app()``, ``router = APIRouter(...)``.

A changed factory has already run: what it built is bound at module level,
in its own module or in one that imported it. These helpers find such a
statement from the texts the modules run (the patched module's new text,
every other module's baseline, else its file), for adapters that know how to
bring the product up to date, and tell the engine when one did.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from splice.engine.baselines.store import baseline_outline, source_path
from splice.engine.hooks import PatchPlan
from splice.engine.outline.definitions import parse_definitions

_MISSING = object()


@dataclass(frozen=True)
class Product:
    """``target = <call>`` at module level of ``module``, and what ``target`` holds now."""

    module: ModuleType
    filename: str
    line: int
    end_line: int
    target: str
    call: ast.Call
    live: Any

    def where(self) -> str:
        return f"{self.module.__name__}:{self.line}"

    def callee(self) -> Any:
        """What the call calls, looked up as the statement would (without running code)."""
        return callee(self.module, self.call.func)

    def evaluate(self) -> Any:
        """Run the statement's call again (not its assignment) in its module's namespace."""
        code = compile(ast.Expression(self.call), self.filename, "eval", dont_inherit=True)
        return eval(code, vars(self.module))


def products(patch: PatchPlan, callees: set[int], kind: type) -> list[Product]:
    """Module-level ``NAME = callee(...)`` statements whose NAME holds an instance of ``kind``.

    ``callees`` are the ids of the callables; a module is read only when it
    binds an instance of ``kind`` at module level, so a patch pays nothing
    in programs that hold none.
    """
    found = []
    seen: set[int] = set()
    for module in list(sys.modules.values()):
        # __main__ and __mp_main__ may be one module under two names.
        if not issubclass(type(module), ModuleType) or id(module) in seen:
            continue
        seen.add(id(module))
        namespace = vars(module)
        if not any(issubclass(type(value), kind) for value in list(namespace.values())):
            continue
        for node, line, end_line, filename in _statements(patch, module):
            target, call = assigned_call(node)
            if target is None or call is None:
                continue
            live = namespace.get(target, _MISSING)
            if not issubclass(type(live), kind) or id(callee(module, call.func)) not in callees:
                continue
            found.append(Product(module, filename, line, end_line, target, call, live))
    return found


def products_of_statement(patch: PatchPlan, lines: set[int], kind: type) -> list[Product]:
    """The patched module's ``NAME = call(...)`` statements at ``lines`` whose NAME holds a ``kind``."""
    module = patch.module
    found = []
    for node, line, end_line, filename in _statements(patch, module):
        if line not in lines:
            continue
        target, call = assigned_call(node)
        live = vars(module).get(target, _MISSING) if target is not None else _MISSING
        if call is not None and target is not None and issubclass(type(live), kind):
            found.append(Product(module, filename, line, end_line, target, call, live))
    return found


def report_updated(patch: PatchPlan, product: Product) -> None:
    """Tell the engine that ``product``'s statement is brought up to date by this patch.

    The one place an adapter says so: the engine's stale check then does not
    also name the statement as having run old code.
    """
    patch.brings_up_to_date(product.live)


def _statements(patch: PatchPlan, module: ModuleType) -> Iterator[tuple[ast.stmt, int, int, str]]:
    if module is patch.module:
        outline = patch.plan.outline
        filename = patch.plan.filename
        if outline is None:
            try:
                outline = parse_definitions(patch.plan.source, filename)
            except SyntaxError:
                return
    else:
        path = source_path(module)
        if path is None:
            return
        filename = path
        outline = baseline_outline(module.__name__, path)
        if outline is None:
            try:
                with open(path, encoding="utf-8") as stream:
                    outline = parse_definitions(stream.read(), path)
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                return
    for statement in outline.statements:
        yield statement.node, statement.line, statement.end_line, filename


def assigned_call(node: ast.stmt) -> tuple[str | None, ast.Call | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return None, None
    value = node.value
    if isinstance(target, ast.Name) and isinstance(value, ast.Call):
        return target.id, value
    return None, None


def callee(module: ModuleType, expression: ast.expr) -> Any:
    """What a call's ``f`` or ``package.module.f`` names, looked up without running code."""
    if isinstance(expression, ast.Name):
        return vars(module).get(expression.id, _MISSING)
    if isinstance(expression, ast.Attribute):
        owner = callee(module, expression.value)
        if issubclass(type(owner), ModuleType):
            return vars(owner).get(expression.attr, _MISSING)
    return _MISSING
