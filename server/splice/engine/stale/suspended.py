"""Coroutines, tasks, generators and async generators suspended in code a patch replaced.

A suspended generator or coroutine holds the code object it was created
with: a background task's ``while True: ...; await asyncio.sleep(1)`` resumes
its old body after every patch, and so does a generator between two values.
Each one is named (``function-suspended``), as ``frames.py`` names running
frames, with the task that drives it.

Finding them is cheap unless a generator function changed: the check runs
only when the patch changes a generator, coroutine or async generator
function. Coroutines are found through asyncio's registry of tasks (their
await chains and what they hold); other generators, and coroutines when no
registry can be read, by one ``gc.get_referrers`` pass over the old code
objects (a walk of the heap, as for closures).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from types import AsyncGeneratorType, CodeType, CoroutineType, FunctionType, GeneratorType
from typing import Any

from splice.engine.objects.codeobjects import code_kind
from splice.engine.plan.steps import Plan, Undo
from splice.engine.result import Finding

_SUSPENDABLE = (GeneratorType, CoroutineType, AsyncGeneratorType)
#: CO_COROUTINE, CO_ITERABLE_COROUTINE: found through asyncio's tasks when it can.
_COROUTINE_FLAGS = 0x80 | 0x100
#: Event loops whose coroutines asyncio's registry does not hold.
_OTHER_LOOPS = ("trio", "curio")
#: Per (file, qualname): old generator code objects replaced by earlier patches,
#: which suspended generators made before them still run (newest last).
_earlier: dict[tuple[str, str], list[CodeType]] = {}
_KEPT = 10
_MAX_DEPTH = 64


def suspended_check(
    plan: Plan, changed: list[tuple[str, FunctionType]]
) -> Callable[[Undo], None] | None:
    """A last step naming what is suspended in the old code of changed generator functions
    (``changed``: (qualname, live function) of each function the patch changes)."""
    targets: dict[tuple[str, str], str] = {}
    functions: list[FunctionType] = []
    for qualname, function in changed:
        if code_kind(function.__code__):
            functions.append(function)
            targets[_key(function.__code__)] = qualname
    if not functions:
        return None
    old_codes = [function.__code__ for function in functions]
    coroutines_only = all(code.co_flags & _COROUTINE_FLAGS for code in old_codes)

    def check(undo: Undo) -> None:
        try:
            findings = _look(plan, targets, functions, old_codes, coroutines_only)
        except Exception as error:  # a bug here must not undo a committed patch
            findings = [
                Finding(
                    "stale-check-failed",
                    "splice could not check what this patch leaves stale (suspended code: "
                    f"{type(error).__name__}: {error}); the patch applies, but a suspended "
                    "generator or task may be missed. Please report it",
                    severity="warning",
                )
            ]
        plan.skip_in_commit(findings, undo)

    return check


def _look(
    plan: Plan,
    targets: dict[tuple[str, str], str],
    functions: list[FunctionType],
    old_codes: list[CodeType],
    coroutines_only: bool,
) -> list[Finding]:
    new_codes = {id(function.__code__) for function in functions}
    tasks = _tasks()
    found = None
    if coroutines_only and tasks is not None and not any(m in sys.modules for m in _OTHER_LOOPS):
        found = list(_in_tasks(tasks, targets, new_codes))
    if found is None:
        codes = [*old_codes, *(c for key in targets for c in _earlier.get(key, ()))]
        found = list(_on_heap(codes, targets, new_codes, tasks or []))
    _remember(functions, old_codes)
    return [_finding(plan, targets, suspended, task) for suspended, task in found]


def _key(code: CodeType) -> tuple[str, str]:
    return (code.co_filename, getattr(code, "co_qualname", code.co_name))


def _remember(functions: list[FunctionType], old_codes: list[CodeType]) -> None:
    for function, code in zip(functions, old_codes, strict=True):
        if function.__code__ is not code:
            kept = _earlier.setdefault(_key(code), [])
            kept.append(code)
            del kept[:-_KEPT]


def _tasks() -> list[Any] | None:
    """Every asyncio task of every loop ([] without asyncio), or None when its registry is not readable."""
    tasks_module = sys.modules.get("asyncio.tasks")
    if tasks_module is None:
        return []
    if sys.version_info >= (3, 14):
        return None  # native tasks live in per-thread lists that Python cannot read
    registry = getattr(tasks_module, "_scheduled_tasks", None)
    if registry is None:
        registry = getattr(tasks_module, "_all_tasks", None)
    if registry is None:
        return None
    eager: Any = getattr(tasks_module, "_eager_tasks", ())
    for _ in range(1000):
        try:  # another thread may add a task while the set is copied
            return [*list(registry), *list(eager)]
        except RuntimeError:
            continue
    return None


def _in_tasks(
    tasks: list[Any], targets: dict[tuple[str, str], str], new_codes: set[int]
) -> Iterator[tuple[Any, Any]]:
    """What each task's await chain (and what its coroutines hold) has suspended in old code."""
    seen: set[int] = set()
    for task in tasks:
        try:
            coroutine = task.get_coro()
        except Exception:  # a task of some other implementation
            continue
        for suspended in _chain(coroutine, seen):
            if _stale(suspended, targets, new_codes):
                yield suspended, task


