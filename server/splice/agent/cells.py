"""Notebook cells that update in place: IPython's side of ``splice.engine.cells``.

``CellTransformer`` is an IPython AST transformer. It wraps each run of
consecutive top-level definitions of a cell (names the cell defines once) in

    if not __import__("splice.agent.cells", ...).update_definitions((3, 9)):
        def f(x): ...                       # the cell's own statements, untouched
        class Model: ...
        __import__("splice.agent.cells", ...).remember_definitions((3, 9))

so the decision is taken where the definitions stand, after the statements
above them ran (a default or decorator sees what the cell set up before it).
``update_definitions`` runs in the cell's own frame: it reads the file name
IPython compiled the cell under from that frame, the cell's text from
``linecache`` (IPython puts it there under that name) and the namespace from
its globals, and asks the engine to update the definitions that earlier
cells made. True: they were updated in place (identity kept), and the body
is skipped. False: the body runs them as Python would, then records what
they made; when the engine refused (a rude edit), a note on the cell's
stderr says why and that the names were rebound.
"""

from __future__ import annotations
import __future__

import ast
import functools
import linecache
import operator
import sys
import weakref
from collections import Counter
from types import FrameType, ModuleType
from typing import Any

from splice.engine.result import PatchResult
from splice.logs import get_logger

logger = get_logger(__name__)

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: Every ``from __future__`` feature's compiler flag: a cell's code carries them in co_flags.
_FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)
)

#: ``%splice cells on|off``: off, cells rebind names as IPython does.
enabled = True
#: The shells' user modules (IPython puts its own in ``sys.modules``; an embedded shell may not).
_modules: weakref.WeakSet[ModuleType] = weakref.WeakSet()


def add_module(module: ModuleType) -> None:
    """Let cells that run in ``module``'s namespace update in place."""
    _modules.add(module)


class CellTransformer(ast.NodeTransformer):
    """Wraps a cell's runs of top-level definitions so they update in place."""

    def visit(self, node: ast.AST) -> Any:
        if not isinstance(node, ast.Module):
            return node
        try:
            return wrap_definitions(node)
        except Exception:  # IPython drops a transformer that raises: leave the cell as it is
            logger.debug("could not prepare a cell for updates in place", exc_info=True)
            return node


def wrap_definitions(tree: ast.Module) -> ast.Module:
    """``tree`` with each run of consecutive top-level definitions wrapped (above)."""
    counts = Counter(node.name for node in tree.body if isinstance(node, _DEFINITIONS))
    body: list[ast.stmt] = []
    run: list[ast.stmt] = []
    for node in [*tree.body, None]:
        if isinstance(node, _DEFINITIONS) and counts[node.name] == 1:
            run.append(node)
            continue
        if run:
            body.append(_wrapped(run))
            run = []
        if node is not None:
            body.append(node)
    tree.body = body
    return tree


def _wrapped(run: list[ast.stmt]) -> ast.If:
    lines = tuple(_first_line(node) for node in run)
    first, last = run[0], run[-1]
    remember = ast.Expr(_call("remember_definitions", lines))
    end = last.end_lineno or last.lineno
    remember.lineno, remember.col_offset = end, 0
    remember.end_lineno, remember.end_col_offset = end, 0
    test = ast.UnaryOp(ast.Not(), _call("update_definitions", lines))
    wrapper = ast.If(test=test, body=[*run, remember], orelse=[])
    wrapper.lineno, wrapper.col_offset = lines[0], first.col_offset
    wrapper.end_lineno, wrapper.end_col_offset = end, 0
    return ast.fix_missing_locations(wrapper)


def _call(function: str, lines: tuple[int, ...]) -> ast.Call:
    # __import__, not a name in the user's namespace: %reset or a user's own
    # variable of that name cannot break it.
    module = ast.Call(
        ast.Name("__import__", ast.Load()),
        [ast.Constant(__name__), ast.Constant(None), ast.Constant(None)],
        [ast.keyword("fromlist", ast.Tuple([ast.Constant(function)], ast.Load()))],
    )
    return ast.Call(
        ast.Attribute(module, function, ast.Load()),
        [ast.Tuple([ast.Constant(line) for line in lines], ast.Load())],
        [],
    )


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def update_definitions(lines: tuple[int, ...]) -> bool:
    """Called by a wrapped cell: True when its definitions at ``lines`` were updated in place."""
    if not enabled:
        return False
    cell = _cell(sys._getframe(1))
    if cell is None:
        return False
    module, source, filename, flags = cell
    from splice.engine.cells import update_definitions as update

    try:
        result = update(module, source, filename, lines, flags=flags)
    except Exception:  # never fail the user's cell over splice: it runs as usual
        logger.debug("could not update a cell's definitions", exc_info=True)
        return False
    if result is None:
        return False
    _note(result)
    return result.ok


def remember_definitions(lines: tuple[int, ...]) -> None:
    """Called by a wrapped cell right after its definitions at ``lines`` ran as usual.

    Also while cells are off: once they are on again, what was defined
    meanwhile updates in place.
    """
    cell = _cell(sys._getframe(1))
    if cell is None:
        return
    module, source, filename, _ = cell
    from splice.engine.cells import remember_definitions as remember

    try:
        remember(module, source, filename, lines)
    except Exception:
        logger.debug("could not record a cell's definitions", exc_info=True)


def _cell(frame: FrameType) -> tuple[ModuleType, str, str, int] | None:
    """The cell's module, text, file name and future flags, read from its running frame.

    None when the frame is not a cell IPython ran and cached in the module
    it runs in (a ``%%time`` body compiled under another name, say).
    """
    namespace = frame.f_globals
    if frame.f_locals is not namespace:
        return None
    candidates = [sys.modules.get(str(namespace.get("__name__"))), *_modules]
    module = next((m for m in candidates if m is not None and vars(m) is namespace), None)
    if module is None:
        return None
    filename = frame.f_code.co_filename
    entry = linecache.cache.get(filename)
    if entry is None or len(entry) != 4:
        return None
    return module, "".join(entry[2]), filename, frame.f_code.co_flags & _FUTURE_FLAGS


def _note(result: PatchResult) -> None:
    """Say on the cell's stderr what the user would not see otherwise."""
    warnings = [f for f in result.skipped if f.severity == "warning" and f.code != "held-back"]
    for finding in [*result.errors, *warnings]:
        print(f"splice: {finding.message}", file=sys.stderr)
    if result.ok and result.rebound:
        print(
            f"splice: {', '.join(result.rebound)} made anew (its decorators, or whether it is "
            "async or a generator, changed): objects made before keep the old one",
            file=sys.stderr,
        )
    if not result.ok:
        held = [f for f in result.skipped if f.code == "held-back"]
        refused = [f.qualname for f in [*result.errors, *held] if f.qualname]
        names = ", ".join(dict.fromkeys(name.partition(".")[0] for name in refused)) or "them"
        print(
            f"splice: so this cell defines {names} anew, as IPython does: objects made "
            "before (instances, callbacks, threads) keep the old definitions",
            file=sys.stderr,
        )


__all__ = ["CellTransformer", "add_module", "enabled", "remember_definitions", "update_definitions"]
