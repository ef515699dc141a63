"""Finding the live objects a definition became: behind wrappers, in namespaces."""

from __future__ import annotations

import functools
from types import FunctionType, MethodType, ModuleType
from typing import Any

#: How deep to follow wrappers (decorator of a decorator of ...).
_MAX_DEPTH = 8
_MISSING = object()


def namespace_of(module: ModuleType, scope: str | None) -> Any:
    """The live module or class that holds definitions of ``scope`` (a class qualname)."""
    if not scope:
        return module
    current: Any = module
    for name in scope.split("."):
        holder = vars(current) if isinstance(current, (ModuleType, type)) else {}
        current = holder.get(name, _MISSING)
        if not isinstance(current, type):
            return None
    return current


def binding(namespace: Any, name: str) -> Any:
    """What ``name`` is bound to in a module or class, without invoking descriptors."""
    return vars(namespace).get(name, _MISSING)


def is_missing(value: Any) -> bool:
    return value is _MISSING


def live_functions(obj: Any, name: str, line: int | None) -> list[FunctionType]:
    """The plain functions named ``name`` reachable from ``obj`` through wrappers.

    Follows ``__wrapped__`` (functools.wraps, lru_cache), ``__func__``
    (staticmethod, classmethod), ``fget``/``fset``/``fdel`` (property),
    ``func`` (partial), closure cells (decorators without wraps) and, one level,
    the attributes of wrapper objects. With ``line``, only functions whose code
    starts there count: that tells a property's getter from its setter.
    """
    found: list[FunctionType] = []
    seen: set[int] = set()
    frontier: list[tuple[Any, int]] = [(obj, 0)]
    while frontier:
        current, depth = frontier.pop()
        if id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        if isinstance(current, FunctionType):
            code = current.__code__
            if code.co_name == name and (line is None or code.co_firstlineno == line):
                found.append(current)
            frontier.extend((cell.cell_contents, depth + 1) for cell in _cells(current))
        for attribute in ("__wrapped__", "__func__", "fget", "fset", "fdel", "func"):
            inner = _peek(current, attribute)
            if inner is not None:
                frontier.append((inner, depth + 1))
        if not isinstance(current, (FunctionType, type, ModuleType, MethodType)) and depth == 0:
            instance_vars = _peek(current, "__dict__")
            if isinstance(instance_vars, dict):
                frontier.extend(
                    (value, depth + 1)
                    for value in instance_vars.values()
                    if isinstance(value, FunctionType)
                )
    found.sort(key=lambda function: function.__code__.co_firstlineno)
    return found


def caches_of(obj: Any) -> list[Any]:
    """The ``functools.lru_cache``/``cache`` wrappers on the way to the real function
    (through ``__wrapped__``, ``__func__`` and the closure cells of wrappers)."""
    return [item for item in _chain(obj) if isinstance(item, functools._lru_cache_wrapper)]


def caches_over(module: ModuleType, functions: list[FunctionType]) -> list[Any]:
    """The caches of the module's and its classes' names whose chain reaches one of
    ``functions`` (wrappers whose code a patch changed: their cached results are old)."""
    wanted = {id(function) for function in functions}
    found: list[Any] = []
    values = list(vars(module).values())
    values += [
        member
        for value in values
        if isinstance(value, type) and value.__module__ == module.__name__
        for member in vars(value).values()
    ]
    for value in values:
        if not isinstance(
            value, (functools._lru_cache_wrapper, FunctionType, staticmethod, classmethod)
        ):
            continue
        chain = _chain(value)
        if any(id(item) in wanted for item in chain):
            found += [item for item in chain if isinstance(item, functools._lru_cache_wrapper)]
    return found


def _chain(obj: Any) -> list[Any]:
    """Every object on the way from ``obj`` to the functions it wraps."""
    chain: list[Any] = []
    seen: set[int] = set()
    frontier: list[tuple[Any, int]] = [(obj, 0)]
    while frontier:
        current, depth = frontier.pop()
        if current is None or id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        chain.append(current)
        if isinstance(current, FunctionType):
            frontier.extend((cell.cell_contents, depth + 1) for cell in _cells(current))
        frontier.append((_peek(current, "__wrapped__") or _peek(current, "__func__"), depth + 1))
    return chain


def _cells(function: FunctionType) -> list[Any]:
    cells = []
    for cell in function.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(contents, FunctionType) or hasattr(contents, "__wrapped__"):
            cells.append(cell)
    return cells


def _peek(obj: Any, attribute: str) -> Any:
    """An attribute's value, or None, without running properties or __getattr__."""
    try:
        if isinstance(obj, (staticmethod, classmethod, property, functools.partial, MethodType)):
            return getattr(obj, attribute, None)
        instance_dict = object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        return None
    return instance_dict.get(attribute) if isinstance(instance_dict, dict) else None
