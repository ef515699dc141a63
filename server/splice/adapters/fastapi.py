"""FastAPI (and Starlette) routes follow their endpoints' edits.

FastAPI reads an endpoint's parameters, types, defaults, dependencies and
return annotation once, when the route is registered, into the route's
``dependant``, body field, response field and request handler. Patching the
function's code in place leaves all of those as they were. So, at the end of
the commit, every route whose endpoint changed is initialised again from its
own settings and the new signature; routes of endpoints that were re-created
(a new path or methods: the decorator ran again and registered a new route)
or deleted are removed, so the old path stops serving. Every step records
its undo, so a route that cannot be rebuilt undoes the whole patch. When a
pydantic model was rebuilt, every route is initialised again: a route's
body and response fields hold validators made from the models it uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Router

from splice.adapters._modules import module_globals
from splice.engine.hooks import Adapter, PatchPlan
from splice.engine.result import Finding

Undo = list[Callable[[], None]]


def routers() -> Iterator[Router]:
    """Every Starlette router bound at module level in the process (a FastAPI app's too)."""
    seen: set[int] = set()
    for value in module_globals():
        kind = type(value)
        if issubclass(kind, Starlette):
            router = value.router
        elif issubclass(kind, Router):
            router = value
        else:
            continue
        if isinstance(router, Router):
            yield from _with_mounted(router, seen)


def _with_mounted(router: Router, seen: set[int]) -> Iterator[Router]:
    if id(router) in seen:
        return
    seen.add(id(router))
    yield router
    for route in router.routes:
        if isinstance(route, Mount):
            inner = route.app
            inner = inner.router if isinstance(inner, Starlette) else inner
            if isinstance(inner, Router):
                yield from _with_mounted(inner, seen)


def routes_of(
    endpoints: dict[int, str], dependencies: bool = False
) -> list[tuple[Router, BaseRoute]]:
    """(router, route) for every route whose endpoint is one of ``endpoints`` (by id).

    With ``dependencies``, also those that depend on one of them (``Depends``).
    """
    found = []
    for router in routers():
        for route in router.routes:
            calls = {id(getattr(route, "endpoint", None))}
            if dependencies:
                _dependency_calls(getattr(route, "dependant", None), calls)
            if not calls.isdisjoint(endpoints):
                found.append((router, route))
    return found


def _dependency_calls(dependant: Any, calls: set[int], depth: int = 0) -> None:
    """The ids of every dependency callable of a route (a changed one rebuilds it too)."""
    if dependant is None or depth > 32:
        return
    for inner in getattr(dependant, "dependencies", ()):
        calls.add(id(getattr(inner, "call", None)))
        _dependency_calls(inner, calls, depth + 1)


class FastAPIAdapter(Adapter):
    framework = "fastapi"

    def plan_patch(self, patch: PatchPlan) -> None:
        if not _plan_routers(patch):
            return
        changed: dict[int, str] = {}
        old_returns: dict[int, Any] = {}
        old_docs: dict[int, str] = {}
        models = False
        headers = _changed_headers(patch)
        for qualname in patch.changed:
            value = patch.live(qualname)
            if isinstance(value, type):
                # A rebuilt pydantic model: routes embed its validator in their fields.
                models = models or "__pydantic_fields__" in vars(value)
            elif callable(value) and (headers is None or qualname in headers):
                changed[id(value)] = qualname
                old_returns[id(value)] = _return_annotation(value)
                old_docs[id(value)] = _docstring(value)
        gone: dict[int, str] = {}
        for qualname in (*patch.rebound, *patch.deleted):
            value = patch.live(qualname)
            if callable(value) and not isinstance(value, type):
                gone[id(value)] = qualname
        if models:
            for router in routers():
                for route in router.routes:
                    endpoint = getattr(route, "endpoint", None)
                    if hasattr(route, "dependant") and id(endpoint) not in changed:
                        # Unchanged endpoint: its response model and description stay.
                        changed[id(endpoint)] = getattr(route, "name", "")
        if not changed and not gone:
            return
        rebuild = routes_of(changed, dependencies=True)
        remove = routes_of(gone)
        if not rebuild and not remove:
            return

        def update_routes(undo: Undo) -> None:
            for router, route in remove:
                _remove(router, route, undo)
            for router, route in rebuild:
                key = id(getattr(route, "endpoint", None))
                reinitialise(
                    route, old_return=old_returns.get(key), old_doc=old_docs.get(key), undo=undo
                )
                mark_changed(router)

        patch.last("updating FastAPI routes", update_routes)


def _changed_headers(patch: PatchPlan) -> set[str] | None:
    """Changed definitions whose header or docstring changed, or None when not known.

    A route reads its endpoint's and dependencies' parameters, annotations,
    defaults and docstring, never their bodies: a body-only edit swaps the
    code of the function the route already holds, and no router needs looking
    at (that scan reads every module's globals). Without a baseline there is
    no diff to say which parts changed.
    """
    diff = patch.plan.diff
    if diff is None:
        return None
    return {
        change.new.qualname
        for change in diff.changes
        if change.kind == "changed" and change.new is not None and change.parts - {"body"}
    }


def _plan_routers(patch: PatchPlan) -> bool:
    """Routers whose ``APIRouter(...)`` statement changed: updated first. False if refused."""
    from splice.adapters._products import report_updated
    from splice.adapters.fastapi_routers import apply_router_changes, changed_routers

    try:
        changes = changed_routers(patch)
    except Exception as error:  # the new call raises: so would the import of a fresh start
        patch.refuse(
            "fastapi-router-failed",
            f"the new APIRouter(...) statement raised {type(error).__name__}: {error}; "
            "nothing was changed",
        )
        return False
    for change in changes:
        report_updated(patch, change.product)
        line = change.product.line
        patch.skipped[:] = [
            finding
            for finding in patch.skipped
            if not (finding.line == line and finding.code.startswith("statement-"))
        ]
        named = change.named()
        if named:
            patch.skipped.append(
                Finding(
                    "fastapi-router-setting",
                    f"{change.product.target}: the router's {', '.join(named)} changed; its "
                    "routes keep the old value, since each route mixed it with its own. "
                    "Restart the program to apply it",
                    line=line,
                    end_line=change.product.end_line,
                    severity="warning",
                )
            )
    moving = [change for change in changes if change.changes_routes()]
    if moving:
        patch.first(
            "updating FastAPI routers' prefix, tags and dependencies",
            lambda undo: apply_router_changes(moving, list(routers()), undo),
        )
    return True


def _return_annotation(function: Any) -> Any:
    try:
        return inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return inspect.Signature.empty


def _remove(router: Router, route: BaseRoute, undo: Undo) -> None:
    routes = router.routes
    if route not in routes:
        return
    index = routes.index(route)
    del routes[index]
    undo.append(lambda: routes.insert(index, route))
    mark_changed(router)


def mark_changed(router: Router) -> None:
    # FastAPI caches the OpenAPI schema by a routes version; older ones by the app.
    mark = getattr(router, "_mark_routes_changed", None)
    if callable(mark):
        mark()


def reinitialise(
    route: Any,
    *,
    undo: Undo,
    old_return: Any = None,
    old_doc: str | None = None,
    path: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Run the route's ``__init__`` again with its own settings and its endpoint's new signature.

    ``old_return`` and ``old_doc`` (the endpoint's before its change) tell a
    response model and description derived from them, to derive them again;
    without them both are kept. ``path`` and ``overrides`` replace settings
    the route got from its router (whose prefix, tags or dependencies changed).
    """
    before = dict(vars(route))

    def restore() -> None:
        vars(route).clear()
        vars(route).update(before)

    undo.append(restore)
    parameters = inspect.signature(type(route).__init__).parameters
    arguments: dict[str, Any] = {}
    for name, parameter in parameters.items():
        if name in ("self", "path", "endpoint") or parameter.kind is not parameter.KEYWORD_ONLY:
            continue
        if name in before:
            arguments[name] = before[name]
    derived = old_return is not None and _derived(before.get("response_model"), old_return)
    if "response_model" in arguments and derived:
        # It came from the return annotation: let the new annotation decide again.
        arguments["response_model"] = parameters["response_model"].default
    if "description" in arguments and old_doc is not None and before.get("description") == old_doc:
        arguments["description"] = None
    arguments.update(overrides or {})
    route.__init__(path if path is not None else before["path"], before["endpoint"], **arguments)


def _derived(response_model: Any, old_return: Any) -> bool:
    """Whether FastAPI took the response model from the return annotation (not ``response_model=``)."""
    return response_model is None or response_model is old_return


def _docstring(endpoint: Any) -> str:
    return inspect.cleandoc(getattr(endpoint, "__doc__", None) or "").split("\f")[0].strip()


adapter = FastAPIAdapter()
