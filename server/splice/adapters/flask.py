"""Flask routes follow added, removed, re-pathed and re-methoded views, and changed app factories.

Flask refuses ``app.route`` once the app has served its first request, and
Werkzeug's URL map keeps every rule it was given. So a patch that runs a
view's decorator (an added view, or a view whose ``@app.route(...)``
changed) first removes the rules of the view it replaces from the URL map
and the view table, lets the decorator register the new ones, then restores
Flask's first-request guard. A deleted view's rules are removed. A changed
view body is patched in place as any function is.

A route added to or changed on a blueprint already registered reaches the
apps it is registered on (``flask_blueprints.py``), and a changed app
factory rebuilds the live app it made (``flask_factory.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import flask
from werkzeug.routing.matcher import StateMachineMatcher

from splice.adapters._modules import module_globals
from splice.adapters.flask_blueprints import LateRoutes, registered_blueprints
from splice.adapters.flask_factory import plan_factories, rebuild_apps
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
        apps = list(applications())
        late = None
        blueprints = registered_blueprints(patch, running) if running else {}
        if blueprints:
            late = LateRoutes(blueprints, set(gone))
            unknown = late.plan(apps)
            if unknown is not None:
                which, qualname = unknown
                patch.refuse(
                    "flask-blueprint-route",
                    f"{qualname}: cannot add or change a route of the blueprint {which}: where "
                    "it is registered, and with which URL prefix, is not known (it has no route "
                    "on that app yet, or no module binds the app). Restart the program",
                    qualname,
                )
                return
        rebuilds = plan_factories(patch, apps)
        if not apps or (not running and not gone and not rebuilds):
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
            if late is not None:
                late.open(undo)
            if running:
                _set_served(served, False, undo)

        def close_setup(undo: Undo) -> None:
            if running:
                _set_served(served, True, undo)

        patch.first("opening Flask's route setup", open_setup)
        if late is not None:
            patch.last("registering the blueprints' new routes", late.register)
        if rebuilds:
            patch.last(
                "rebuilding the Flask app with the new factory",
                lambda undo: rebuild_apps(rebuilds, patch.skipped, undo),
            )
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


adapter = FlaskAdapter()
