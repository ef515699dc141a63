"""The patch engine: standard library only.

``patch_module`` diffs a module's new source against the source the process
runs (its baseline) and applies the difference in place, all or nothing.
Submodules load on first use, so a client that only reads ``result`` stays fast.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from splice.engine.apply import patch_module, run_statement

__all__ = ["patch_module", "run_statement"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'splice.engine' has no attribute {name!r}")
    from splice.engine import apply

    value = getattr(apply, name)
    globals()[name] = value
    return value
