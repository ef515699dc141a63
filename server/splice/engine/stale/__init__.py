"""What still holds old code or values once a patch is committed: the one place that asks.

A patch changes definitions; a running program also holds things built from
them. Each check here finds one kind of holder and either brings it up to
date inside the same commit or names it with a finding on its line, so a
difference from a fresh start of the new text is never silent:

- ``copies.py``: names other modules copied with ``from m import NAME``,
  rebound in the same commit;
- ``lambdas.py``: lambdas that module-level containers hold, patched in place;
- ``caches.py``: ``lru_cache``s of unchanged functions that read what changed, cleared;
- ``products.py``: top-level statements that ran changed code and whose
  results are still live (``statement-stale``);
- ``undefined.py``: names the new text reads that nothing would define in a
  fresh start (``name-undefined``);
- ``frames.py``: functions running on threads' stacks (``function-running``);
- ``suspended.py``: coroutines, tasks and generators suspended in old code
  (``function-suspended``).

``modules.py`` says which modules import which (from their own import
statements), ``reach.py`` whether code reaches a change.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from splice.engine.commit.transaction import Unstaged
from splice.engine.plan.steps import Plan, code_filename
from splice.engine.result import Finding
from splice.engine.stale.caches import plan_caches
from splice.engine.stale.copies import plan_copies, rebind_copies
from splice.engine.stale.frames import running_frames_check
from splice.engine.stale.lambdas import plan_lambdas
from splice.engine.stale.modules import importer_closure
from splice.engine.stale.products import plan_products
from splice.engine.stale.reach import ChangeSet, Reach, planned_changes
from splice.engine.stale.suspended import suspended_check
from splice.engine.stale.undefined import plan_undefined
from splice.logs import get_logger

logger = get_logger(__name__)
T = TypeVar("T")


def _imports_change(plan: Plan) -> bool:
    """Whether the patch may change what its module imports (unknown without a diff)."""
    diff = plan.diff
    if diff is None:
        return True
    edited = (*diff.statements, *diff.removed)
    return any(s.scope is None and ("import" in s.text) for s in edited)


def plan_stale_checks(plan: Plan) -> None:
    """Add to ``plan`` the steps and findings about what the commit would leave stale."""
    lambdas = _guarded(plan, "lambdas", plan_lambdas, plan) or []
    changes = planned_changes(plan)
    for label, function in lambdas:
        changes.add_swapped(label, function)
    if not changes.empty:
        _guarded(plan, "copies", plan_copies, plan, changes)
        importers = _guarded(
            plan, "importers", importer_closure, plan.module, _imports_change(plan)
        )
        reach = Reach(changes)
        everywhere = [plan.module, *(importers or [])]
        _guarded(plan, "caches", plan_caches, plan, changes, reach, everywhere)
        _guarded(plan, "statements", plan_products, plan, changes, reach, importers or [])
    _guarded(plan, "names", plan_undefined, plan)
    running = running_frames_check(plan, changes.targets)
    if running is not None:
        plan.add_last_step("checking running frames", Unstaged(running))
    suspended = suspended_check(plan, changes.targets)
    if suspended is not None:
        plan.add_last_step("checking suspended generators and coroutines", Unstaged(suspended))


#: What ``after_statement`` is given for a name that was not bound before.
MISSING: Any = object()


def after_statement(module: ModuleType, before: dict[str, Any], line: int) -> list[Finding]:
    """After a statement ran explicitly (``run_statement``, the fix findings name):
    what a patch rebinding the same names brings up to date, at once. Importers'
    copies of the names are rebound, caches whose code reads them are cleared,
    and statements that read their old values are named.

    ``before`` holds each name the statement binds and its value before it ran.
    """
    changes = ChangeSet(module)
    namespace = vars(module)
    for name, previous in before.items():
        if previous is not MISSING and namespace.get(name, MISSING) is not previous:
            changes.names[name] = line
            changes.keys[(id(namespace), name)] = name
            changes.previous[name] = previous
    if changes.empty:
        return []
    findings = rebind_copies(changes, line)
    reach = Reach(changes)
    holders = [module, *importer_closure(module, imports_change=False)]
    # The patch's own checks, on a plan of nothing: its caches are cleared here, and
    # statements that read what it rebound (``LIMIT = RATE * 2``, an importer's
    # ``RATES = {"vat": VAT_RATE}``) are named, as after a patch.
    plan = Plan(module, code_filename(module), "")
    _guarded(plan, "caches", plan_caches, plan, changes, reach, holders)
    for cache in plan.caches:
        cache.cache_clear()
    _guarded(plan, "statements", plan_products, plan, changes, reach, holders)
    findings.extend(
        finding
        for finding in plan.skipped
        if finding.place is None
        or (finding.place.module, finding.place.line) != (module.__name__, line)
    )
    return findings


def _guarded(plan: Plan, what: str, check: Callable[..., T], *arguments: Any) -> T | None:
    """Run one check; a bug in it is reported, and never stops the patch."""
    try:
        return check(*arguments)
    except Exception as error:
        logger.debug("splice: the %s check raised", what, exc_info=True)
        plan.skipped.append(
            Finding(
                "stale-check-failed",
                f"splice could not check what this patch leaves stale ({what}: "
                f"{type(error).__name__}: {error}); the patch applies, but what that check "
                "names may be missed. Please report it",
                severity="warning",
            )
        )
        return None
