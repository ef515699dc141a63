"""What adapters that look for live framework objects share: the values modules bind."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any


def module_globals() -> Iterator[Any]:
    """Every value bound at module level in every loaded module, from a snapshot of each.

    Adapters test what they get by ``type(value)`` only: module globals include
    proxies whose every attribute runs code (Django's lazy settings), ``__class__`` included.
    """
    for module in list(sys.modules.values()):
        if not issubclass(type(module), ModuleType):
            continue
        yield from list(vars(module).values())
