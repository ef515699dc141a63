"""Undo a module's last patch: patch the text it ran before back in, with the same guarantees.

The baseline keeps the texts a module ran before (``baseline.earlier_baselines``,
several steps deep). Undoing is an ordinary patch to the most recent of them,
so live objects keep their identity and nothing changes unless all of it can.
"""

from __future__ import annotations

import time
from types import ModuleType

from splice.engine import apply
from splice.engine.baselines.store import (
    baseline_source,
    drop_earlier_baselines,
    earlier_baselines,
    source_path,
)
from splice.engine.result import Finding, PatchResult


def undo_depth(module: ModuleType | str) -> int:
    """How many patches of ``module`` can be undone, one after the other."""
    return len(earlier_baselines(apply.resolve_module(module).__name__))


def undo_last_patch(module: ModuleType | str) -> PatchResult:
    """Make ``module`` run the text it ran before its last patch (the previous baseline)."""
    started = time.perf_counter()
    live = apply.resolve_module(module)
    name = live.__name__
    with apply.PATCH_LOCK:
        earlier = earlier_baselines(name)
        current = baseline_source(name)
        if not earlier or current is None:
            message = (
                "nothing to undo: no earlier text of this module is recorded "
                "(no patch since the program started, or the undo history is used up)"
            )
            return PatchResult(
                ok=False,
                module=name,
                file=source_path(live),
                errors=(Finding("nothing-to-undo", message),),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        target = earlier[-1]
        result = apply.patch_module(live, target)
        now = earlier_baselines(name)
        if baseline_source(name) == target and now[-2:] == (target, current):
            # The patch recorded the text it replaced as one more earlier
            # baseline: that one and the one restored are both used up.
            drop_earlier_baselines(name, 2)
        return result
