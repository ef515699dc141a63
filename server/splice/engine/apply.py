"""Apply a module's new source to the live module, all or nothing.

``patch_module`` works in two phases. *Planning* (``splice.engine.plan``)
parses the new text once, diffs it against the baseline, compiles only what
changed, finds the live objects, and decides every refusal, all without
touching live state. *Committing* runs the planned steps in source order,
recording an undo action for each mutation, and undoes them in reverse if any
step raises. Only then does the baseline advance.
"""

from __future__ import annotations

import ast
import gc
import importlib.util
import linecache
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from splice.engine.baseline import (
    baseline_source,
    remember_baseline,
    reset_baseline_lock,
    source_path,
)
from splice.engine.definitions import outline_tree, source_lines_with_ends
from splice.engine.plan import Plan, Step, code_filename
from splice.engine.planning import build_plan
from splice.engine.result import Finding, PatchResult
from splice.errors import UnknownModuleError

logger = logging.getLogger(__name__)

#: Held while planning and committing: one patch at a time per process.
PATCH_LOCK = threading.RLock()
#: While committing, ask the interpreter not to switch threads, so no other
#: thread runs in the middle of a patch (best effort: I/O still releases the GIL).
#: A commit takes microseconds to a few milliseconds; this only has to outlast it.
_COMMIT_SWITCH_INTERVAL = 0.05


def patch_module(
    module: ModuleType | str,
    new_source: str,
    only: Sequence[str] | None = None,
    *,
    dry_run: bool = False,
    delete_removed: bool = True,
) -> PatchResult:
    """Make the live ``module`` run ``new_source``, definition by definition.

    ``only`` restricts the patch to those qualified names (and what they
    contain); nothing is deleted then. ``dry_run`` plans and reports without
    changing anything. Raises ``UnknownModuleError`` for a module that is not
    loaded or has no source file; every other problem is in the result.
    """
    started = time.perf_counter()
    live = resolve_module(module)
    if not isinstance(new_source, str):
        raise TypeError(f"new_source must be str, not {type(new_source).__name__}")
    with PATCH_LOCK, _collection_paused():
        plan = build_plan(live, new_source, only, delete_removed=delete_removed)
        if plan.errors or dry_run:
            return plan.result(started, dry_run=dry_run)
        failure = _commit(plan)
        if failure is not None:
            return plan.failed(started, *failure)
        _after_commit(live, plan)
    return plan.result(started)


def run_statement(module: ModuleType | str, line: int, source: str | None = None) -> PatchResult:
    """Run, explicitly, the top-level statement at ``line`` of ``source``.

    ``source`` defaults to the baseline. This is the way out for a statement
    a patch skipped; it runs exactly that statement, in the module's namespace.
    """
    started = time.perf_counter()
    live = resolve_module(module)
    filename = code_filename(live)
    name = live.__name__
    with PATCH_LOCK:
        text = source if source is not None else baseline_source(name)
        if text is None:
            text = _read(filename)
        try:
            tree = ast.parse(text, filename)
        except SyntaxError as error:
            finding = Finding(
                "syntax-error",
                f"invalid syntax: {error.msg}",
                line=error.lineno,
                column=error.offset,
            )
            return _statement_result(live, filename, started, errors=(finding,))
        statement = next(
            (node for node in tree.body if node.lineno <= line <= (node.end_lineno or node.lineno)),
            None,
        )
        if statement is None:
            finding = Finding("no-statement", f"no top-level statement at line {line}", line=line)
            return _statement_result(live, filename, started, errors=(finding,))
        code = compile(
            ast.Module(body=[statement], type_ignores=[]),
            filename,
            "exec",
            outline_tree(text, tree).future_flags,
            dont_inherit=True,
        )
        try:
            exec(code, live.__dict__)
        except BaseException as error:  # the user's statement raised: report, don't crash
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            finding = Finding(
                "statement-failed",
                f"the statement raised {type(error).__name__}: {error}",
                line=statement.lineno,
                column=statement.col_offset + 1,
                end_line=statement.end_lineno,
            )
            return _statement_result(live, filename, started, errors=(finding,))
    return _statement_result(live, filename, started, applied=(statement.lineno,))


def reset_after_fork() -> None:
    """In a forked child: locks another thread held at the fork are not ours to wait for."""
    global PATCH_LOCK
    PATCH_LOCK = threading.RLock()
    reset_baseline_lock()


def resolve_module(module: ModuleType | str) -> ModuleType:
    if isinstance(module, str):
        live = sys.modules.get(module)
        if live is None:
            raise UnknownModuleError(f"no module named {module!r} is loaded in this process")
    elif isinstance(module, ModuleType):
        live = module
    else:
        raise TypeError(f"module must be a module or its name, not {type(module).__name__}")
    if source_path(live) is None:
        raise UnknownModuleError(f"module {live.__name__!r} has no Python source file")
    return live


def _commit(plan: Plan) -> tuple[Step, BaseException] | None:
    undo: list[Callable[[], None]] = []
    with _no_thread_switches():
        step: Step | None = None
        try:
            for step in plan.steps:
                step.action(undo)
        except BaseException as error:
            for action in reversed(undo):
                try:
                    action()
                except Exception:  # keep undoing: the rest must still be restored
                    logger.exception("could not undo a step of a failed patch")
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            assert step is not None
            return step, error
    return None


def _after_commit(module: ModuleType, plan: Plan) -> None:
    for cache in plan.caches:
        cache.cache_clear()
    lines = source_lines_with_ends(plan.source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    # An mtime of None keeps linecache.checkcache from reloading the file,
    # which may hold other text than what now runs.
    linecache.cache[plan.filename] = (len(plan.source), None, lines, plan.filename)
    remember_baseline(module.__name__, plan.source, plan.outline)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection during a patch.

    A patch allocates many objects that form no cycles (syntax trees, the
    outline), and each collection they trigger costs more the larger the
    process's heap is; a full one walks all of it. Collections resume after.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def _no_thread_switches() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(max(previous, _COMMIT_SWITCH_INTERVAL))
    # A thread already waiting for the GIL was promised a switch under the old
    # interval: let it have it now, so it cannot preempt the commit half way.
    time.sleep(0)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _read(filename: str) -> str:
    with open(filename, "rb") as file:
        return importlib.util.decode_source(file.read())


def _statement_result(
    module: ModuleType,
    filename: str,
    started: float,
    errors: tuple[Finding, ...] = (),
    applied: tuple[int, ...] = (),
) -> PatchResult:
    return PatchResult(
        ok=not errors,
        module=module.__name__,
        file=filename,
        errors=errors,
        statements_applied=applied,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


__all__ = ["PATCH_LOCK", "patch_module", "reset_after_fork", "resolve_module", "run_statement"]
