"""Flask under ``splice run`` (its own server): added, removed and changed routes and methods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("flask")

from served_app import ServedApp, fresh_answers, served  # noqa: E402

APP = """\
import sys

import attrs
from flask import Blueprint, Flask, jsonify

app = Flask(__name__)
parts = Blueprint("parts", __name__)
spare = Blueprint("spare", __name__)


@parts.route("/part")
def part():
    return jsonify(part=1)


app.register_blueprint(parts, url_prefix="/p")
app.register_blueprint(spare, url_prefix="/s")


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
def server_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flask")


@pytest.fixture(scope="module")
def server(server_folder: Path) -> Iterator[ServedApp]:
    with served(server_folder, APP, probe="/hello") as app:
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


def test_flask_blueprint_route_path_change_serves_the_new_path_under_its_prefix(
    app: ServedApp, server_folder: Path
) -> None:
    edited = APP.replace('@parts.route("/part")', '@parts.route("/piece")')
    result = app.patch(edited)
    assert result.ok and result.rebound == ("part",), result
    probes = ["/p/piece", "/p/part", "/piece"]
    live = {path: app.get(path) for path in probes}
    assert live == {
        "/p/piece": (200, {"part": 1}),
        "/p/part": (404, live["/p/part"][1]),
        "/piece": live["/piece"],
    }
    assert live["/piece"][0] == 404
    assert live == fresh_answers(server_folder, probes, {"app.py": edited}, probe="/hello")
    # The blueprint records the new route only: a later registration brings no old one back.
    assert app.kernel.evaluate("len(parts.deferred_functions)") == "1"


def test_flask_blueprint_route_added_serves_under_its_prefix(
    app: ServedApp, server_folder: Path
) -> None:
    edited = APP.replace(
        "\n\napp.register_blueprint(parts",
        '\n\n@parts.route("/more/<int:count>")\ndef more(count):\n    return jsonify(more=count)\n'
        "\n\napp.register_blueprint(parts",
    )
    result = app.patch(edited)
    assert result.ok and result.added == ("more",), result
    probes = ["/p/more/3", "/more/3", "/p/part"]
    live = {path: app.get(path) for path in probes}
    assert live["/p/more/3"] == (200, {"more": 3}) and live["/more/3"][0] == 404
    assert live == fresh_answers(server_folder, probes, {"app.py": edited}, probe="/hello")
    assert app.kernel.evaluate("app._got_first_request") == "True"


def test_flask_route_on_a_blueprint_with_no_route_yet_is_refused_holding_nothing_half_applied(
    app: ServedApp,
) -> None:
    # Its URL prefix lives only in the register_blueprint call: not guessed.
    result = app.patch(
        APP.replace(
            "\n\napp.register_blueprint(parts",
            '\n\n@spare.route("/one")\ndef one():\n    return jsonify(one=1)\n'
            "\n\napp.register_blueprint(parts",
        ).replace('message="hello world"', 'message="changed"')
    )
    assert [error.code for error in result.errors] == ["flask-blueprint-route"]
    assert "spare" in result.errors[0].message
    assert app.get("/s/one")[0] == 404
    assert app.get("/hello") == (200, {"message": "hello world"})
    assert [f.qualname for f in result.skipped if f.code == "held-back"] == ["hello"]
    assert app.kernel.evaluate("spare._got_registered_once") == "True"


def test_flask_attrs_class_fields_follow_in_the_served_app(app: ServedApp) -> None:
    pytest.importorskip("attrs")
    assert app.get("/point") == (200, {"point": "Point(x=1, y=0)"})
    result = app.patch(APP.replace("    y: int = 0\n", "    y: int = 0\n    z: int = 5\n"))
    assert result.ok and result.changed == ("Point",), result
    assert app.get("/point") == (200, {"point": "Point(x=1, y=0, z=5)"})
