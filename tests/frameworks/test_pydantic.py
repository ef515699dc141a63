"""Pydantic v2 models under ``splice run`` (FastAPI on uvicorn): a changed model is rebuilt in place.

Checked through the app: what a POST validates and what it answers, and what
an instance stored before the patch serializes to afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import ServedApp, served

from engine.helpers import Live

pytest.importorskip("pydantic")
pytest.importorskip("fastapi")

APP = """\
import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, field_validator

app = FastAPI()
ITEMS = []


class Item(BaseModel):
    name: str
    price: float = 0

    def label(self):
        return self.name


class Order(BaseModel):
    item: Item
    count: int = 1


@app.post("/items")
def create_item(item: Item):
    ITEMS.append(item)
    return {"item": item.model_dump(), "label": item.label()}


@app.get("/items/first")
def first_item():
    return ITEMS[0].model_dump() if ITEMS else None


@app.get("/fields")
def fields():
    return sorted(Item.model_fields)


@app.post("/orders")
def create_order(order: Order):
    return order.model_dump()


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

FIELDS = "    name: str\n    price: float = 0\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    folder: Path = tmp_path_factory.mktemp("pydantic")
    with served(folder, APP, probe="/fields") as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    yield server
    server.restore(APP)
    server.kernel.evaluate("ITEMS.clear()")


def test_pydantic_added_field_validates_serializes_and_fills_old_instances(app: ServedApp) -> None:
    before = app.post("/items", {"name": "pen", "price": 2, "qty": 3})
    assert before == (200, {"item": {"name": "pen", "price": 2.0}, "label": "pen"})
    result = app.patch(APP.replace(FIELDS, FIELDS + "    qty: int = 1\n"))
    assert result.ok and result.changed == ("Item",), result
    assert app.get("/fields") == (200, ["name", "price", "qty"])
    assert app.post("/items", {"name": "ink", "qty": 3}) == (
        200,
        {"item": {"name": "ink", "price": 0.0, "qty": 3}, "label": "ink"},
    )
    assert app.post("/items", {"name": "ink", "qty": "many"})[0] == 422
    # The instance made before the patch keeps its data and gets the new default.
    assert app.get("/items/first") == (200, {"name": "pen", "price": 2.0, "qty": 1})
    # A model that uses Item as a field validates the new shape too.
    assert app.post("/orders", {"item": {"name": "a", "qty": 7}}) == (
        200,
        {"item": {"name": "a", "price": 0.0, "qty": 7}, "count": 1},
    )


def test_pydantic_added_validator_runs(app: ServedApp) -> None:
    validator = (
        '\n    @field_validator("name")\n    @classmethod\n'
        "    def shout(cls, value):\n        return value.upper()\n"
    )
    result = app.patch(APP.replace(FIELDS, FIELDS + validator))
    assert result.ok, result
    assert app.post("/items", {"name": "pen"})[1]["item"]["name"] == "PEN"
    # A validator's body is then patched in place like any method.
    result = app.patch(APP.replace(FIELDS, FIELDS + validator.replace("upper", "title")))
    assert result.ok, result
    assert app.post("/items", {"name": "pen"})[1]["item"]["name"] == "Pen"


def test_pydantic_removed_field_is_no_longer_validated_or_serialized(app: ServedApp) -> None:
    app.post("/items", {"name": "pen", "price": 2})
    result = app.patch(APP.replace(FIELDS, "    name: str\n"))
    assert result.ok, result
    assert app.post("/items", {"name": "ink", "price": "not a number"}) == (
        200,
        {"item": {"name": "ink"}, "label": "ink"},
    )
    assert app.get("/items/first") == (200, {"name": "pen"})


def test_pydantic_changed_field_type_and_default_apply(app: ServedApp) -> None:
    result = app.patch(APP.replace("    price: float = 0\n", "    price: int = 5\n"))
    assert result.ok, result
    assert app.post("/items", {"name": "pen"})[1]["item"] == {"name": "pen", "price": 5}
    assert app.post("/items", {"name": "pen", "price": 2.5})[0] == 422


def test_pydantic_method_body_edit_keeps_the_model(app: ServedApp) -> None:
    result = app.patch(APP.replace("        return self.name\n", "        return self.name * 2\n"))
    assert result.ok and result.changed == ("Item.label",), result
    assert app.post("/items", {"name": "pen"})[1]["label"] == "penpen"


