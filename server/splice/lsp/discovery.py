"""The runtime directory's kernels, read again only when the directory changed.

A save looks for new processes of attached programs, and every status
message lists the kernels: reading and checking every connection file each
time costs tens of system calls per save. Connection files are written by
renaming a finished file into the directory and removed by unlinking, and
both change the directory's modification time, so the last reading holds
while that time (and the directory's identity) is unchanged. A reading taken
less than ``SETTLE`` seconds after the directory last changed is not kept:
a coarse clock may give a change made just after it the same time. The
cached kernels' processes are still checked one by one (a process killed
outright leaves its file behind): one signal-0 ``kill`` each.
"""

from __future__ import annotations

import time

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.engine.baselines.store import Signature, file_signature

#: Seconds after the directory's last change before a reading of it is kept.
SETTLE = 2.0


class Discovery:
    """``connection.discover`` of one directory, cached while the directory is unchanged."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self._signature: Signature | None = None
        self._kernels: list[ConnectionInfo] = []

    def kernels(self) -> list[ConnectionInfo]:
        if self._directory is None:
            # Resolved (and checked) once: each connection file is checked as it is read.
            self._directory = connection.runtime_dir()
        directory = self._directory
        signature = file_signature(directory)
        if signature is not None and signature == self._signature:
            return [info for info in self._kernels if connection.pid_alive(info.pid)]
        found = connection.discover(directory)
        changed = file_signature(directory)
        settled = changed is not None and time.time_ns() - changed[0] > SETTLE * 1e9
        # Unchanged while we read, and long enough ago that no change can share its time.
        self._signature = signature if settled and changed == signature else None
        self._kernels = found
        return list(found)

    def forget(self) -> None:
        """Read the directory again next time (a kernel we know of went away)."""
        self._signature = None
