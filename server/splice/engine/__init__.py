"""The patch engine: standard library only.

``patch_module`` diffs a module's new source against the source the process
runs (its baseline) and applies the difference in place, all or nothing.
"""

from __future__ import annotations

from splice.engine.apply import patch_module, run_statement

__all__ = ["patch_module", "run_statement"]
