"""attrs classes: changed fields regenerate the class's methods in place, or are refused.

attrs writes ``__init__``, ``__repr__``, ``__eq__``, ``__attrs_attrs__`` and
the rest when the class is created, from its fields; a new field set as a
class attribute would change none of them. When the fields changed, the new
class statement runs apart (while planning) and its namespace moves onto the
live class, as a changed dataclass is regenerated: references to the class
stay valid, existing instances keep their data and get the default of a new
field. A slotted class (``@attrs.define``'s default) has its instance layout
fixed at creation, so its fields cannot change in place: that is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attr

from splice.adapters._classes import build_new, instances, snapshot, transplant
from splice.engine.hooks import Adapter, ClassClaim

Undo = list[Callable[[], None]]


def shape(cls: Any) -> list[str]:
    return [repr(attribute) for attribute in cls.__attrs_attrs__]


class AttrsAdapter(Adapter):
    framework = "attr"

    def plan_class(self, claim: ClassClaim) -> bool:
        live: Any = claim.live
        if "__attrs_attrs__" not in vars(live):
            return False
        if claim.only_bodies_changed():
            return False  # method bodies are patched in place as usual
        built, new = build_new(claim, "attrs-class-failed")
        if not built:
            return True
        if not isinstance(new, type) or not attr.has(new) or shape(new) == shape(live):
            return False  # only methods changed: patched in place as usual
        if "__slots__" in vars(live) or "__slots__" in vars(new):
            claim.refuse(
                "attrs-slots",
                f"{claim.qualname}: cannot change the fields of a slotted attrs class in place "
                "(@attrs.define makes slotted classes; their layout is fixed when they are "
                "created). Use @attrs.define(slots=False) to edit fields live, or restart",
            )
            return True
        old_names = {attribute.name for attribute in live.__attrs_attrs__}
        added = [a for a in new.__attrs_attrs__ if a.name not in old_names]
        required = [a.name for a in added if a.default is attr.NOTHING]
        existing = instances(live)
        if required and existing:
            claim.refuse(
                "attrs-field-required",
                f"{claim.qualname}: cannot add the field{'s' if len(required) > 1 else ''} "
                f"{', '.join(required)} without a default in place: {len(existing)} existing "
                f"instance{'s have' if len(existing) > 1 else ' has'} no value for it. Give it "
                "a default, or restart the program",
            )
            return True
        new_names = {attribute.name for attribute in new.__attrs_attrs__}
        removed = [name for name in old_names if name not in new_names]

        provisional = claim.provisional

        def regenerate(undo: Undo) -> None:
            # Made again once this save's new imports ran, when they were needed.
            made = claim.build() if provisional else new
            snapshot(live, undo)
            transplant(live, made, undo)
            for instance in instances(live):
                values = vars(instance)
                before = dict(values)
                for name in removed:
                    values.pop(name, None)
                for attribute in added:
                    if attribute.name not in values:
                        values[attribute.name] = _default(attribute, instance)
                undo.append(_restorer(values, before))

        claim.apply(f"regenerating attrs class {claim.qualname}", regenerate)
        return True


def _default(attribute: Any, instance: Any) -> Any:
    default = attribute.default
    if isinstance(default, attr.Factory):  # type: ignore[arg-type]
        factory: Any = default.factory
        return factory(instance) if default.takes_self else factory()
    return default


def _restorer(values: dict[str, Any], before: dict[str, Any]) -> Callable[[], None]:
    def restore() -> None:
        values.clear()
        values.update(before)

    return restore


adapter = AttrsAdapter()
