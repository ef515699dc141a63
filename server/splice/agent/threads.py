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
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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
