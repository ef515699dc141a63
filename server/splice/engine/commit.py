"""Committing a plan: run its steps in source order, undo them all if one raises.

Only committing mutates the live module. Each step records how to undo
itself; when a step raises, every recorded undo runs in reverse, so a patch is
all or nothing. After a commit, the baseline and ``linecache`` advance to the
text the module now runs.
"""

from __future__ import annotations

import gc
import linecache
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

from splice.engine.baseline import remember_baseline
from splice.engine.definitions import source_lines_with_ends
from splice.engine.plan import Plan, Step

logger = logging.getLogger(__name__)

#: While committing, ask the interpreter not to switch threads, so no other
#: thread runs in the middle of a patch (best effort: I/O still releases the GIL).
#: A commit takes microseconds to a few milliseconds; this only has to outlast it.
_COMMIT_SWITCH_INTERVAL = 0.05


def commit_plan(plan: Plan) -> tuple[Step, BaseException] | None:
    """Run the plan's steps; if one raises, undo them all and return it with its error."""
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


def after_commit(module: ModuleType, plan: Plan) -> None:
    """Clear stale caches; advance ``linecache`` and the baseline to the new text."""
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
def collection_paused() -> Iterator[None]:
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


__all__ = ["after_commit", "collection_paused", "commit_plan"]
