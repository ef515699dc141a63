"""Extension points: who is told about a patch, and who may shape it.

This package is the interface for adapter authors and update hooks; the
engine itself names adapters only as strings and imports none of them.

- **Update hooks** (``updates.py``) run after a patch is committed and are
  told what changed (``Change``: module, qualname, kind): a module-level
  ``__splice_update__(changes)``, callbacks registered with
  ``splice.on_update(callback)``, and adapters' ``on_update``.
- **Adapters** (``adapters.py``) for frameworks, each loaded only once its
  framework's module is imported. While planning, an adapter may claim a
  changed class (``claims.py``) and see the whole plan (``patch_plan.py``)
  to add steps, warnings or a refusal, and say which live products of
  import-time code it brings up to date (``PatchPlan.brings_up_to_date``),
  so the stale checks do not name them.
"""

from __future__ import annotations

from splice.engine.hooks.adapters import (
    BUNDLED,
    ENTRY_POINT_GROUP,
    Adapter,
    active_adapters,
    reset_adapters,
)
from splice.engine.hooks.claims import ClassClaim, claim_class
from splice.engine.hooks.patch_plan import PatchPlan, plan_patch
from splice.engine.hooks.updates import (
    Change,
    changes_of,
    notify_update,
    on_update,
    remove_update_callback,
)
from splice.engine.plan.held_back import held_back_definitions

__all__ = [
    "BUNDLED",
    "ENTRY_POINT_GROUP",
    "Adapter",
    "Change",
    "ClassClaim",
    "PatchPlan",
    "active_adapters",
    "changes_of",
    "claim_class",
    "held_back_definitions",
    "notify_update",
    "on_update",
    "plan_patch",
    "remove_update_callback",
    "reset_adapters",
]
