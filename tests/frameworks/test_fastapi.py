"""FastAPI under ``splice run`` (uvicorn): endpoint signatures and routes follow each patch.

One server serves the module; each test patches the app, checks it through
real HTTP requests, and patches the original text back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import ServedApp, served

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

APP = """\
import sys

import uvicorn
from fastapi import Depends, FastAPI
from pydantic import BaseModel

app = FastAPI()


def settings():
    return {"greeting": "hi"}


class Public(BaseModel):
    price: int


@app.get("/hello")
def hello():
    return {"message": "hello world"}


@app.get("/old")
def old_path():
    return {"path": "old"}


@app.get("/doomed")
def doomed():
    return {"doomed": True}


@app.get("/price")
def price():
    return {"price": 3, "secret": "s"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

HELLO = """\
def hello():
    return {"message": "hello world"}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    folder: Path = tmp_path_factory.mktemp("fastapi")
    with served(folder, APP, probe="/hello") as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    yield server
    server.restore(APP)


def with_hello(text: str) -> str:
    return APP.replace(HELLO, text)


def test_fastapi_added_query_parameter_and_new_default_are_used(app: ServedApp) -> None:
    assert app.get("/hello?name=ada") == (200, {"message": "hello world"})
    result = app.patch(
        with_hello('def hello(name: str = "world"):\n    return {"message": f"hello {name}"}\n')
    )
    assert result.ok and result.changed == ("hello",), result
    assert app.get("/hello?name=ada") == (200, {"message": "hello ada"})
    assert app.get("/hello") == (200, {"message": "hello world"})
    app.patch(
        with_hello('def hello(name: str = "there"):\n    return {"message": f"hello {name}"}\n')
    )
    assert app.get("/hello") == (200, {"message": "hello there"})


def test_fastapi_changed_parameter_type_validates_the_new_type(app: ServedApp) -> None:
    app.patch(with_hello('def hello(count: int = 1):\n    return {"count": count}\n'))
    assert app.get("/hello?count=2") == (200, {"count": 2})
    assert app.get("/hello?count=abc")[0] == 422
    app.patch(with_hello('def hello(count: str = "1"):\n    return {"count": count}\n'))
    assert app.get("/hello?count=abc") == (200, {"count": "abc"})


def test_fastapi_added_dependency_is_injected(app: ServedApp) -> None:
    result = app.patch(
        with_hello(
            "def hello(config: dict = Depends(settings)):\n"
            '    return {"message": config["greeting"]}\n'
        )
    )
    assert result.ok, result
    assert app.get("/hello") == (200, {"message": "hi"})


def test_fastapi_return_annotation_becomes_the_response_model(app: ServedApp) -> None:
    assert app.get("/price") == (200, {"price": 3, "secret": "s"})
    result = app.patch(APP.replace("def price():", "def price() -> Public:"))
    assert result.ok, result
    assert app.get("/price") == (200, {"price": 3})


def test_fastapi_decorator_response_model_applies(app: ServedApp) -> None:
    result = app.patch(
        APP.replace('@app.get("/price")', '@app.get("/price", response_model=Public)')
    )
    assert result.ok and result.rebound == ("price",), result
    assert app.get("/price") == (200, {"price": 3})


def test_fastapi_added_route_serves(app: ServedApp) -> None:
    assert app.get("/added")[0] == 404
    result = app.patch(
        APP + '\n\n@app.get("/added")\ndef added(x: int = 1):\n    return {"x": x}\n'
    )
    assert result.ok and result.added == ("added",), result
    assert app.get("/added?x=5") == (200, {"x": 5})


def test_fastapi_removed_route_stops_serving(app: ServedApp) -> None:
    assert app.get("/doomed") == (200, {"doomed": True})
    result = app.patch(
        APP.replace('@app.get("/doomed")\ndef doomed():\n    return {"doomed": True}\n', "")
    )
    assert result.ok and result.deleted == ("doomed",), result
    assert app.get("/doomed")[0] == 404


def test_fastapi_repathed_route_serves_only_the_new_path(app: ServedApp) -> None:
    result = app.patch(APP.replace('@app.get("/old")', '@app.get("/new")'))
    assert result.ok and result.rebound == ("old_path",), result
    assert app.get("/new") == (200, {"path": "old"})
    assert app.get("/old")[0] == 404
    status, schema = app.get("/openapi.json")
    assert status == 200 and "/new" in schema["paths"] and "/old" not in schema["paths"]


def test_fastapi_changed_method_answers_the_new_method_only(app: ServedApp) -> None:
    result = app.patch(APP.replace('@app.get("/old")', '@app.post("/old")'))
    assert result.ok, result
    assert app.post("/old") == (200, {"path": "old"})
    assert app.get("/old")[0] == 405


def test_fastapi_changed_dependency_signature_rebuilds_its_routes(app: ServedApp) -> None:
    source = with_hello(
        'def hello(config: dict = Depends(settings)):\n    return {"message": config["greeting"]}\n'
    )
    assert app.patch(source).ok
    assert app.get("/hello?loud=1") == (200, {"message": "hi"})
    result = app.patch(
        source.replace(
            'def settings():\n    return {"greeting": "hi"}',
            'def settings(loud: bool = False):\n    return {"greeting": "HI" if loud else "hi"}',
        )
    )
    assert result.ok and result.changed == ("settings",), result
    assert app.get("/hello?loud=1") == (200, {"message": "HI"})


def test_fastapi_signature_fastapi_rejects_undoes_the_whole_patch(app: ServedApp) -> None:
    source = (
        with_hello("def hello(weird: Weird):\n    return {}\n")
        .replace("class Public(BaseModel):", "class Weird:\n    pass\n\n\nclass Public(BaseModel):")
        .replace('return {"path": "old"}', 'return {"path": "changed"}')
    )
    result = app.patch(source)
    assert not result.ok
    [error] = result.errors
    assert error.code == "apply-failed"
    assert "updating FastAPI routes raised FastAPIError: Invalid args for response field" in (
        error.message
    )
    assert error.line == len(source.splitlines())
    # Everything was undone: the old signature, the old route, the other edit too.
    assert app.get("/hello?weird=1") == (200, {"message": "hello world"})
    assert app.get("/old") == (200, {"path": "old"})
