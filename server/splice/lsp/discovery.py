"""The runtime directory's kernels, read again only when the directory changed.

A save looks for new processes of attached programs, and every status
message lists the kernels: reading and checking every connection file each
time costs tens of system calls per save, so the last reading is kept while
the directory is unchanged (``agent/directory_reading.py``). The cached
kernels' processes are still checked one by one (a process killed outright
leaves its file behind): one signal-0 ``kill`` each.
"""

from __future__ import annotations

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.agent.directory_reading import DirectoryReading


class Discovery:
    """``connection.discover`` of one directory, cached while the directory is unchanged."""

    def __init__(self, directory: str | None = None) -> None:
        self._directory = directory
        self._reading = DirectoryReading()
        self._kernels: list[ConnectionInfo] = []

    def kernels(self) -> list[ConnectionInfo]:
        if self._directory is None:
            # Resolved (and checked) once: each connection file is checked as it is read.
            self._directory = connection.runtime_dir()
        directory = self._directory
        if self._reading.holds(directory):
            return [info for info in self._kernels if connection.pid_alive(info.pid)]
        found = connection.discover(directory)
        self._reading.taken(directory)
        self._kernels = found
        return list(found)

    def forget(self) -> None:
        """Read the directory again next time (a kernel we know of went away)."""
        self._reading.forget()
