"""Routes added to or changed on a Flask blueprint that is already registered on an app.

A blueprint records each route as a deferred function and hands it to an
app when it is registered; afterwards Flask refuses new routes on it, since
they would never reach the app. A fresh start would register the new route
with the blueprint's prefix, so the patch does that: it lets the decorator
record the route, then runs the new record against every app the blueprint
is registered on, with the options it was registered with (its name, and
the URL prefix and subdomain its existing rules show). The record of a route
that was replaced or deleted is dropped, so a later registration (an app
factory run again) does not bring the old one back.

When a registration's prefix cannot be told (the blueprint had no route on
that app yet), the patch is refused (``flask-blueprint-route``) rather than
guessed.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any

import flask

from splice.adapters._products import callee
from splice.engine.hooks import PatchPlan

Undo = list[Callable[[], None]]


class Registration:
    """A blueprint registered on one app, under a (dotted) name, with its options."""

    def __init__(self, app: flask.Flask, key: str, options: dict[str, Any]) -> None:
        self.app = app
        self.key = key
        self.options = options


class LateRoutes:
    """The registered blueprints whose routes a patch adds or changes."""

    def __init__(self, users: dict[int, tuple[flask.Blueprint, str]], gone: set[int]) -> None:
        #: id of each blueprint -> it and the first definition of the patch that uses it
        self.users = users
        self.blueprints = [blueprint for blueprint, _ in users.values()]
        self.gone = gone
        self.registrations: dict[int, list[Registration]] = {}
        self._before: dict[int, set[int]] = {}

    def plan(self, apps: list[flask.Flask]) -> tuple[str, str] | None:
        """Find where each blueprint is registered, or (why not, which definition) for one."""
        for blueprint in self.blueprints:
            found = []
            for app in apps:
                for key, registered in list(app.blueprints.items()):
                    if registered is not blueprint:
                        continue
                    options = _registration_options(app, blueprint, key)
                    if options is None:
                        return f"{key} (registered on {app.name!r})", self.users[id(blueprint)][1]
                    found.append(Registration(app, key, options))
            if not found:
                unbound = f"{blueprint.name} (registered on an app that no module binds)"
                return unbound, self.users[id(blueprint)][1]
            self.registrations[id(blueprint)] = found
        return None

    def open(self, undo: Undo) -> None:
        """Before the decorators run: the blueprints accept routes, replaced ones are dropped."""
        for blueprint in self.blueprints:
            records = blueprint.deferred_functions
            saved = list(records)
            records[:] = [record for record in records if id(_recorded(record)[2]) not in self.gone]
            self._before[id(blueprint)] = {id(record) for record in records}
            blueprint._got_registered_once = False
            undo.append(_restorer(blueprint, saved))

    def register(self, undo: Undo) -> None:
        """After the decorators ran: the new records, onto every app the blueprint is on."""
        for blueprint in self.blueprints:
            blueprint._got_registered_once = True
            before = self._before.get(id(blueprint), set())
            new = [record for record in blueprint.deferred_functions if id(record) not in before]
            for registration in self.registrations.get(id(blueprint), []):
                state = blueprint.make_setup_state(
                    registration.app, dict(registration.options), first_registration=False
                )
                for record in new:
                    record(state)


def registered_blueprints(
    patch: PatchPlan, qualnames: set[str]
) -> dict[int, tuple[flask.Blueprint, str]]:
    """The registered blueprints whose decorators these definitions use, each with the first one."""
    outline = patch.plan.outline
    found: dict[int, tuple[flask.Blueprint, str]] = {}
    for qualname in sorted(qualnames):
        definition = outline.definitions.get(qualname) if outline is not None else None
        if definition is None:
            continue
        for decorator in definition.node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if not isinstance(target, ast.Attribute):
                continue
            value = callee(patch.module, target.value)
            if issubclass(type(value), flask.Blueprint) and value._got_registered_once:
                found.setdefault(id(value), (value, qualname))
    return found


def _registration_options(
    app: flask.Flask, blueprint: flask.Blueprint, key: str
) -> dict[str, Any] | None:
    """The options ``blueprint`` was registered on ``app`` with, as its existing rules show them."""
    name_prefix, _, name = key.rpartition(".")
    options: dict[str, Any] = {"name": name, "name_prefix": name_prefix}
    rules = app.url_map._rules_by_endpoint
    for record in blueprint.deferred_functions:
        rule, endpoint, view = _recorded(record)
        if rule is None:
            continue
        endpoint = endpoint or getattr(view, "__name__", None)
        for made in rules.get(f"{key}.{endpoint}", ()):
            prefix = _prefix_of(made.rule, rule)
            if prefix is not None:
                options["url_prefix"] = prefix
                if made.subdomain:
                    options["subdomain"] = made.subdomain
                return options
    return None


def _prefix_of(full: str, rule: str) -> str | None:
    """The prefix that made ``full`` out of the blueprint's ``rule`` (as Flask joins them)."""
    if not rule:
        return full
    tail = rule.lstrip("/")
    if full == rule:
        return ""
    if tail and full.endswith("/" + tail):
        return full[: len(full) - len(tail) - 1]
    return None


def _recorded(record: Any) -> tuple[str | None, str | None, Any]:
    """(rule, endpoint, view function) of a route a blueprint recorded, else Nones."""
    try:
        captured = inspect.getclosurevars(record).nonlocals
    except (TypeError, ValueError):
        return None, None, None
    rule = captured.get("rule")
    if not isinstance(rule, str) or "view_func" not in captured:
        return None, None, None
    endpoint = captured.get("endpoint")
    return rule, endpoint if isinstance(endpoint, str) else None, captured["view_func"]


def _restorer(blueprint: flask.Blueprint, records: list[Any]) -> Callable[[], None]:
    def restore() -> None:
        blueprint.deferred_functions[:] = records
        blueprint._got_registered_once = True

    return restore
