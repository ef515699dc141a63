"""Functions the tests run as Dask tasks (importable by the workers: on their PYTHONPATH).

Kept apart from the test module so a worker never imports pytest.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path
from typing import Any


def call(module: str, function: str, *args: Any) -> tuple[int, Any]:
    """``module.function(*args)`` in the worker, with the worker's pid."""
    return os.getpid(), getattr(importlib.import_module(module), function)(*args)


def call_in_a_loop(module: str, function: str, folder: str, limit: float = 60.0) -> list[Any]:
    """Call ``module.function()`` until ``folder/stop`` exists; the values seen, in order.

    Consecutive repeats are dropped, so a worker that switched from the old
    code to the new exactly once answers ``["old", "new"]``.
    """
    target = getattr(importlib.import_module(module), function)
    Path(folder, f"started-{os.getpid()}").touch()
    seen: list[Any] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stopping = os.path.exists(os.path.join(folder, "stop"))
        value = target()
        if not seen or seen[-1] != value:
            seen.append(value)
        if stopping:
            break
        time.sleep(0.002)
    return seen


def has_baseline(module: str) -> bool:
    from splice.engine.baselines import store

    importlib.import_module(module)
    return store.has_baseline(module)


def import_module(module: str) -> int:
    importlib.import_module(module)
    return os.getpid()


def has_attribute(module: str, name: str) -> bool:
    return hasattr(importlib.import_module(module), name)
