"""A changed Flask app factory: the live app gets what the new factory builds.

``app = create_app()`` ran the old factory when the program started; a
changed ``create_app`` (a config value, a route path, a new route or hook,
a blueprint registered with other options) would otherwise reach nothing
live. As a fresh start would, the statement's call runs again after the
commit, building a new app; the live app object (which the server holds)
then takes its configuration, URL map and views, blueprints, request and
error hooks, template hooks and CLI commands, in one swap. Functions the
factory defined that refer to the app they were built for are pointed at
the live app. What an extension set up on the live app (``app.extensions``)
stays: an extension may key state by the app; when the new factory set up
different extensions, a ``flask-extensions-kept`` warning says so.

A factory is a changed module-level function whose new text calls
``Flask(``; its products are the module-level names bound by a statement
calling it (in any module: ``wsgi.py``'s ``app = create_app()``), or,
when no statement made the app (``flask --app 'shop:create_app()'``), a
live app whose views were defined inside the factory, rebuilt by calling
the factory with no arguments.
"""

from __future__ import annotations

import collections
import inspect
import itertools
from collections.abc import Callable, Iterable
from types import FunctionType, MethodType
from typing import Any

import flask

from splice.adapters._products import Product, products, report_updated
from splice.engine.hooks import PatchPlan
from splice.engine.result import Finding

Undo = list[Callable[[], None]]

#: What the app's instance holds that a factory builds, moved from the new app to the live one.
CARRIED = (
    "config",
    "url_map",
    "view_functions",
    "blueprints",
    "error_handler_spec",
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "teardown_appcontext_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
    "shell_context_processors",
    "url_build_error_handlers",
    "cli",
    "import_name",
    "name",
    "root_path",
    "instance_path",
    "template_folder",
    "_static_folder",
    "_static_url_path",
    "subdomain_matching",
)
_MISSING = object()


class Rebuild:
    """One live app and how to build it again: a statement's call, or the factory alone."""

    def __init__(self, live: flask.Flask, build: Callable[[], Any], line: int, name: str) -> None:
        self.live = live
        self.build = build
        self.line = line
        self.name = name  # the factory, for messages


def plan_factories(patch: PatchPlan, apps: list[flask.Flask]) -> list[Rebuild]:
    """The live apps that changed factories built, each with how to build it again."""
    factories = _changed_factories(patch)
    if not factories or not apps:
        return []
    rebuilds: list[Rebuild] = []
    covered: set[int] = set()
    for product in products(patch, set(factories), flask.Flask):
        if id(product.live) in covered:
            continue
        covered.add(id(product.live))
        factory = factories[id(product.callee())]
        line = product.line if product.module is patch.module else patch.line_of(factory) or 1
        rebuilds.append(Rebuild(product.live, product.evaluate, line, factory))
        report_updated(patch, product)
        _drop_statement_finding(patch, product)
    for app in apps:
        if id(app) in covered:
            continue
        for key, qualname in factories.items():
            function = _live_function(patch, qualname)
            if function is None or id(function) != key or not _built_by(app, function):
                continue
            if not _callable_without_arguments(function):
                continue
            covered.add(id(app))
            patch.brings_up_to_date(app)
            rebuilds.append(Rebuild(app, function, patch.line_of(qualname) or 1, qualname))
    return rebuilds


def rebuild_apps(rebuilds: list[Rebuild], plan_skipped: list[Finding], undo: Undo) -> None:
    """Build each app again with the new factory and move what it built onto the live app."""
    for rebuild in rebuilds:
        fresh = rebuild.build()
        if not issubclass(type(fresh), flask.Flask):
            raise TypeError(
                f"{rebuild.name}() returned {type(fresh).__name__}, not a Flask app; the live app "
                "was left as it was"
            )
        kept = _kept_extensions(rebuild.live, fresh)
        _transplant(rebuild.live, fresh, undo)
        if kept:
            plan_skipped.append(
                Finding(
                    "flask-extensions-kept",
                    f"{rebuild.name}: the live app was rebuilt by the new factory but keeps the "
                    f"extensions it was set up with ({', '.join(kept)}): the new factory set them "
                    "up differently. Restart the program to set them up again",
                    qualname=rebuild.name,
                    line=rebuild.line,
                    severity="warning",
                )
            )


def _changed_factories(patch: PatchPlan) -> dict[int, str]:
    """id of the live function -> qualname, for changed module-level functions that call Flask(."""
    outline = patch.plan.outline
    found: dict[int, str] = {}
    for qualname in patch.changed:
        if "." in qualname or outline is None:
            continue
        definition = outline.definitions.get(qualname)
        if definition is None or "Flask(" not in definition.text:
            continue
        function = _live_function(patch, qualname)
        if function is not None:
            found[id(function)] = qualname
    return found


def _live_function(patch: PatchPlan, qualname: str) -> FunctionType | None:
    functions = patch.functions(qualname)
    return functions[0] if len(functions) == 1 else None


