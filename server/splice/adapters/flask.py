"""Flask routes follow added, removed, re-pathed and re-methoded views.

Flask refuses ``app.route`` once the app has served its first request, and
Werkzeug's URL map keeps every rule it was given. So a patch that runs a
view's decorator (an added view, or a view whose ``@app.route(...)``
changed) first removes the rules of the view it replaces from the URL map
and the view table, lets the decorator register the new ones, then restores
Flask's first-request guard. A deleted view's rules are removed. A changed
view body is patched in place as any function is.

A route added to a blueprint that is already registered would never reach
the app (blueprints record their routes for later), so it is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

import flask
from werkzeug.routing.matcher import StateMachineMatcher

from splice.adapters._modules import module_globals
from splice.engine.hooks import Adapter, PatchPlan

Undo = list[Callable[[], None]]


def applications() -> Iterator[flask.Flask]:
    seen: set[int] = set()
    for value in module_globals():
        if issubclass(type(value), flask.Flask) and id(value) not in seen:
            seen.add(id(value))
            yield value


class FlaskAdapter(Adapter):
    framework = "flask"

    def plan_patch(self, patch: PatchPlan) -> None:
        running = set(patch.added) | set(patch.rebound)
        gone = {
            id(value): value
            for qualname in (*patch.rebound, *patch.deleted)
            if callable(value := patch.live(qualname))
        }
        if not running and not gone:
            return
        for qualname in running:
            blueprint = _registered_blueprint(patch, qualname)
            if blueprint is not None:
                patch.refuse(
                    "flask-blueprint-route",
                    f"{qualname}: cannot add or change a route of the blueprint {blueprint!r} "
                    "after it was registered on the app (a blueprint records its routes for "
                    "the next registration). Restart the program",
                    qualname,
                )
        apps = list(applications())
        if not apps:
            return

        # Read now: closing the guard again restores exactly what was there.
        served = [app for app in apps if app._got_first_request]

        def open_setup(undo: Undo) -> None:
            for app in apps:
                endpoints = [
                    endpoint
                    for endpoint, view in app.view_functions.items()
                    if id(view) in gone or id(getattr(view, "__wrapped__", None)) in gone
                ]
                if endpoints:
                    _remove_endpoints(app, endpoints, undo)
            if running:
                _set_served(served, False, undo)

        def close_setup(undo: Undo) -> None:
            if running:
                _set_served(served, True, undo)

        patch.first("opening Flask's route setup", open_setup)
        patch.last("closing Flask's route setup", close_setup)


def _set_served(apps: list[flask.Flask], value: bool, undo: Undo) -> None:
    for app in apps:
        previous = app._got_first_request
        app._got_first_request = value
        undo.append(_guard_restorer(app, previous))


def _guard_restorer(app: flask.Flask, value: bool) -> Callable[[], None]:
    def restore() -> None:
        app._got_first_request = value

    return restore


def _remove_endpoints(app: flask.Flask, endpoints: list[str], undo: Undo) -> None:
    url_map: Any = app.url_map
    views = dict(app.view_functions)
    by_endpoint = url_map._rules_by_endpoint
    saved = (dict(by_endpoint), url_map._matcher, url_map._remap)
    for endpoint in endpoints:
        app.view_functions.pop(endpoint, None)
        by_endpoint.pop(endpoint, None)
    matcher = StateMachineMatcher(url_map.merge_slashes)
    for rules in by_endpoint.values():
        for rule in rules:
            if not rule.build_only:
                matcher.add(rule)
    url_map._matcher = matcher
    url_map._remap = True

    def restore() -> None:
        app.view_functions.clear()
        app.view_functions.update(views)
        by_endpoint.clear()
        by_endpoint.update(saved[0])
        url_map._matcher = saved[1]
        url_map._remap = saved[2]

    undo.append(restore)


def _registered_blueprint(patch: PatchPlan, qualname: str) -> str | None:
    """The name of an already registered blueprint whose decorator this definition uses."""
    outline = patch.plan.outline
    definition = outline.definitions.get(qualname) if outline is not None else None
    if definition is None:
        return None
    for decorator in definition.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            value: Any = vars(patch.module).get(target.value.id)
            if issubclass(type(value), flask.Blueprint) and value._got_registered_once:
                name: str = value.name
                return name
    return None


adapter = FlaskAdapter()
