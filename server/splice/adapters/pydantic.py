"""Pydantic v2 models: a changed model is rebuilt in place, or the patch is refused.

A model's fields, validators, serializers and configuration become its
pydantic-core validator and serializer when the class is created; setting a
class attribute changes none of them. So when any of those changed, the new
class statement is run apart (while planning), its namespace is moved onto
the live class, and the live class's schema is rebuilt: validation,
``model_fields`` and serialization follow, references to the class stay
valid, and existing instances keep their data (a new field with a default
gets it). Models that use the changed one as a field type are rebuilt too.
Edits of method and validator bodies alone are patched in place as usual.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

import pydantic
from pydantic._internal import _decorators, _type_refs

from splice.adapters._classes import build_new, instances, snapshot, transplant
from splice.adapters.pydantic_family import Subclass, rejected_data, subclasses
from splice.engine.hooks import Adapter, ClassClaim

Undo = list[Callable[[], None]]

#: What the rebuild makes for the live class itself.
_REBUILT = ("__pydantic_core_schema__", "__pydantic_validator__", "__pydantic_serializer__")


def is_model(cls: type) -> bool:
    return (
        isinstance(cls, type)
        and issubclass(cls, pydantic.BaseModel)
        and cls is not pydantic.BaseModel
    )


def fields_of(cls: Any) -> dict[str, Any]:
    fields: dict[str, Any] = cls.__pydantic_fields__
    return fields


def is_pydantic_dataclass(cls: type) -> bool:
    return dataclasses.is_dataclass(cls) and "__pydantic_validator__" in vars(cls)


def shape(cls: Any) -> dict[str, Any]:
    """What of a model its validator and serializer are made from, comparable by value."""
    decorators = cls.__pydantic_decorators__
    return {
        "fields": {name: repr(info) for name, info in cls.__pydantic_fields__.items()},
        "decorators": {
            category.name: {
                name: repr(decorator.info)
                for name, decorator in getattr(decorators, category.name).items()
            }
            for category in dataclasses.fields(decorators)
        },
        "config": repr(dict(getattr(cls, "model_config", None) or {})),
        "private": {
            name: repr(value) for name, value in getattr(cls, "__private_attributes__", {}).items()
        },
        "class_vars": sorted(getattr(cls, "__class_vars__", ())),
    }


class PydanticAdapter(Adapter):
    framework = "pydantic"

    def plan_class(self, claim: ClassClaim) -> bool:
        live: Any = claim.live
        if not (is_model(live) or is_pydantic_dataclass(live)):
            return False
        if claim.only_bodies_changed():
            return False  # method bodies are patched in place as usual
        built, new = build_new(claim, "pydantic-model-failed")
        if not built:
            return True
        if not isinstance(new, type) or shape(new) == shape(live):
            return False  # only method bodies changed: patched in place as usual
        if is_pydantic_dataclass(live):
            claim.refuse(
                "pydantic-dataclass-changed",
                f"{claim.qualname}: cannot change the fields of a pydantic dataclass in place "
                "(its validator is built when it is created). Restart the program",
            )
            return True
        family, unreadable = subclasses(claim, live)
        if unreadable:
            claim.refuse(
                "pydantic-model-subclassed",
                f"{claim.qualname}: cannot rebuild this model in place: its subclasses "
                f"({', '.join(unreadable)}) copied its fields when they were created, and their "
                "class statements cannot be run again (made by a function or a generic "
                "parametrisation). Restart the program",
            )
            return True
        new_fields = fields_of(new)
        added = [name for name in new_fields if name not in fields_of(live)]
        required = [name for name in added if new_fields[name].is_required()]
        existing = [
            item for cls in (live, *(sub.live for sub in family)) for item in instances(cls)
        ]
        if required and existing:
            claim.refuse(
                "pydantic-field-required",
                f"{claim.qualname}: cannot add the required field"
                f"{'s' if len(required) > 1 else ''} {', '.join(required)} in place: "
                f"{len(existing)} existing instance{'s have' if len(existing) > 1 else ' has'} "
                "no value for it. Give it a default, or restart the program",
            )
            return True
        rejected = rejected_data(claim, new, [live, *(sub.live for sub in family)])
        if rejected is not None:
            message, line = rejected
            claim.planner.skip(
                "pydantic-live-data-invalid", message, "warning", qualname=claim.qualname, line=line
            )
        rebuild = ModelRebuild(live, new, claim.module.__dict__)
        rebuild.subclasses = family
        if claim.provisional or _has_model_base(live):
            # Again in the commit: once the new imports ran, or once a base that this
            # patch also rebuilds has its new fields.
            rebuild.build = claim.build
        claim.apply(f"rebuilding pydantic model {claim.qualname}", rebuild.commit)
        return True


class ModelRebuild:
    """Move a new model class's namespace onto the live one and rebuild its schema."""

    def __init__(self, live: type, new: type, namespace: dict[str, Any]) -> None:
        self.live = live
        self.namespace = namespace
        #: Set when the new class must be made again at commit time.
        self.build: Callable[[], Any] | None = None
        #: Subclasses to make again from their statements once this model is rebuilt.
        self.subclasses: list[Subclass] = []
        self.prepare(new)

    def prepare(self, new: type) -> None:
        self.new = new
        old_fields = fields_of(self.live)
        new_fields = fields_of(new)
        self.removed = [name for name in old_fields if name not in new_fields]
        self.defaults = {
            name: info
            for name, info in new_fields.items()
            if name not in old_fields and not info.is_required()
        }

    def commit(self, undo: Undo) -> None:
        if self.build is not None:
            self.prepare(self.build())
        live, new = self.live, self.new
        snapshot(live, undo)
        # The live validator and serializer keep serving (the old shape) until
        # the rebuild replaces them: the new class's would make its instances.
        transplant(live, new, undo, keep=_REBUILT)
        live.__pydantic_decorators__ = _bound_decorators(new, live)  # type: ignore[attr-defined]
        # Schema generation would reuse a core schema it finds on the class.
        if "__pydantic_core_schema__" in vars(live):
            delattr(live, "__pydantic_core_schema__")
        live.__pydantic_complete__ = False  # type: ignore[attr-defined]
        live.model_rebuild(force=True, _types_namespace=self.namespace)  # type: ignore[attr-defined]
        if not live.__pydantic_complete__:  # type: ignore[attr-defined]
            raise TypeError(f"pydantic could not rebuild {live.__qualname__}")
        self._update_instances(undo)
        for subclass in self.subclasses:
            # Parents first: each one's statement runs on its rebuilt base.
            ModelRebuild(subclass.live, subclass.build(), vars(subclass.module)).commit(undo)
        for dependent in _dependents(live):
            snapshot(dependent, undo)
            dependent.model_rebuild(force=True, _types_namespace=self.namespace)

    def _update_instances(self, undo: Undo) -> None:
        if not (self.removed or self.defaults):
            return
        for instance in instances(self.live):
            values = instance.__dict__
            before = dict(values)
            fields_set = getattr(instance, "__pydantic_fields_set__", None)
            fields_set_before = set(fields_set) if isinstance(fields_set, set) else None
            for name in self.removed:
                values.pop(name, None)
                if fields_set is not None:
                    fields_set.discard(name)
            for name, info in self.defaults.items():
                if name not in values:
                    values[name] = info.get_default(
                        call_default_factory=True, validated_data=values
                    )

            def restore(
                values: dict[str, Any] = values,
                before: dict[str, Any] = before,
                fields_set: Any = fields_set,
                old: Any = fields_set_before,
            ) -> None:
                values.clear()
                values.update(before)
                if old is not None:
                    fields_set.clear()
                    fields_set.update(old)

            undo.append(restore)


