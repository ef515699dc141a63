"""FastAPI with routers and the tutorial's models across modules, under ``splice run`` (uvicorn).

Each edit is judged as issue 19 asks: the live server answers the same
requests as a fresh start of the edited program, or a finding names the
difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import ServedApp, fresh_answers, served

from engine.helpers import Live

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

MAIN = """\
import sys

import uvicorn
from fastapi import FastAPI

from routers import items, users

app = FastAPI(title="shop")
app.include_router(items.router)
app.include_router(users.router)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

USERS = """\
from fastapi import APIRouter

router = APIRouter(prefix="/users", tags=["users"])

USERS = ["ada", "grace"]


@router.get("/")
def list_users():
    return {"users": USERS}
"""

MODELS = """\
from pydantic import BaseModel, Field


class ItemBase(BaseModel):
    name: str
    price: float = Field(gt=0)


class ItemCreate(ItemBase):
    pass


class ItemOut(ItemBase):
    id: int
"""

ITEMS = """\
from fastapi import APIRouter

from models import ItemCreate, ItemOut

router = APIRouter(prefix="/items", tags=["items"])

ITEMS = [ItemOut(id=1, name="coffee", price=3.5), ItemOut(id=2, name="tea", price=0.5)]


@router.get("/", response_model=list[ItemOut])
def list_items():
    return [{**item.model_dump(), "secret": 1} for item in ITEMS]


@router.post("/", response_model=ItemOut)
def create_item(item: ItemCreate):
    return ItemOut(id=len(ITEMS) + 1, **item.model_dump())
"""

