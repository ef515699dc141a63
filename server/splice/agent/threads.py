"""Where the agent runs the work a request asks for (patching, evaluating).

The engine makes a patch atomic for other threads by itself: it holds its
``PATCH_LOCK`` and swaps every mutation in one C-level call (engine/transaction.py).
What the agent chooses is the thread:

- ``AgentThreadRunner`` runs the work on the agent's own thread (``splice run``,
  ``splice kernel``, ``splice.listen()``).
- ``LoopRunner`` hands it to the host's event loop (a Jupyter kernel's main
  thread, between cell executions) and waits; if the loop does not pick it up
  within ``grace`` seconds because a cell is running, the agent thread claims
  the job and runs it itself, so a long-running cell can still be patched.

See docs/architecture.md, section "Threads", for the argument and its limits.

Every thread splice starts in the user's process is made by ``daemon_thread``,
which marks it so that a debugger (debugpy's pydevd) neither traces nor
suspends it: a program stopped at a breakpoint must still answer patches.
Two ways pydevd (debugpy 1.8) takes such a thread for one of the program's
despite the marks are closed here (``SpliceThread``, docs/debugging.md):

- its scan for frames to trace (when debugpy starts, and at each change of
  breakpoints) skips marked threads by ``threading.enumerate()``, which pydevd
  itself patched to hide them, so in its ``sys.monitoring`` mode (3.12+) it
  registers them after all; and with more than one registered thread, a step
  wakes the wrong one and the stepping thread waits out a 0.2 s poll (every
  step costs 200 ms, not 45);
- in its ``sys.monitoring`` mode (3.12+), Python code that runs in a thread
  after ``threading`` forgot it (the weakref callback of the thread's own
  ``Thread`` object, freed as the thread ends) makes it create a dummy thread
  that stays registered under that id; the next thread the system gives the
  same id takes over the dummy's state, suspended if the program stopped.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


def daemon_thread(
    target: Callable[..., object], name: str, args: tuple[Any, ...] = ()
) -> threading.Thread:
    """A daemon thread (not started) that debuggers leave running when they stop the program.

    pydevd suspends every thread it traces when one stops at a breakpoint.
    ``pydev_do_not_trace`` is the mark pydevd documents for threads that must
    keep running (its evaluation-timeout message): they are neither traced
    nor suspended. ``is_pydev_daemon_thread`` is the mark of pydevd's own
    threads: its ``sys.monitoring`` mode (3.12+) reads only that one before
    stopping a thread at a breakpoint, and it keeps the thread out of the
    debugger's thread list. Both are plain attributes, set before the thread
    starts (pydevd reads them when it starts tracing a new thread), whether or
    not a debugger is loaded now (one may attach later).
    """
    _release_finished()
    thread = SpliceThread(target=target, name=name, args=args, daemon=True)
    thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
    thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    return thread


class SpliceThread(threading.Thread):
    """A thread of splice's that a debugger's bookkeeping never adopts (module docstring)."""

    @property
    def additional_info(self) -> Any:
        """pydevd's per-thread state, which it attaches to threads it debugs."""
        return self.__dict__.get("_debugger_state")

    @additional_info.setter
    def additional_info(self, state: Any) -> None:
        # pydevd attaches its state to a thread it registers; this one it
        # should have skipped. A state whose thread is gone ("killed") is
        # dropped from pydevd's threads at its next step, before it picks the
        # thread to wake: the stepping thread, when it is the only one left.
        with contextlib.suppress(AttributeError):
            state.pydev_notify_kill = True
        self.__dict__["_debugger_state"] = state

    def run(self) -> None:
        try:
            super().run()
        finally:
            # This object must not be freed by its own ending thread (module
            # docstring): the next daemon_thread() call lets it go.
            _finished.append(self)


#: A deque, not a list under a lock: its appends and pops are atomic, and a
#: lock held at a fork would stay held in the child.
_finished: collections.deque[threading.Thread] = collections.deque()


def _release_finished() -> None:
    """Let go of splice's threads that have ended, from a thread that is running."""
    for _ in range(len(_finished)):
        try:
            thread = _finished.popleft()
        except IndexError:  # another thread let the rest go
            return
        if thread.is_alive():
            _finished.append(thread)


class AgentThreadRunner:
    """Runs work on the calling (agent) thread."""

    apply_thread = "agent"

    def run(self, work: Callable[[], T]) -> T:
        return work()


class _Job:
    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._claimed = False
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def execute(self) -> None:
        try:
            self.result = self.work()
        except BaseException as error:  # handed back to the agent thread
            self.error = error
        finally:
            self.done.set()


class LoopRunner:
    """Runs work through ``schedule(callback)`` on the host's loop thread, with a fallback."""

    apply_thread = "main"

    def __init__(self, schedule: Callable[[Callable[[], None]], Any], grace: float = 1.0) -> None:
        self._schedule = schedule
        self.grace = grace

    def run(self, work: Callable[[], T]) -> T:
        job = _Job(work)

        def on_loop() -> None:
            if job.claim():
                job.execute()

        try:
            self._schedule(on_loop)
            scheduled = True
        except Exception:  # no loop (not started yet, or shutting down): run it here
            scheduled = False
        if not (scheduled and job.done.wait(self.grace)) and job.claim():
            job.execute()
        job.done.wait()
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result