def _has_model_base(cls: type) -> bool:
    return any(is_model(base) for base in cls.__mro__[1:])


def _bound_decorators(new: Any, live: type) -> Any:
    """The new class's decorators, those of its own body bound to the live class."""
    infos = new.__pydantic_decorators__
    new_ref = _type_refs.any_class_type_ref(new)
    live_ref = _type_refs.any_class_type_ref(live)
    rebound = _decorators.DecoratorInfos()
    for category in dataclasses.fields(infos):
        target = getattr(rebound, category.name)
        for name, decorator in getattr(infos, category.name).items():
            own = decorator.cls_ref == new_ref
            target[name] = decorator.bind_to_cls(live, live_ref) if own else decorator
    return rebound


def _dependents(model: type) -> list[Any]:
    """Other models with a field whose type mentions ``model``: their schemas embed its own."""
    found: list[Any] = []
    pending: list[Any] = list(pydantic.BaseModel.__subclasses__())
    seen: set[int] = set()
    while pending:
        cls = pending.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        pending.extend(cls.__subclasses__())
        if cls is model or not getattr(cls, "__pydantic_complete__", False):
            continue
        fields = getattr(cls, "__pydantic_fields__", {})
        if any(_mentions(info.annotation, model) for info in fields.values()):
            found.append(cls)
    return found


def _mentions(annotation: Any, model: type, depth: int = 0) -> bool:
    if annotation is model:
        return True
    if depth > 8:
        return False
    return any(_mentions(argument, model, depth + 1) for argument in typing.get_args(annotation))


adapter = PydanticAdapter()
