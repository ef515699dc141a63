"""The engine's lock: one patch (or baseline check) at a time per process.

Its own module so that the agent can hold it across a fork without loading
the engine. After a fork the child gets a fresh lock in the same object
(``reset_after_fork``), so every module that imported ``PATCH_LOCK`` keeps
the right one.
"""

from __future__ import annotations

import threading
from types import TracebackType


class PatchLock:
    """A re-entrant lock that a forked child can renew in place."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def renew(self) -> None:
        """In a forked child: another thread may have held the old one at the fork."""
        self._lock = threading.RLock()


#: Held while planning and committing: one patch at a time per process.
PATCH_LOCK = PatchLock()


def reset_after_fork() -> None:
    """In a forked child: locks another thread held at the fork are not ours to wait for."""
    from splice.engine.baselines.store import reset_baseline_lock

    PATCH_LOCK.renew()
    reset_baseline_lock()
