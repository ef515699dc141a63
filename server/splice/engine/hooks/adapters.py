"""Framework adapters: found by name, loaded only once their framework is imported.

Adapters come from ``BUNDLED`` and the ``splice.hooks`` entry-point group.
At plan time an adapter may claim a changed class (``plan_class``: a
pydantic model is rebuilt, not patched member by member) and may add steps
to run first and last in the commit or refuse the patch (``plan_patch``).
Its steps record their undo like the engine's own, so an adapter that cannot
apply refuses while planning and nothing is ever half applied.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from splice.engine.hooks.claims import ClassClaim
    from splice.engine.hooks.patch_plan import PatchPlan
    from splice.engine.hooks.updates import Change
from splice.logs import get_logger

logger = get_logger(__name__)

#: The entry-point group where libraries register adapters: the entry's name
#: is the module that must be imported, its value an ``Adapter`` (or a class).
ENTRY_POINT_GROUP = "splice.hooks"

#: Adapters shipped with splice, by the module they need: loaded by name, so
#: neither the engine nor importing splice imports them (or their framework).
BUNDLED = {
    "pydantic": "splice.adapters.pydantic:adapter",
    "fastapi": "splice.adapters.fastapi:adapter",
    "flask": "splice.adapters.flask:adapter",
    "attr": "splice.adapters.attrs:adapter",
    "functools": "splice.adapters.dispatch:adapter",
    "django": "splice.adapters.django:adapter",
}


class Adapter:
    """What a framework adapter may do; every method is optional.

    ``framework`` is the top-level module that must already be imported for
    the adapter to be consulted (splice never imports a framework itself).
    """

    framework = ""

    def plan_class(self, claim: ClassClaim) -> bool:
        """Claim a live class whose body changed: plan its steps (or refuse); True if claimed."""
        return False

    def plan_patch(self, patch: PatchPlan) -> None:
        """Look at the whole planned patch: add first/last steps, warnings, or refuse."""

    def on_update(self, changes: tuple[Change, ...]) -> None:
        """After a committed patch, like ``splice.on_update`` callbacks."""


_loaded: dict[str, Adapter | None] = {}
_entry_points: dict[str, str] | None = None
_loading_lock = threading.Lock()


def active_adapters() -> list[Adapter]:
    """The adapters whose framework is imported, loading each the first time."""
    specs = _adapter_specs()
    active = []
    for framework, spec in specs.items():
        if framework not in sys.modules:
            continue
        if spec not in _loaded:
            with _loading_lock:
                if spec not in _loaded:
                    _loaded[spec] = _load(spec)
        adapter = _loaded[spec]
        if adapter is not None:
            active.append(adapter)
    return active


def _adapter_specs() -> dict[str, str]:
    """Module name -> ``module:attribute`` of its adapter (bundled ones, then entry points)."""
    global _entry_points
    if _entry_points is None:
        found: dict[str, str] = {}
        if os.environ.get("SPLICE_NO_ENTRY_POINTS") != "1":
            try:
                from importlib.metadata import entry_points

                for entry in entry_points(group=ENTRY_POINT_GROUP):
                    found.setdefault(entry.name, entry.value)
            except Exception:  # broken metadata of some distribution: the bundled ones still load
                logger.debug("splice: could not read the %s entry points", ENTRY_POINT_GROUP)
        _entry_points = found
    specs = dict(BUNDLED)
    for framework, spec in _entry_points.items():
        if spec not in specs.values():
            specs[framework] = spec
    return specs


def _load(spec: str) -> Adapter | None:
    module_name, _, attribute = spec.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            value = getattr(value, part)
        if isinstance(value, type):
            value = value()
    except Exception:
        logger.warning("splice: could not load the adapter %s", spec, exc_info=True)
        return None
    return value  # type: ignore[no-any-return]


def reset_adapters() -> None:
    """Forget loaded adapters and entry points (for tests that install new ones)."""
    global _entry_points
    with _loading_lock:
        _loaded.clear()
        _entry_points = None


def adapter_name(adapter: Adapter) -> str:
    return adapter.framework or type(adapter).__module__
