"""How ``--watch`` reads the files it looks at: decoded as Python decodes a source file."""

from __future__ import annotations

import importlib.util
import os


def read_source(path: str) -> str | None:
    """The file's text, decoded as Python decodes a source file (None if unreadable)."""
    try:
        with open(path, "rb") as file:
            return importlib.util.decode_source(file.read())
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None


def is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
