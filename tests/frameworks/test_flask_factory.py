"""A Flask app factory under ``splice run``: a changed factory reaches the app it built.

``wsgi.py`` does ``app = create_app()``; each edit changes ``create_app`` in
``shop/__init__.py``, and the live server must answer as a fresh start of the
edited program does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("flask")

from served_app import ServedApp, fresh_answers, served  # noqa: E402

from engine.helpers import Live  # noqa: E402

WSGI = """\
import sys

from shop import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
"""

FACTORY = """\
from flask import Flask, g, request

from shop import catalog


def create_app():
    app = Flask(__name__)
    app.config["GREETING"] = "welcome"
    app.register_blueprint(catalog.bp, url_prefix="/catalog")

    @app.before_request
    def identify():
        g.visitor = request.args.get("visitor", "guest")

    @app.route("/")
    def index():
        return {"greeting": app.config["GREETING"], "visitor": g.visitor}

    return app
"""

CATALOG = """\
from flask import Blueprint, current_app

bp = Blueprint("catalog", __name__)


@bp.route("/items")
def items():
    return {"items": [1, 2], "size": current_app.config.get("PAGE_SIZE", 2)}
"""

PROBES = ["/", "/?visitor=ada", "/home", "/health", "/catalog/items", "/shop/items"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("factory")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[ServedApp]:
    files = {"shop/__init__.py": FACTORY, "shop/catalog.py": CATALOG}
    with served(folder, WSGI, script="wsgi.py", files=files) as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    assert server.get("/")[0] == 200  # served: Flask's setup is closed
    yield server
    result = server.patch(FACTORY, module="shop")
    assert result.ok, result.errors


def like_a_fresh_start(app: ServedApp, folder: Path, factory: str) -> dict[str, object]:
    live = {path: app.get(path) for path in PROBES}
    fresh = fresh_answers(folder, PROBES, {"shop/__init__.py": factory}, script="wsgi.py")
    assert live == fresh
    return live


def test_factory_config_value_reaches_the_live_app(app: ServedApp, folder: Path) -> None:
    edited = FACTORY.replace('"welcome"', '"hello"').replace(
        "    app.register_blueprint", '    app.config["PAGE_SIZE"] = 3\n    app.register_blueprint'
    )
    result = app.patch(edited, module="shop")
    assert result.ok and result.changed == ("create_app",), result
    assert not result.warnings, result.warnings
    live = like_a_fresh_start(app, folder, edited)
    assert live["/?visitor=ada"] == (200, {"greeting": "hello", "visitor": "ada"})
    assert live["/catalog/items"] == (200, {"items": [1, 2], "size": 3})
    # The server's app object is the one that changed.
    assert app.kernel.evaluate("app.config['GREETING']", "__main__") == "'hello'"


def test_factory_route_added_and_route_path_changed_serve(app: ServedApp, folder: Path) -> None:
    edited = FACTORY.replace('@app.route("/")', '@app.route("/home")').replace(
        "    return app\n",
        '    @app.route("/health")\n    def health():\n        return {"ok": True}\n\n'
        "    return app\n",
    )
    result = app.patch(edited, module="shop")
    assert result.ok, result
    live = like_a_fresh_start(app, folder, edited)
    assert live["/health"] == (200, {"ok": True})
    assert live["/home"] == (200, {"greeting": "welcome", "visitor": "guest"})
    assert live["/"][0] == 404


def test_factory_blueprint_prefix_reaches_the_live_app(app: ServedApp, folder: Path) -> None:
    edited = FACTORY.replace('url_prefix="/catalog"', 'url_prefix="/shop"')
    result = app.patch(edited, module="shop")
    assert result.ok, result
    live = like_a_fresh_start(app, folder, edited)
    assert live["/shop/items"][0] == 200 and live["/catalog/items"][0] == 404


def test_factory_that_raises_changes_nothing(app: ServedApp) -> None:
    edited = FACTORY.replace(
        '    app.config["GREETING"] = "welcome"\n', '    app.config["GREETING"] = 1 / 0\n'
    )
    result = app.patch(edited, module="shop")
    assert not result.ok
    assert [error.code for error in result.errors] == ["apply-failed"]
    assert "ZeroDivisionError" in result.errors[0].message
    assert app.get("/") == (200, {"greeting": "welcome", "visitor": "guest"})
    # The factory's code went back too: the whole patch was undone.
    assert app.kernel.evaluate("'welcome' in create_app.__code__.co_consts", "shop") == "True"


IN_ONE_MODULE = """\
from flask import Flask


def create_app():
    app = Flask(__name__)
    app.config["GREETING"] = "welcome"

    @app.route("/")
    def index():
        return {"greeting": app.config["GREETING"]}

    return app


app = create_app()
"""


def rules(app: object) -> list[tuple[str, str]]:
    return sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules())  # type: ignore[attr-defined]


def test_factory_in_the_app_s_own_module_with_and_without_baseline(live: Live) -> None:
    module = live.load(IN_ONE_MODULE)
    app = module.app
    edited = IN_ONE_MODULE.replace('"welcome"', '"hello"').replace(
        '@app.route("/")', '@app.route("/home")'
    )
    result = live.patch(module, edited)
    assert result.ok, result.errors
    fresh = live.fresh(edited)
    assert module.app is app
    assert app.config["GREETING"] == fresh.app.config["GREETING"] == "hello"
    assert rules(app) == rules(fresh.app)
    with app.test_client() as client:
        assert client.get("/home").get_json() == {"greeting": "hello"}
        assert client.get("/").status_code == 404
