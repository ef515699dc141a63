"""Which files ``--watch`` looks at, and how it reads them: stat signatures and decoded text."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import site
import sys
import sysconfig

Signature = tuple[int, int, int]


def library_directories() -> tuple[str, ...]:
    """The standard library, site-packages and splice itself: folders whose files are not watched."""
    found: set[str] = set()
    schemes = [sysconfig.get_paths()]
    with contextlib.suppress(KeyError, ValueError):
        schemes.append(
            sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
        )
    for paths in schemes:
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                found.add(paths[key])
    with contextlib.suppress(AttributeError):
        found.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        found.add(site.getusersitepackages())
    found.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # splice
    return tuple(sorted({os.path.realpath(path) for path in found if path}))


def signature(path: str) -> Signature | None:
    """What changes when a file is saved: modification time, size and inode."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


def read_source(path: str) -> str | None:
    """The file's text, decoded as Python decodes a source file (None if unreadable)."""
    try:
        with open(path, "rb") as file:
            return importlib.util.decode_source(file.read())
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None


def is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
