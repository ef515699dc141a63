"""Caches filled by code that reads what a patch changed: cleared in the commit's swap.

The planners clear the ``functools.lru_cache``/``cache`` of every function they
patch. An unchanged cached function whose code reads a name the patch
rebinds (``RATE``), or calls a function it changes, keeps serving results the
old code or the old value computed; a fresh start would compute them anew.
Such caches are cleared too, in the same swap (so no thread sees new code
with an old result).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from splice.engine.plan.steps import Plan
from splice.engine.stale.reach import ChangeSet, Reach

_CACHE_TYPE = functools._lru_cache_wrapper
_METHOD_WRAPPERS = (staticmethod, classmethod)


def plan_caches(
    plan: Plan, changes: ChangeSet, reach: Reach, modules: Iterable[ModuleType]
) -> None:
    """Add to the commit's caches to clear every cache in ``modules`` that reaches a change."""
    clearing = {id(cache) for cache in plan.caches}
    # This commit adds or re-creates definitions of its module: count again next time.
    recount = plan.module if plan.added or plan.rebound else None
    for module in modules:
        for cache in cached_functions(module, remember=module is not recount):
            if id(cache) in clearing:
                continue
            if reach.value(cache) is not None:
                plan.caches.append(cache)
                clearing.add(id(cache))


def cached_functions(module: ModuleType, *, remember: bool = True) -> list[Any]:
    """The caches bound in a module's namespace and its classes'.

    Decorated definitions are made at import or by a patch, so the list is
    kept while the namespace keeps its size and each cache is still bound
    where it was found (``remember`` False: a patch is about to change them).
    """
    namespace = vars(module)
    cached = _found.get(module.__name__)
    if (
        cached is not None
        and cached[0] is module
        and cached[1] == len(namespace)
        and all(vars(holder).get(name) is cache for holder, name, cache in cached[2])
    ):
        return _caches(cached[2])
    found: list[tuple[Any, str, Any]] = []
    for name, value in list(namespace.items()):
        if type(value) is _CACHE_TYPE:
            found.append((module, name, value))
        elif issubclass(type(value), type) and vars(value).get("__module__") == module.__name__:
            for member_name, member in list(vars(value).items()):
                inner = member.__func__ if type(member) in _METHOD_WRAPPERS else member
                if type(inner) is _CACHE_TYPE:
                    found.append((value, member_name, member))
    if remember:
        _found[module.__name__] = (module, len(namespace), found)
    else:
        _found.pop(module.__name__, None)
    return _caches(found)


def _caches(found: list[tuple[Any, str, Any]]) -> list[Any]:
    return [
        member.__func__ if type(member) in _METHOD_WRAPPERS else member for _, _, member in found
    ]


_found: dict[str, tuple[ModuleType, int, list[tuple[Any, str, Any]]]] = {}
