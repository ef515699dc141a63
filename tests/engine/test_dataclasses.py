"""Dataclass fields change in place: the machinery is regenerated on the live class."""

from __future__ import annotations

import dataclasses

from engine.helpers import Live, codes, ok

POINT = """\
from dataclasses import dataclass, field

@dataclass
class Point:
    x: int
    y: int = 0

    def total(self):
        return self.x + self.y
"""

WITH_Z = POINT.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")


def test_dataclass_field_added_new_instances_get_it(live: Live) -> None:
    module = live.load(POINT)
    result = ok(live.patch(module, WITH_Z))
    assert result.changed == ("Point",)
    point = module.Point(1, 2, 3)
    assert point.z == 3
    assert module.Point(1).z == 5


def test_dataclass_field_added_regenerates_repr_and_eq(live: Live) -> None:
    module = live.load(POINT)
    ok(live.patch(module, WITH_Z))
    assert repr(module.Point(1, 2, 3)) == "Point(x=1, y=2, z=3)"
    assert module.Point(1, 2, 3) != module.Point(1, 2, 4)


def test_dataclass_field_added_updates_fields_and_match_args(live: Live) -> None:
    module = live.load(POINT)
    ok(live.patch(module, WITH_Z))
    assert [field.name for field in dataclasses.fields(module.Point)] == ["x", "y", "z"]
    assert module.Point.__match_args__ == ("x", "y", "z")


def test_dataclass_field_added_keeps_class_and_instances(live: Live) -> None:
    module = live.load(POINT)
    cls = module.Point
    existing = module.Point(1, 2)
    ok(live.patch(module, WITH_Z))
    assert module.Point is cls
    assert isinstance(existing, module.Point)
    assert (existing.x, existing.y) == (1, 2)
    assert existing.total() == 3


def test_dataclass_field_removed_drops_it_from_init(live: Live) -> None:
    module = live.load(WITH_Z)
    ok(live.patch(module, POINT))
    assert [field.name for field in dataclasses.fields(module.Point)] == ["x", "y"]
    assert repr(module.Point(1, 2)) == "Point(x=1, y=2)"
    assert "z" not in vars(module.Point)


def test_dataclass_field_default_changed(live: Live) -> None:
    module = live.load(POINT)
    ok(live.patch(module, POINT.replace("y: int = 0", "y: int = 7")))
    assert module.Point(1).y == 7


def test_dataclass_field_default_factory_added(live: Live) -> None:
    module = live.load(POINT)
    after = POINT.replace(
        "    y: int = 0\n", "    y: int = 0\n    tags: list = field(default_factory=list)\n"
    )
    ok(live.patch(module, after))
    first, second = module.Point(1), module.Point(1)
    assert first.tags == []
    assert first.tags is not second.tags


def test_dataclass_method_and_field_change_together(live: Live) -> None:
    module = live.load(POINT)
    after = WITH_Z.replace("self.x + self.y", "self.x + self.y + self.z")
    ok(live.patch(module, after))
    assert module.Point(1, 2, 3).total() == 6


def test_dataclass_frozen_field_added(live: Live) -> None:
    source = POINT.replace("@dataclass", "@dataclass(frozen=True)")
    module = live.load(source)
    ok(live.patch(module, source.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")))
    point = module.Point(1)
    assert point.z == 5
    try:
        point.z = 6  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a frozen dataclass accepted an assignment after the patch")


def test_dataclass_slots_field_added_refused(live: Live) -> None:
    source = POINT.replace("@dataclass", "@dataclass(slots=True)")
    module = live.load(source)
    result = live.patch(
        module, source.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")
    )
    assert not result.ok
    assert codes(result.errors) == ["dataclass-slots"]
    assert result.errors[0].line == 3
    assert [field.name for field in dataclasses.fields(module.Point)] == ["x", "y"]
    assert module.Point(1, 2).total() == 3


def test_dataclass_field_annotation_error_refused(live: Live) -> None:
    module = live.load(POINT)
    result = live.patch(
        module, POINT.replace("    y: int = 0\n", "    y: int = 0\n    z: Missing = 1\n")
    )
    assert codes(result.errors) == ["dataclass-field-failed"]
    assert [field.name for field in dataclasses.fields(module.Point)] == ["x", "y"]


def test_dataclass_failed_regeneration_rolls_back(live: Live) -> None:
    # A field without a default after one with a default: dataclass raises at commit.
    module = live.load(POINT)
    existing_init = module.Point.__init__
    result = live.patch(module, POINT.replace("    y: int = 0\n", "    y: int = 0\n    z: int\n"))
    assert codes(result.errors) == ["apply-failed"]
    assert module.Point.__init__ is existing_init
    assert [field.name for field in dataclasses.fields(module.Point)] == ["x", "y"]
    assert module.Point(1, 2).total() == 3
