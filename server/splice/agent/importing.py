"""A patch of a module whose import is still running waits for the import to finish.

A module is in ``sys.modules`` while its top-level code runs (in another
thread: a spawned worker importing the program's modules, a lazy import).
Patched then, the import would go on and bind every definition below the
line it had reached with the text it started with, while the patch reported
success. So a patch waits (a few seconds at most) until the import is done;
if it is still running after that (a module whose top level never returns),
the patch applies and a ``module-importing`` warning names the line the
import had reached (of the text it runs): what lies below it is bound by the
import afterwards.
"""

from __future__ import annotations

import sys
import threading
import time
from types import FrameType, ModuleType
from typing import Any

#: Seconds a patch waits for the import of its module to finish.
IMPORT_WAIT = 3.0


def importing(module: ModuleType) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def wait_for_import(module: ModuleType, timeout: float = IMPORT_WAIT) -> dict[str, Any] | None:
    """Wait until ``module``'s import is done; a warning finding (as a dict) if it is not."""
    if not importing(module):
        return None
    deadline = time.monotonic() + timeout
    while importing(module):
        if time.monotonic() > deadline:
            return _still_importing(module)
        time.sleep(0.01)
    return None


def _still_importing(module: ModuleType) -> dict[str, Any] | None:
    frame = _running_top_level(module)
    if frame is None:
        return None  # its import finished meanwhile
    from splice.engine.result import Finding

    line = frame.f_lineno
    # No line of its own: the line is the old text's, a finding's would point into the new one.
    warning = Finding(
        "module-importing",
        f"{module.__name__} is still being imported: its top-level code is running at line "
        f"{line} of the text it started with; the definitions below that line will be bound by "
        "the import with that text. Save again once the import is done, or restart",
        severity="warning",
    )
    return warning.to_dict()


def _running_top_level(module: ModuleType) -> FrameType | None:
    namespace = vars(module)
    own = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == own:
            continue
        current: FrameType | None = frame
        while current is not None:
            if current.f_code.co_name == "<module>" and current.f_globals is namespace:
                return current
            current = current.f_back
    return None
