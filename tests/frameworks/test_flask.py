"""Flask under ``splice run`` (its own server): added, removed and changed routes and methods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("flask")

from served_app import ServedApp, served  # noqa: E402

APP = """\
import sys

import attrs
from flask import Blueprint, Flask, jsonify

app = Flask(__name__)
parts = Blueprint("parts", __name__)


@parts.route("/part")
def part():
    return jsonify(part=1)


app.register_blueprint(parts)


@app.route("/hello")
def hello():
    return jsonify(message="hello world")


@app.route("/old")
def old_path():
    return jsonify(path="old")


@attrs.define(slots=False)
class Point:
    x: int
    y: int = 0


@app.route("/point")
def point():
    return jsonify(point=repr(Point(1)))


@app.route("/doomed")
def doomed():
    return jsonify(doomed=True)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    folder: Path = tmp_path_factory.mktemp("flask")
    with served(folder, APP, probe="/hello") as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    assert server.get("/hello")[0] == 200  # the app has served: Flask's setup is closed
    yield server
    server.restore(APP)


def test_flask_changed_view_body_applies(app: ServedApp) -> None:
    result = app.patch(APP.replace('message="hello world"', 'message="hello there"'))
    assert result.ok and result.changed == ("hello",), result
    assert app.get("/hello") == (200, {"message": "hello there"})


def test_flask_added_route_serves_after_the_first_request(app: ServedApp) -> None:
    assert app.get("/added")[0] == 404
    result = app.patch(
        APP.replace(
            "\n\nif __name__",
            '\n\n@app.route("/added/<name>")\ndef added(name):\n    return jsonify(name=name)\n'
            "\n\nif __name__",
        )
    )
    assert result.ok and result.added == ("added",), result
    assert app.get("/added/ada") == (200, {"name": "ada"})
    # Flask's guard against late setup is back in place.
    assert app.kernel.evaluate("app._got_first_request") == "True"


def test_flask_removed_route_stops_serving(app: ServedApp) -> None:
    assert app.get("/doomed") == (200, {"doomed": True})
    result = app.patch(
        APP.replace('@app.route("/doomed")\ndef doomed():\n    return jsonify(doomed=True)\n', "")
    )
    assert result.ok and result.deleted == ("doomed",), result
    assert app.get("/doomed")[0] == 404
    assert app.kernel.evaluate("'doomed' in app.view_functions") == "False"


def test_flask_repathed_route_serves_only_the_new_path(app: ServedApp) -> None:
    result = app.patch(APP.replace('@app.route("/old")', '@app.route("/new")'))
    assert result.ok and result.rebound == ("old_path",), result
    assert app.get("/new") == (200, {"path": "old"})
    assert app.get("/old")[0] == 404
    rules = app.kernel.evaluate("[rule.rule for rule in app.url_map.iter_rules('old_path')]")
    assert rules == "['/new']"


def test_flask_changed_methods_apply(app: ServedApp) -> None:
    assert app.post("/old")[0] == 405
    result = app.patch(APP.replace('@app.route("/old")', '@app.route("/old", methods=["POST"])'))
    assert result.ok, result
    assert app.post("/old") == (200, {"path": "old"})
    assert app.get("/old")[0] == 405


def test_flask_refused_route_holds_nothing_half_applied(app: ServedApp) -> None:
    result = app.patch(
        APP.replace('@parts.route("/part")', '@parts.route("/part2")').replace(
            'message="hello world"', 'message="changed"'
        )
    )
    assert [error.code for error in result.errors] == ["flask-blueprint-route"]
    assert app.get("/part") == (200, {"part": 1})
    assert app.get("/hello") == (200, {"message": "hello world"})
    assert [f.qualname for f in result.skipped if f.code == "held-back"] == ["hello"]


def test_flask_attrs_class_fields_follow_in_the_served_app(app: ServedApp) -> None:
    pytest.importorskip("attrs")
    assert app.get("/point") == (200, {"point": "Point(x=1, y=0)"})
    result = app.patch(APP.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n"))
    assert result.ok and result.changed == ("Point",), result
    assert app.get("/point") == (200, {"point": "Point(x=1, y=0, z=5)"})
