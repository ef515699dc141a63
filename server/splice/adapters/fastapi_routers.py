"""A changed ``router = APIRouter(prefix=..., tags=..., dependencies=...)`` statement.

An ``APIRouter`` joins its prefix, tags and dependencies into each route when
the route is added, so the statement that made the router ran once and its
product lives on in every route. Left alone, a changed prefix reaches
nothing, and the next route edit registers its new path under the *old*
prefix: a mix no fresh start produces. So when such a statement changed, the
new call is made apart (a framework constructor: nothing of the program
runs but its arguments), and, first in the commit, the live router takes the
new settings and every route it made is initialised again with the new
prefix, tags and dependencies joined to its own (copies of its routes in
other routers too, as older FastAPI versions made them when including a
router). Later decorators of the same save see the new prefix. A setting
that a route cannot be told apart from (``responses``, ``deprecated``, ...)
is named by a ``fastapi-router-setting`` warning; a call that raises refuses
the patch (``fastapi-router-failed``), as the import would fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute, APIRouter, APIWebSocketRoute

from splice.adapters._products import Product, products_of_statement
from splice.engine.hooks import PatchPlan

Undo = list[Callable[[], None]]

#: Settings joined into each route as a list: the router's entries first, then the route's own.
JOINED = ("tags", "dependencies")
#: Settings a route mixes with its own beyond telling apart: a change is named, not applied.
NAMED = (
    "responses",
    "deprecated",
    "include_in_schema",
    "callbacks",
    "route_class",
    "default_response_class",
    "generate_unique_id_function",
    "strict_content_type",
    "max_body_size",
    "redirect_slashes",
)


class RouterChange:
    """One live router and the router its changed statement makes now."""

    def __init__(self, product: Product, new: APIRouter) -> None:
        self.product = product
        self.live: APIRouter = product.live
        self.new = new

    def named(self) -> list[str]:
        return [
            name
            for name in NAMED
            if not _same(getattr(self.live, name, None), getattr(self.new, name, None))
        ]

    def changes_routes(self) -> bool:
        return self.live.prefix != self.new.prefix or any(
            not _same(getattr(self.live, name), getattr(self.new, name)) for name in JOINED
        )


def changed_routers(patch: PatchPlan) -> list[RouterChange]:
    """The module's routers whose making statement this patch changed (and left unrun)."""
    lines = {
        finding.line
        for finding in patch.skipped
        if finding.code in ("statement-not-run", "statement-unverified") and finding.line
    }
    if not lines:
        return []
    found = []
    for product in products_of_statement(patch, lines, APIRouter):
        found.append(RouterChange(product, product.evaluate()))
    return found


def apply_router_changes(changes: list[RouterChange], routers: list[Any], undo: Undo) -> None:
    """The live routers take the new settings; their routes (and copies of them) are made again."""
    from splice.adapters.fastapi import mark_changed, reinitialise

    for change in changes:
        live, new = change.live, change.new
        if not change.changes_routes():
            continue
        old_prefix = live.prefix
        old_joined = {name: list(getattr(live, name)) for name in JOINED}
        saved = {name: getattr(live, name) for name in ("prefix", *JOINED)}
        undo.append(_settings_restorer(live, saved))
        live.prefix = new.prefix
        for name in JOINED:
            setattr(live, name, list(getattr(new, name)))
        moved: dict[int, tuple[str, str]] = {}  # id(endpoint) -> (old path, new path)
        for route in list(live.routes):
            if not isinstance(route, (APIRoute, APIWebSocketRoute)):
                continue
            path = _repath(route.path, old_prefix, new.prefix)
            overrides = {
                name: _rejoined(getattr(route, name, None), old_joined[name], getattr(live, name))
                for name in JOINED
                if isinstance(getattr(route, name, None), list)
            }
            moved[id(route.endpoint)] = (route.path, path)
            reinitialise(route, path=path, overrides=overrides, undo=undo)
        mark_changed(live)
        # Older FastAPI copied a router's routes into the router that included it.
        for router in routers:
            if router is live:
                continue
            copies = False
            for route in list(router.routes):
                paths = moved.get(id(getattr(route, "endpoint", None)))
                if paths is None or not isinstance(route, (APIRoute, APIWebSocketRoute)):
                    continue
                old, new_path = paths
                if route.path.endswith(old) and old:
                    path = route.path[: len(route.path) - len(old)] + new_path
                    reinitialise(route, path=path, overrides={}, undo=undo)
                    copies = True
            if copies:
                mark_changed(router)


def _settings_restorer(router: APIRouter, saved: dict[str, Any]) -> Callable[[], None]:
    def restore() -> None:
        for name, value in saved.items():
            setattr(router, name, value)

    return restore


def _repath(path: str, old_prefix: str, new_prefix: str) -> str:
    return new_prefix + path[len(old_prefix) :] if path.startswith(old_prefix) else path


def _rejoined(value: Any, old: list[Any], new: list[Any]) -> list[Any]:
    """A route's list with the router's old entries in front replaced by its new ones."""
    if isinstance(value, list) and value[: len(old)] == old:
        return [*new, *value[len(old) :]]
    return list(value) if isinstance(value, list) else []


def _same(left: Any, right: Any) -> bool:
    try:
        return bool(left == right)
    except Exception:  # a value without a usable ==: not provably the same
        return left is right
