"""Finding the live objects a definition became: behind wrappers, in namespaces."""

from __future__ import annotations

import functools
import gc
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


#: The attributes ``live_functions`` follows from any object.
_FOLLOWED = ("__wrapped__", "__func__", "fget", "fset", "fdel", "func")


def wraps_nothing(function: FunctionType) -> bool:
    """Whether ``live_functions`` finds nothing behind ``function`` (no closure, none
    of the attributes it follows), without giving the function a ``__dict__``."""
    return not function.__closure__ and all(
        own_attribute(function, attribute) is None for attribute in _FOLLOWED
    )


def annotations_of(function: FunctionType) -> dict[str, Any]:
    """``function.__annotations__``, without making (and leaving) an empty dict
    on a function that has none, as reading it does.

    The collector's view lists every object the function holds: when each is
    one of the fields below, it holds no annotations (nor a ``__dict__``).
    """
    fields = list(
        map(
            id,
            (
                function.__code__,
                function.__globals__,
                getattr(function, "__builtins__", None),  # 3.10+, not in typeshed
                function.__module__,
                function.__defaults__,
                function.__kwdefaults__,
                function.__doc__,
                function.__name__,
                function.__qualname__,
                function.__closure__,
                getattr(function, "__type_params__", None),
            ),
        )
    )
    try:
        for referent in gc.get_referents(function):
            fields.remove(id(referent))  # each field once: a shared object shows twice
    except ValueError:  # something else: annotations, or a ``__dict__``
        annotations: dict[str, Any] = function.__annotations__
        return annotations
    return {}


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
        for attribute in _FOLLOWED:
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
    if isinstance(obj, (staticmethod, classmethod, property, functools.partial, MethodType)):
        try:
            return getattr(obj, attribute, None)
        except (AttributeError, TypeError):
            return None
    return own_attribute(obj, attribute)


def own_attribute(obj: Any, attribute: str) -> Any:
    """``attribute`` as ``obj``'s instance dictionary holds it, or None (None for a class).

    Runs no property or ``__getattr__``. It asks for ``__dict__`` only when a
    class defines the name too: asking makes a dictionary for every function
    that has none and, on 3.11+, for every instance whose attributes are
    stored inline, and the program keeps them (recovery looks at all its functions).
    """
    if type(obj) is FunctionType and attribute not in _FUNCTION_NAMES:
        # The most frequent case, made fast: a final built-in type without that name.
        return getattr(obj, attribute, None)
    try:
        if isinstance(obj, type):
            return None  # its namespace is a mapping proxy, not an instance dictionary
        if not _defined_on_class(type(obj), attribute):
            # The generic lookup can then find it only among the instance's own.
            return object.__getattribute__(obj, attribute)
        instance_dict = object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        return None
    return instance_dict.get(attribute) if isinstance(instance_dict, dict) else None


#: How ``type`` reads a class's MRO, namespace and flags, called directly: a
#: metaclass's own ``__mro__`` or ``__dict__`` would be the user's code.
_MRO = vars(type)["__mro__"]
_NAMESPACE = vars(type)["__dict__"]
_FLAGS = vars(type)["__flags__"]
#: ``Py_TPFLAGS_IMMUTABLETYPE`` (3.10+): no attribute of the class can be set or deleted.
_IMMUTABLE = 1 << 8
_FUNCTION_NAMES = frozenset(name for base in FunctionType.__mro__ for name in vars(base))
#: The answers for classes that cannot change (``int``, ``functools.partial``...):
#: every value of a module is looked at, most of them built-in types'.
_ON_IMMUTABLE: dict[tuple[type, str], bool] = {}


def _defined_on_class(cls: type, attribute: str) -> bool:
    known = _ON_IMMUTABLE.get((cls, attribute))
    if known is not None:
        return known
    classes = _MRO.__get__(cls)
    found = any(attribute in _NAMESPACE.__get__(base) for base in classes)
    if all(_FLAGS.__get__(base) & _IMMUTABLE for base in classes):
        _ON_IMMUTABLE[cls, attribute] = found
    return found
