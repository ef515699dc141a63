"""Whether the runtime directory is still as it was when it was last read.

Connection files are written by renaming a finished file into the directory
and removed by unlinking; both change the directory's modification time, so
a reading holds while that time (and the directory's identity) is unchanged,
and a look for new kernels costs one ``stat`` instead of reading every file.
A reading taken less than ``SETTLE`` seconds after the directory last changed
is not kept: a coarse clock (or a remote file system) may give a change made
just after it the same time. ``--watch`` and the language server both look
this way.
"""

from __future__ import annotations

import time

from splice.engine.baselines.store import Signature, file_signature

#: Seconds after the directory's last change before a reading of it is kept.
SETTLE = 2.0


class DirectoryReading:
    """One reader's last reading of a directory, and whether it still holds."""

    def __init__(self) -> None:
        self._kept: Signature | None = None
        self._before: Signature | None = None

    def holds(self, directory: str) -> bool:
        """True when nothing changed since the kept reading; else read, then ``taken``."""
        self._before = file_signature(directory)
        return self._before is not None and self._before == self._kept

    def taken(self, directory: str) -> None:
        """The directory was just read (after ``holds``): keep that reading if it may be."""
        after = file_signature(directory)
        settled = after is not None and time.time_ns() - after[0] > SETTLE * 1e9
        # Unchanged while it was read, and long enough ago that no change can share its time.
        self._kept = self._before if settled and after == self._before else None

    def forget(self) -> None:
        """Read again next time."""
        self._kept = None