def test_pydantic_required_field_with_live_instances_is_refused(app: ServedApp) -> None:
    app.post("/items", {"name": "pen"})
    result = app.patch(
        APP.replace(FIELDS, FIELDS + "    colour: str\n").replace(
            "        return self.name\n", "        return self.name * 2\n"
        )
    )
    assert not result.ok
    assert [error.code for error in result.errors] == ["pydantic-field-required"]
    assert "1 existing instance has no value" in result.errors[0].message
    # The method belongs to the refused class: it is refused with it, not held back.
    assert [finding for finding in result.skipped if finding.code == "held-back"] == []
    # Nothing changed: the model still validates the old shape.
    assert app.get("/fields") == (200, ["name", "price"])
    assert app.post("/items", {"name": "ink"})[1]["label"] == "ink"


def test_pydantic_model_with_a_subclass_made_by_a_function_is_refused(app: ServedApp) -> None:
    # Its class statement runs inside a function: splice cannot make it again.
    source = APP.replace(
        "class Order(BaseModel):",
        "def special():\n    class Special(Item):\n        pass\n\n    return Special\n\n\n"
        "class Order(BaseModel):",
    )
    assert app.patch(source).ok
    app.kernel.evaluate("globals().__setitem__('SPECIAL', special())")
    try:
        result = app.patch(source.replace(FIELDS, FIELDS + "    qty: int = 1\n"))
        assert [error.code for error in result.errors] == ["pydantic-model-subclassed"]
        assert "special.<locals>.Special" in result.errors[0].message
        assert app.get("/fields") == (200, ["name", "price"])
    finally:
        app.kernel.evaluate("globals().pop('SPECIAL') and __import__('gc').collect()")


MODELS = """\
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float = 0


saved = Item(name="pen", price=2)
"""


def test_pydantic_model_rebuilt_with_and_without_baseline(live: Live) -> None:
    module = live.load(MODELS)
    item_class = module.Item
    result = live.patch(
        module, MODELS.replace("    price: float = 0\n", "    price: float = 0\n    qty: int = 1\n")
    )
    assert result.ok and result.changed == ("Item",), result.errors
    assert module.Item is item_class
    assert list(module.Item.model_fields) == ["name", "price", "qty"]
    assert module.Item.model_validate({"name": "a", "qty": "3"}).qty == 3
    assert module.saved.model_dump() == {"name": "pen", "price": 2.0, "qty": 1}
    # Never a plain class attribute in place of a field.
    assert "qty" not in vars(module.Item)


def test_pydantic_unchanged_model_is_left_alone(live: Live) -> None:
    module = live.load(MODELS)
    validator = module.Item.__pydantic_validator__
    result = live.patch(module, MODELS + "\n\ndef extra():\n    return 1\n")
    assert result.ok and "Item" not in result.changed, result
    assert module.Item.__pydantic_validator__ is validator


def test_pydantic_added_serializer_and_config_apply(live: Live) -> None:
    module = live.load(MODELS)
    serializer = '\n    @field_serializer("price")\n    def cents(self, value):\n        return int(value * 100)\n'
    source = MODELS.replace(
        "from pydantic import BaseModel",
        "from pydantic import BaseModel, ConfigDict, field_serializer",
    )
    source = source.replace("    price: float = 0\n", "    price: float = 0\n" + serializer)
    assert live.patch(module, source).ok
    assert module.Item(name="a", price=1.5).model_dump() == {"name": "a", "price": 150}
    strict = source.replace(
        "    name: str\n", '    model_config = ConfigDict(extra="forbid")\n\n    name: str\n'
    )
    assert live.patch(module, strict).ok
    with pytest.raises(Exception, match="Extra inputs are not permitted"):
        module.Item.model_validate({"name": "a", "colour": "red"})


def test_pydantic_rebuild_is_undone_when_a_later_step_fails(live: Live) -> None:
    module = live.load(MODELS)
    source = MODELS.replace("    price: float = 0\n", "    price: float = 0\n    qty: int = 1\n")
    source += "\n\ndef explode(function):\n    raise RuntimeError('no')\n"
    failing = source + "\n\n@explode\ndef later():\n    pass\n"
    result = live.patch(module, failing)
    assert [error.code for error in result.errors] == ["apply-failed"]
    assert list(module.Item.model_fields) == ["name", "price"]
    assert module.Item.model_validate({"name": "a", "qty": 3}).model_dump() == {
        "name": "a",
        "price": 0.0,
    }
    assert module.saved.model_dump() == {"name": "pen", "price": 2.0}