FILES = {"routers/__init__.py": "", "routers/users.py": USERS, "routers/items.py": ITEMS}
FILES_MODELS = {"models.py": MODELS}
PATHS = ["/users/", "/people/", "/people/all", "/users/all", "/items/", "/openapi.json"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("routers")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[ServedApp]:
    with served(folder, MAIN, probe="/users/", files={**FILES, **FILES_MODELS}) as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    yield server
    for module, text in (("routers.users", USERS), ("models", MODELS), ("routers.items", ITEMS)):
        result = server.patch(text, module=module)
        assert result.ok, result.errors


def compare(app: ServedApp, folder: Path, files: dict[str, str]) -> dict[str, object]:
    live = {path: app.get(path) for path in PATHS}
    assert live == fresh_answers(folder, PATHS, files, probe="/openapi.json")
    return live


def test_router_prefix_change_moves_every_route_of_the_router(app: ServedApp, folder: Path) -> None:
    edited = USERS.replace('prefix="/users"', 'prefix="/people"')
    result = app.patch(edited, module="routers.users")
    assert result.ok, result.errors
    # Applied, not skipped: the statement's product (the router) is up to date.
    assert result.skipped == (), result.skipped
    live = compare(app, folder, {"routers/users.py": edited})
    assert live["/people/"] == (200, {"users": ["ada", "grace"]})
    assert live["/users/"][0] == 404


def test_route_edited_after_a_prefix_change_never_mixes_old_prefix_and_new_path(
    app: ServedApp, folder: Path
) -> None:
    prefixed = USERS.replace('prefix="/users"', 'prefix="/people"')
    assert app.patch(prefixed, module="routers.users").ok
    edited = prefixed.replace('@router.get("/")', '@router.get("/all")')
    result = app.patch(edited, module="routers.users")
    assert result.ok, result.errors
    live = compare(app, folder, {"routers/users.py": edited})
    assert live["/people/all"][0] == 200
    assert live["/users/all"][0] == 404


def test_router_prefix_and_route_path_in_one_save(app: ServedApp, folder: Path) -> None:
    edited = USERS.replace('prefix="/users"', 'prefix="/people"').replace(
        '@router.get("/")', '@router.get("/all")'
    )
    result = app.patch(edited, module="routers.users")
    assert result.ok, result.errors
    live = compare(app, folder, {"routers/users.py": edited})
    assert live["/people/all"][0] == 200 and live["/people/"][0] == 404


def test_router_setting_a_route_mixes_with_its_own_is_named(app: ServedApp) -> None:
    edited = USERS.replace('tags=["users"]', 'tags=["users"], deprecated=True')
    result = app.patch(edited, module="routers.users")
    assert result.ok, result.errors
    [warning] = [finding for finding in result.skipped if finding.code == "fastapi-router-setting"]
    assert warning.line == 3 and "deprecated" in warning.message


def test_field_added_to_a_base_model_reaches_its_subclasses(app: ServedApp, folder: Path) -> None:
    edited = MODELS.replace(
        "    price: float = Field(gt=0)\n",
        "    price: float = Field(gt=0)\n    in_stock: bool = True\n",
    )
    result = app.patch(edited, module="models")
    assert result.ok and result.changed == ("ItemBase",), result.errors
    live = compare(app, folder, {"models.py": edited})
    # The response model still filters (no "secret"), with the new field.
    assert live["/items/"][1][0] == {"name": "coffee", "price": 3.5, "in_stock": True, "id": 1}
    created = app.post("/items/", {"name": "cake", "price": 2.5})
    assert created == (200, {"name": "cake", "price": 2.5, "in_stock": True, "id": 3})
    assert app.kernel.evaluate("ItemOut.model_fields['in_stock'].default", "models") == "True"


def test_constraint_that_live_data_violates_is_applied_and_named(app: ServedApp) -> None:
    edited = MODELS.replace("Field(gt=0)", "Field(gt=1)")
    result = app.patch(edited, module="models")
    assert result.ok, result.errors
    [warning] = [f for f in result.skipped if f.code == "pydantic-live-data-invalid"]
    assert warning.line == 6  # the field whose new constraint the data fails
    assert "routers.items.ITEMS" in warning.message and "greater than 1" in warning.message
    assert app.post("/items/", {"name": "gum", "price": 0.5})[0] == 422


ONE_MODULE = """\
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel


class Base(BaseModel):
    name: str


class Out(Base):
    id: int


router = APIRouter(prefix="/users", tags=["users"])


@router.get("/")
def list_users():
    return []


app = FastAPI()
app.include_router(router)
SAVED = Out(id=1, name="ada")
"""


def paths(router: object) -> list[tuple[str, list[object]]]:
    return sorted((route.path, route.tags) for route in router.routes)  # type: ignore[attr-defined]


def test_router_prefix_and_subclass_rebuild_with_and_without_baseline(live: Live) -> None:
    module = live.load(ONE_MODULE)
    out = module.Out
    edited = ONE_MODULE.replace(
        'prefix="/users", tags=["users"]', 'prefix="/people", tags=["people"]'
    )
    edited = edited.replace("    name: str\n", "    name: str\n    active: bool = True\n")
    result = live.patch(module, edited)
    assert result.ok, result.errors
    fresh = live.fresh(edited)
    assert paths(module.router) == paths(fresh.router) == [("/people/", ["people"])]
    assert module.Out is out
    assert list(out.model_fields) == list(fresh.Out.model_fields) == ["name", "active", "id"]
    assert module.SAVED.model_dump() == {"name": "ada", "active": True, "id": 1}


GREETER = '''\
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello():
    """Says hello."""
    return {"message": "hello"}
'''


def test_body_only_edit_reads_no_router_and_a_docstring_edit_does(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    import splice.adapters.fastapi as adapter

    module = live.load(GREETER)
    [route] = [r for r in module.app.routes if getattr(r, "path", None) == "/hello"]
    scans: list[int] = []
    every_global = adapter.module_globals

    def counted() -> Iterator[object]:
        scans.append(1)
        return every_global()

    monkeypatch.setattr(adapter, "module_globals", counted)
    body = GREETER.replace('"hello"}', '"hi"}')
    assert live.patch(module, body).ok
    assert route.endpoint() == {"message": "hi"}
    # With a baseline the diff shows only the body changed: the route holds the
    # same function, now running the new code. Without one, routers are looked at.
    assert bool(scans) is not live.baseline
    documented = body.replace("Says hello.", "Says hi.")
    assert live.repatch(module, documented).ok
    assert route.description == "Says hi."
    assert scans
