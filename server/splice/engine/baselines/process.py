"""What recovery needs to know about this process: which files are the user's, and when it started."""

from __future__ import annotations

import os
import time

from splice.engine.baselines import scope

_process_start: int | None = None


def in_user_scope(path: str) -> bool:
    """Whether ``path`` is one of the user's files: not the standard library,
    site-packages, installed scripts, or splice itself."""
    return scope.in_user_scope(path)


def library_roots() -> tuple[str, ...]:
    """The folders that hold no user file (real paths): the standard library,
    site-packages, installed scripts, splice itself."""
    return scope.foreign_roots()


def process_start_ns() -> int | None:
    """When this process's Python state began (the wall clock, in ns), or None off Linux.

    A process forked without ``exec`` (same executable, same command line as
    its parent) inherited modules its parent imported earlier: then the
    oldest such ancestor's start counts.
    """
    global _process_start
    if _process_start is None:
        _process_start = _measure_process_start()
    return _process_start


def _measure_process_start() -> int | None:
    try:
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        since_boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        now = time.time_ns()
        pid = os.getpid()
        identity = _identity(pid)
        started, parent = _stat(pid)
    except (AttributeError, OSError, ValueError):
        return None
    while parent > 1:
        try:
            if _identity(parent) != identity:
                break
            started, parent = _stat(parent)[0], _stat(parent)[1]
        except (OSError, ValueError):
            break
    # /proc counts clock ticks since boot, rounded down: an earlier bound, never a later one.
    return now - (since_boot - started * 1_000_000_000 // ticks_per_second)


def _identity(pid: int) -> tuple[str, bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as stream:
        command = stream.read()
    return os.readlink(f"/proc/{pid}/exe"), command


def _stat(pid: int) -> tuple[int, int]:
    """(start time in clock ticks since boot, parent pid) from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat", "rb") as stream:
        fields = stream.read().rpartition(b")")[2].split()
    return int(fields[19]), int(fields[1])
