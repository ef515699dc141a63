"""What still holds old code or values once a patch is committed: the one place that asks.

A patch changes definitions; a running program also holds things built from
them. Each check here finds one kind of holder and either brings it up to
date inside the same commit or names it with a finding on its line, so a
difference from a fresh start of the new text is never silent. Today: frames
running on threads' stacks (``frames.py``).
"""

from __future__ import annotations

from splice.engine.commit.transaction import Unstaged
from splice.engine.plan.steps import Plan
from splice.engine.stale.frames import running_frames_check


def plan_stale_checks(plan: Plan) -> None:
    """Add to ``plan`` the steps that find what the commit leaves stale."""
    running = running_frames_check(plan)
    if running is not None:
        plan.add_last_step("checking running frames", Unstaged(running))