def _drop_statement_finding(patch: PatchPlan, product: Product) -> None:
    """A changed ``app = create_app(...)`` of the patched module is run here: not skipped."""
    if product.module is not patch.module:
        return
    patch.skipped[:] = [
        finding
        for finding in patch.skipped
        if not (finding.code == "statement-not-run" and finding.line == product.line)
    ]


def _built_by(app: flask.Flask, factory: FunctionType) -> bool:
    """Whether ``app``'s views or hooks include functions defined inside ``factory``."""
    prefix = f"{factory.__qualname__}.<locals>."
    for function in _app_functions(app):
        code = getattr(function, "__code__", None)
        if (
            code is not None
            and getattr(function, "__qualname__", "").startswith(prefix)
            and code.co_filename == factory.__code__.co_filename
        ):
            return True
    return False


def _callable_without_arguments(function: FunctionType) -> bool:
    try:
        inspect.signature(function).bind()
    except (TypeError, ValueError):
        return False
    return True


#: Hooks by blueprint name (None: the app's own), each a list of functions.
_HOOK_TABLES = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
)
_HOOK_LISTS = ("teardown_appcontext_funcs", "shell_context_processors", "url_build_error_handlers")


def _app_functions(app: Any) -> Iterable[Any]:
    """Every view and hook function the app holds."""
    own = vars(app)
    yield from list(own.get("view_functions", {}).values())
    for name in _HOOK_TABLES:
        for functions in list(own.get(name, {}).values()):
            yield from list(functions)
    for name in _HOOK_LISTS:
        yield from list(own.get(name, ()))
    for by_code in list(own.get("error_handler_spec", {}).values()):
        for handlers in list(by_code.values()):
            yield from list(handlers.values())


def _kept_extensions(live: flask.Flask, fresh: flask.Flask) -> list[str]:
    return sorted(
        name
        for name in set(live.extensions) | set(fresh.extensions)
        if live.extensions.get(name, _MISSING) is not fresh.extensions.get(name, _MISSING)
    )


def _transplant(live: flask.Flask, fresh: flask.Flask, undo: Undo) -> None:
    """Move what the factory built from ``fresh`` to ``live``, in one swap."""
    own = vars(live)
    before = {name: own.get(name, _MISSING) for name in (*CARRIED, "jinja_loader")}

    def restore() -> None:
        for name, value in before.items():
            if value is _MISSING:
                own.pop(name, None)
            else:
                own[name] = value

    undo.append(restore)
    values = {name: vars(fresh)[name] for name in CARRIED if name in vars(fresh)}
    views = values.get("view_functions")
    old_static = live.view_functions.get("static")
    if isinstance(views, dict) and "static" in views and old_static is not None:
        # Flask() made a static view bound (by a weak reference) to its own app.
        views["static"] = old_static
    for function in _app_functions(fresh):
        _point_at(function, fresh, live, undo)
    if before["template_folder"] != values.get("template_folder", _MISSING) or before[
        "root_path"
    ] != values.get("root_path", _MISSING):
        values["jinja_loader"] = _MISSING  # cached from the old folders: made again
    setting = [(name, value) for name, value in values.items() if value is not _MISSING]
    dropping = [name for name, value in values.items() if value is _MISSING and name in own]
    # One C-level pass: no request sees the new URL map with the old views.
    collections.deque(
        itertools.chain(
            map(own.__setitem__, *zip(*setting, strict=True)) if setting else (),
            map(own.__delitem__, dropping),
        ),
        maxlen=0,
    )
    _update_templates(live, fresh, undo)


def _point_at(function: Any, fresh: Any, live: Any, undo: Undo) -> None:
    """A function the factory made that refers to the new app (a closure over ``app``) gets the live one."""
    seen = 0
    while function is not None and seen < 8:
        seen += 1
        for cell in getattr(function, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:
                continue
            if contents is fresh:
                cell.cell_contents = live
                undo.append(_cell_restorer(cell, fresh))
        function = getattr(function, "__wrapped__", None)


def _cell_restorer(cell: Any, value: Any) -> Callable[[], None]:
    def restore() -> None:
        cell.cell_contents = value

    return restore


def _update_templates(live: flask.Flask, fresh: flask.Flask, undo: Undo) -> None:
    """Template filters, tests and globals the factory registered; ``config`` is the live app's."""
    if "jinja_env" not in vars(live) and "jinja_env" not in vars(fresh):
        return
    environment = live.jinja_env
    saved = {kind: dict(getattr(environment, kind)) for kind in ("filters", "tests", "globals")}

    def restore() -> None:
        for kind, values in saved.items():
            table = getattr(environment, kind)
            table.clear()
            table.update(values)

    undo.append(restore)
    if "jinja_env" in vars(fresh):
        for kind in ("filters", "tests", "globals"):
            table = getattr(environment, kind)
            for name, value in getattr(fresh.jinja_env, kind).items():
                if isinstance(value, MethodType) and value.__self__ is fresh:
                    continue  # url_for and the like: the live app's own stay
                table[name] = value
    environment.globals["config"] = live.config
