"""Baselines for modules imported before splice was watching, recovered from their files.

A module imported before the agent started has no recorded text, and its file
may have been edited since. Its file becomes its baseline only when it is
provably the text the module runs (``verdict.py`` holds the rules;
docs/attach.md, "Modules imported before the agent"). Verified: the file is
remembered as the baseline, and patches are exactly as correct as for a
module imported under splice. Otherwise the module keeps no baseline
("differs" when a check shows the file is not what runs, "unconfirmed" when
only the file's times were missing) and the live-object planner patches it.

``start_recovery`` checks the user's modules (not the standard library,
site-packages, scripts or splice) on a daemon thread; ``ensure_verified``
checks one module first when a request needs it, so a patch never races it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import ModuleType

from splice.engine.baselines.process import in_user_scope, process_start_ns
from splice.engine.baselines.scope import folder_file
from splice.engine.baselines.store import (
    has_baseline,
    remember_baseline,
    source_origin,
    source_path,
)
from splice.engine.locking import PATCH_LOCK
from splice.logs import get_logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from splice.engine.baselines.verdict import Verdict

logger = get_logger(__name__)

THREAD_NAME = "splice-agent-baselines"
#: Seconds the background pass rests at most between two modules.
_MAX_REST = 0.1
#: Seconds the background pass waits before it starts.
_START_DELAY = 0.05


_lock = threading.Lock()
_verdicts: dict[str, Verdict] = {}
#: id() of the module object each verdict is about (a replaced module is judged again).
_judged: dict[str, int] = {}
_pending: set[str] = set()
_started_in: int | None = None
_finished = threading.Event()
_fork_hook = False


def start_recovery() -> None:
    """Verify the user's modules that have no baseline, on a daemon thread. Idempotent."""
    global _started_in, _fork_hook, _finished
    with _lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
        _finished = threading.Event()
        if not _fork_hook and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)
            _fork_hook = True
    process_start_ns()  # now, while the process tree is as it was
    # The modules loaded now: those imported from here on are recorded as they import.
    loaded = list(sys.modules.items())
    thread = threading.Thread(target=_recover_all, args=(loaded,), name=THREAD_NAME, daemon=True)
    # As splice.agent.threads.daemon_thread marks the agent's threads: a debugger
    # stopping the program must not stop this one while it holds PATCH_LOCK.
    thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
    thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    thread.start()


def wait_for_recovery(timeout: float | None = None) -> bool:
    """Wait until the background pass is over; False on timeout or when it never started."""
    return _started_in == os.getpid() and _finished.wait(timeout)


def ensure_verified(name: str) -> Verdict | None:
    """Judge module ``name`` now unless it has a baseline or a verdict (any module, any scope)."""
    module = sys.modules.get(name)
    if not isinstance(module, ModuleType) or has_baseline(name):
        return None
    return verify_module(name, module)


def verdict_of(name: str) -> Verdict | None:
    return _verdicts.get(name)


def is_pending(name: str) -> bool:
    """Whether the background pass will judge ``name`` but has not yet."""
    return name in _pending


def verify_module(name: str, module: ModuleType) -> Verdict | None:
    """Judge ``module`` (once per module object) and remember its file as baseline if verified.

    None when there is nothing to judge: it already has a baseline, or no source file.
    """
    path = _path(module)
    if path is None or getattr(module, "__name__", None) != name:
        return None
    # Under the engine's lock: no patch can advance (or record) a baseline meanwhile.
    with PATCH_LOCK:
        if has_baseline(name):
            return None
        known = _verdicts.get(name)
        if known is not None and _judged.get(name) == id(module):
            return known
        # The engine loads here, with the first module to judge (never in listen()).
        from splice.engine.baselines.verdict import judge
        from splice.engine.commit.commit import collection_paused

        started = time.perf_counter()
        with collection_paused():  # as a patch: a big heap must not make collections costly
            verdict, text, _ = judge(name, module, path)
        verdict = _timed(verdict, started)
        if verdict.verified and text is not None and sys.modules.get(name) is module:
            # Without its outline: the syntax trees of every module judged would
            # stay in memory (about 75x the text); the first patch parses it again.
            remember_baseline(name, text)
        with _lock:
            _verdicts[name] = verdict
            _judged[name] = id(module)
    logger.debug("baseline of %s: %s (%s)", name, verdict.state, verdict.reason)
    return verdict


def forget_verdict(name: str) -> None:
    """Drop the verdict about ``name`` (a test's module, a module unloaded for good)."""
    with _lock:
        _verdicts.pop(name, None)
        _judged.pop(name, None)


def _timed(verdict: Verdict, started: float) -> Verdict:
    from dataclasses import replace

    return replace(verdict, duration_ms=(time.perf_counter() - started) * 1000)


def _path(module: ModuleType) -> str | None:
    try:
        return source_path(module)
    except Exception:  # a module with a hostile __getattr__ is not ours to judge
        return None


# -- the background pass -------------------------------------------------------


def _recover_all(loaded: list[tuple[str, object]]) -> None:
    finished = _finished
    try:
        with PATCH_LOCK:  # what it imports (sysconfig, site) must not be cut by a fork
            candidates = _candidates(loaded)
        with _lock:
            _pending.update(name for name, _ in candidates)
        # The thread that started us (``listen()``, maybe in an attached program's
        # main thread, between two of its bytecodes) gets the interpreter back
        # before the engine loads here.
        time.sleep(_START_DELAY if candidates else 0)
        for name, module in candidates:
            began = time.perf_counter()
            try:
                verify_module(name, module)
            except Exception:  # never let the thread fail noisily in the user's process
                logger.debug("could not verify the baseline of %s", name, exc_info=True)
            finally:
                with _lock:
                    _pending.discard(name)
            # Rest as long as the module took: the program keeps at least half of
            # the interpreter meanwhile (a request that needs a module judges it first).
            time.sleep(min(time.perf_counter() - began, _MAX_REST))
    finally:
        finished.set()


def _candidates(loaded: list[tuple[str, object]]) -> list[tuple[str, ModuleType]]:
    found = []
    for name, module in loaded:
        if (
            not isinstance(module, ModuleType)
            or name in _verdicts
            or sys.modules.get(name) is not module
        ):
            continue
        origin = source_origin(module)
        if origin is None or (os.path.isabs(origin) and not folder_file(origin)[1]):
            # In a library's folder (no system call once the folder is known): with
            # ``splice run`` that is every module so far, while the program imports.
            continue
        path = _path(module)
        if path is not None and in_user_scope(path) and not has_baseline(name):
            found.append((name, module))
    found.sort(key=lambda item: (item[0] != "__main__", item[0]))
    return found


def _after_fork() -> None:
    """In a forked child: the parent's thread is gone; verdicts and the start time stay."""
    global _lock, _started_in
    _lock = threading.Lock()
    _started_in = None
    _pending.clear()


__all__ = [
    "THREAD_NAME",
    "ensure_verified",
    "forget_verdict",
    "is_pending",
    "start_recovery",
    "verdict_of",
    "verify_module",
    "wait_for_recovery",
]
