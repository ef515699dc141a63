"""Inside the target, at a safe point: start the agent and say where its connection file is.

Runs in the target's main thread with the GIL held, between two bytecodes of
its own code, so it must return quickly: no heap walks, no scans of loaded
modules. Baseline recovery for the modules imported before the agent is
started by ``listen()`` itself, on a thread of its own.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import splice
from splice.agent import process
from splice.agent.connection import ConnectionInfo

HOST_KIND = "attach"


def start(runtime_dir: str | None) -> dict[str, Any]:
    """Listen (idempotently) and describe the result for the attacher (JSON-ready)."""
    began = time.perf_counter()
    running = process.current()
    if running is not None and running.info is not None:
        return _describe(running.info, already=True, began=began)
    options: dict[str, Any] = {"host_kind": HOST_KIND}
    if runtime_dir:
        options["runtime_dir"] = runtime_dir
    info: ConnectionInfo = splice.listen(**options)
    return _describe(info, already=False, began=began)


def _describe(info: ConnectionInfo, *, already: bool, began: float) -> dict[str, Any]:
    return {
        "connectionFile": info.path,
        "connection": info.to_json(),
        "already": already,
        "pid": os.getpid(),
        "python": ".".join(str(part) for part in sys.version_info[:3]),
        "seconds": time.perf_counter() - began,
    }
