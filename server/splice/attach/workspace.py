"""The attach's folder: what the target reads, which only the attacher can write; what it writes back.

    splice-attach-XXXX/          the attacher's, mode 0711: the target may open
        bootstrap.py             what it knows the name of, list and change nothing
        out/                     the target user's, mode 0700: the bootstrap's
            claim                ``claim`` and ``result.json``
            result.json

When root attaches to another user's process, that user can write ``out``
and nothing else: the bootstrap cannot be swapped once written (its folder
and the file are root's), and gdb's request is not a file at all. Everything
root reads from ``out`` is opened without following a symlink, must be a
regular file of a bounded size, and is data only: what it names is checked
against the target process itself before it is used (``attach.py``).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from typing import Any

#: A result is a few hundred bytes; anything larger is not the bootstrap's.
_RESULT_LIMIT = 64 * 1024
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Workspace:
    """A fresh folder for one attach, removed by ``remove()``."""

    def __init__(self, uid: int, gid: int) -> None:
        self.path = tempfile.mkdtemp(prefix="splice-attach-")
        try:
            os.chmod(self.path, 0o711)
            self.output = os.path.join(self.path, "out")
            os.mkdir(self.output, 0o700)
            if uid != os.geteuid():  # root, attaching to another user's process
                os.chown(self.output, uid, gid, follow_symlinks=False)
        except BaseException:
            self.remove()
            raise

    def write(self, name: str, text: str) -> str:
        """A new file the target may read (mode 0644) but not change; its path."""
        path = os.path.join(self.path, name)
        descriptor = os.open(path, _CREATE, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        return path

    def read_result(self) -> dict[str, Any] | None:
        """The bootstrap's ``result.json`` once it is complete; None before that."""
        path = os.path.join(self.output, "result.json")
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            descriptor = os.open(path, flags)
        except OSError:
            return None
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _RESULT_LIMIT:
                return None
            data = os.read(descriptor, _RESULT_LIMIT + 1)
        finally:
            os.close(descriptor)
        try:
            result = json.loads(data)
        except ValueError:
            return None
        return result if isinstance(result, dict) else None

    def cancel(self) -> bool:
        """Take the bootstrap's claim, so a late run does nothing; False when the target took it."""
        try:
            descriptor = os.open(os.path.join(self.output, "claim"), _CREATE, 0o600)
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ELOOP):
                return False
            raise
        os.close(descriptor)
        return True

    def remove(self) -> None:
        # rmtree does not follow symlinks the target's user may have left in ``out``.
        shutil.rmtree(self.path, ignore_errors=True)
