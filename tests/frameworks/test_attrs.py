"""attrs classes: changed fields regenerate the live class, with and without a baseline."""

from __future__ import annotations

import pytest

from engine.helpers import Live

attr = pytest.importorskip("attr")

SOURCE = """\
import attrs


@attrs.define(slots=False)
class Point:
    x: int
    y: int = 0

    def norm(self):
        return abs(self.x) + abs(self.y)


@attrs.define
class Slotted:
    a: int = 1


saved = Point(3, 4)
"""


def test_attrs_added_field_is_initialised_repr_and_compared(live: Live) -> None:
    module = live.load(SOURCE)
    point_class, saved = module.Point, module.saved
    result = live.patch(
        module, SOURCE.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")
    )
    assert result.ok and result.changed == ("Point",), result.errors
    assert module.Point is point_class
    point = module.Point(1, 2, 3)
    assert (point.z, repr(point)) == (3, "Point(x=1, y=2, z=3)")
    assert [field.name for field in attr.fields(module.Point)] == ["x", "y", "z"]
    assert module.Point(1) == module.Point(1, 0, 5)
    # The instance made before the patch keeps its data and gets the new default.
    assert (saved.x, saved.y, saved.z, saved.norm()) == (3, 4, 5, 7)


def test_attrs_removed_field_is_gone_from_init_and_instances(live: Live) -> None:
    module = live.load(SOURCE)
    source = SOURCE.replace("    y: int = 0\n", "").replace(" + abs(self.y)", "")
    assert live.patch(module, source).ok
    assert repr(module.Point(1)) == "Point(x=1)"
    with pytest.raises(TypeError):
        module.Point(1, 2)
    assert vars(module.saved) == {"x": 3}


def test_attrs_changed_default_applies(live: Live) -> None:
    module = live.load(SOURCE)
    assert live.patch(module, SOURCE.replace("    y: int = 0\n", "    y: int = 9\n")).ok
    assert module.Point(1).y == 9


def test_attrs_method_edit_is_patched_in_place(live: Live) -> None:
    module = live.load(SOURCE)
    norm = module.Point.norm
    result = live.patch(module, SOURCE.replace("abs(self.x) + abs(self.y)", "self.x * self.y"))
    assert result.ok and result.changed == ("Point.norm",), result.errors
    assert module.Point.norm is norm and module.saved.norm() == 12


def test_attrs_slotted_class_fields_are_refused(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(
        module, SOURCE.replace("    a: int = 1\n", "    a: int = 1\n    b: int = 2\n")
    )
    assert [error.code for error in result.errors] == ["attrs-slots"]
    assert repr(module.Slotted()) == "Slotted(a=1)"


def test_attrs_required_field_with_instances_is_refused(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE.replace("    x: int\n", "    w: int\n    x: int\n"))
    assert [error.code for error in result.errors] == ["attrs-field-required"]
    assert "1 existing instance has no value for it" in result.errors[0].message
    assert repr(module.Point(1)) == "Point(x=1, y=0)"


def test_attrs_class_statement_that_raises_is_refused(live: Live) -> None:
    module = live.load(SOURCE)
    # attrs itself refuses a mandatory field after one with a default.
    result = live.patch(module, SOURCE.replace("    y: int = 0\n", "    y: int = 0\n    w: int\n"))
    assert [error.code for error in result.errors] == ["attrs-class-failed"]
    assert "No mandatory attributes allowed after an attribute with a default" in (
        result.errors[0].message
    )
    assert repr(module.Point(1)) == "Point(x=1, y=0)"