def _chain(start: Any, seen: set[int]) -> Iterator[Any]:
    """``start``, what it awaits or delegates to, and the generators its frame holds."""
    stack = [(start, 0)]
    while stack:
        current, depth = stack.pop()
        if current is None or id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        if type(current) in _SUSPENDABLE:
            yield current
            for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
                inner = getattr(current, attribute, None)
                if inner is not None:
                    stack.append((inner, depth + 1))
        # Generators held in locals or on the stack, and what an ``async for``
        # awaits (``async_generator_asend``): one level of referents, no heap walk.
        stack.extend(
            (referent, depth + 1)
            for referent in gc.get_referents(current)
            if type(referent) in _SUSPENDABLE
            or type(referent).__name__.startswith("async_generator_")
        )


def _on_heap(
    codes: list[CodeType],
    targets: dict[tuple[str, str], str],
    new_codes: set[int],
    tasks: list[Any],
) -> Iterator[tuple[Any, Any]]:
    owners: dict[int, Any] = {}
    if tasks:
        for task in tasks:
            try:
                coroutine = task.get_coro()
            except Exception:
                continue
            for suspended in _chain(coroutine, set()):
                owners.setdefault(id(suspended), task)
    for referrer in gc.get_referrers(*codes):
        if type(referrer) in _SUSPENDABLE and _stale(referrer, targets, new_codes):
            yield referrer, owners.get(id(referrer))


def _parts(suspended: Any) -> tuple[CodeType, Any, bool]:
    """Its code, its frame (None once finished) and whether it is running now."""
    if type(suspended) is CoroutineType:
        return suspended.cr_code, suspended.cr_frame, suspended.cr_running
    if type(suspended) is AsyncGeneratorType:
        # ``ag_running`` stays set while it awaits inside: suspended all the same.
        return suspended.ag_code, suspended.ag_frame, False
    return suspended.gi_code, suspended.gi_frame, suspended.gi_running


def _stale(suspended: Any, targets: dict[tuple[str, str], str], new_codes: set[int]) -> bool:
    code, frame, running = _parts(suspended)
    # A running one is a thread's frame (frames.py); a finished one runs nothing.
    return frame is not None and not running and id(code) not in new_codes and _key(code) in targets


def _started(suspended: Any, frame: Any) -> bool:
    """Whether it ran up to a first ``yield``/``await`` (one only created runs nothing yet)."""
    for attribute in ("gi_suspended", "cr_suspended", "ag_suspended"):
        value = getattr(suspended, attribute, None)
        if value is not None:
            return bool(value)
    # Before 3.12 an async generator says it only through its frame (3.10: -1, 3.11: 0).
    return bool(frame.f_lasti > (0 if sys.version_info >= (3, 11) else -1))


def _finding(plan: Plan, targets: dict[tuple[str, str], str], suspended: Any, task: Any) -> Finding:
    code, frame, _ = _parts(suspended)
    qualname = targets[_key(code)]
    where = f"{os.path.basename(code.co_filename)}:{frame.f_lineno}"
    started = _started(suspended, frame)
    kind = {CoroutineType: "coroutine", AsyncGeneratorType: "async generator"}.get(
        type(suspended), "generator"
    )
    if task is not None:
        name = task.get_name() if hasattr(task, "get_name") else repr(task)
        subject = f"{qualname} is suspended in asyncio task {name!r} at {where}"
        action = "cancel the task and start it again, or restart"
    else:
        state = "suspended" if started else "created, not started,"
        subject = f"a {kind} of {qualname} is {state} at {where}"
        action = f"make the {kind} again, or restart"
    message = (
        f"{subject}; it resumes with the old code and keeps it until it finishes: {action}. "
        "A loop whose body is in a function it calls picks up that function's edits"
    )
    return Finding(
        "function-suspended",
        message,
        qualname=qualname,
        line=plan.line_of(qualname),
        severity="warning",
    )
