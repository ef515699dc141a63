"""The wrappers between a name's binding and its function, read from the live objects.

Without a baseline, a definition's decorators are compared with what they
left on the live object. Known wrappers show by their type (``staticmethod``,
``classmethod``, ``property``, ``functools.cache``). A decorator written as a
function that returns a closure leaves a function whose code is nested in the
decorator's (one level deep; two for a decorator factory) and whose closure
cells hold the function it wraps and the factory's arguments. A decorator that leaves
none of this (one that returns its function, an object of its own) cannot be
told apart from no decorator: that, and only that, is unknown.
"""

from __future__ import annotations

import abc
import ast
import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import Any

from splice.engine.objects.targets import own_attribute
from splice.engine.objects.verification import pure, same_value

#: Stands for a decorator whose effect on the binding is not known.
UNKNOWN = "?"
_ABSENT = object()
_DEPTH = 8

_KNOWN_WRAPPERS: dict[Any, str] = {
    staticmethod: "staticmethod",
    classmethod: "classmethod",
    property: "property",
    functools.cache: "cache",
    functools.lru_cache: "cache",
    # Decorators that return the function itself (flags only class creation reads).
    abc.abstractmethod: "",
    typing.final: "",
}


@dataclass(frozen=True)
class Made:
    """A wrapper function some decorator made: a closure (a live level of the chain)."""

    wrapper: FunctionType


@dataclass(frozen=True)
class Maker:
    """A decorator expected to leave a wrapper it made: ``D`` or ``D(arguments)``."""

    function: FunctionType
    arguments: dict[str, Any] | None  # None: not a call
    #: False when some argument could not be evaluated without running code.
    known: bool = True


Level = str | Made | Maker
Chain = list[Level]


def live_chain(bound: Any, function: FunctionType) -> Chain | None:
    """The wrappers between ``bound`` and ``function``, outermost first, or None
    when ``function`` is reached through an object that is none of them."""
    chain: Chain = []
    current = bound
    for _ in range(_DEPTH):
        if current is function:
            return chain
        if isinstance(current, (staticmethod, classmethod)):
            chain.append(type(current).__name__)
            current = current.__func__
        elif isinstance(current, property):
            chain.append("property")
            accessors = [current.fget, current.fset, current.fdel]
            current = next((a for a in accessors if _reaches(a, function)), None)
        elif isinstance(current, functools._lru_cache_wrapper):
            chain.append("cache")
            current = current.__wrapped__
        elif type(current) is FunctionType and current.__closure__:
            chain.append(Made(current))
            current = _wrapped_by(current, function)
        else:
            inner = getattr(current, "__wrapped__", None) if callable(current) else None
            if inner is None:
                return None
            chain.append(UNKNOWN)
            current = inner
    return None


def _wrapped_by(wrapper: FunctionType, function: FunctionType) -> Any:
    """What ``wrapper`` wraps on the way to ``function``: its ``__wrapped__``, or the
    one closure cell that leads there."""
    inner = own_attribute(wrapper, "__wrapped__")
    if inner is not None:
        return inner
    leading = []
    for cell in wrapper.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if _reaches(contents, function):
            leading.append(contents)
    return leading[0] if len(leading) == 1 else None


def _reaches(start: Any, function: FunctionType) -> bool:
    frontier, seen = [(start, 0)], set()
    while frontier:
        current, depth = frontier.pop()
        if current is function:
            return True
        if id(current) in seen or depth >= _DEPTH or current is None:
            continue
        seen.add(id(current))
        if type(current) is FunctionType:
            for cell in current.__closure__ or ():
                try:
                    frontier.append((cell.cell_contents, depth + 1))
                except ValueError:
                    continue
            frontier.append((own_attribute(current, "__wrapped__"), depth + 1))
        elif isinstance(current, (staticmethod, classmethod)):
            frontier.append((current.__func__, depth + 1))
        elif isinstance(current, functools._lru_cache_wrapper):
            frontier.append((current.__wrapped__, depth + 1))
    return False


def expected_chain(
    decorators: list[ast.expr], evaluate: Callable[[ast.expr], Any]
) -> tuple[Chain, bool]:
    """The wrappers the new decorators would leave, and whether each can be compared.

    ``typing.overload`` is known: a stub it decorates is never the live one.
    """
    chain: Chain = []
    known = True
    for decorator in decorators:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if not pure(target):
            chain.append(UNKNOWN)
            known = False
            continue
        try:
            value = evaluate(target)
        except Exception:
            chain.append(UNKNOWN)
            known = False
            continue
        if isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter"):
            owner = getattr(value, "__self__", None)
            if isinstance(owner, property):
                chain.append("property")
                continue
        name = _KNOWN_WRAPPERS.get(value) if _hashable(value) else None
        if name is not None and (call is None or value is functools.lru_cache):
            if name:
                chain.append(name)
            continue
        maker = _maker(value, call, evaluate)
        if maker is None:
            chain.append(UNKNOWN)
            known = False
        else:
            chain.append(maker)
    return chain, known


def _maker(value: Any, call: ast.Call | None, evaluate: Callable[[ast.expr], Any]) -> Maker | None:
    """``value`` as a decorator that makes a wrapper, or None when it may not make one."""
    if type(value) is not FunctionType or value.__closure__:
        return None  # a closure's configuration does not show in what it makes
    code = value.__code__
    if not any(type(constant) is CodeType for constant in code.co_consts):
        return None  # makes no function: returns its argument, or an object of its own
    if call is None:
        return Maker(value, None)
    if code.co_flags & 0x0C:  # *args or **kwargs: which argument lands where is not plain
        return Maker(value, {}, known=False)
    parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    positional = parameters[: code.co_argcount]
    arguments: dict[str, Any] = {}
    defaults = value.__defaults__ or ()
    for name, default in zip(positional[len(positional) - len(defaults) :], defaults, strict=True):
        arguments[name] = default
    arguments.update(value.__kwdefaults__ or {})
    try:
        if len(call.args) > len(positional) or any(isinstance(a, ast.Starred) for a in call.args):
            return Maker(value, {}, known=False)
        for name, argument in zip(positional, call.args, strict=False):
            arguments[name] = _argument(argument, evaluate)
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg not in parameters:
                return Maker(value, {}, known=False)
            arguments[keyword.arg] = _argument(keyword.value, evaluate)
    except LookupError:
        return Maker(value, {}, known=False)
    if set(arguments) != set(parameters):
        return Maker(value, {}, known=False)
    return Maker(value, arguments)


def _argument(expression: ast.expr, evaluate: Callable[[ast.expr], Any]) -> Any:
    if not pure(expression):
        raise LookupError(expression)
    try:
        return evaluate(expression)
    except Exception as error:
        raise LookupError(expression) from error


def chains_agree(live: Chain, expected: Chain, known: bool) -> bool | None:
    """True or False when the chains show it, None when unknown decorators hide it."""
    if known:
        if len(live) != len(expected):
            return False
        verdict: bool | None = True
        for level, expectation in zip(live, expected, strict=True):
            agrees = _level_agrees(level, expectation)
            if agrees is False:
                return False
            if agrees is None:
                verdict = None
        return verdict
    if not expected:
        return not live
    named = [part for part in expected if isinstance(part, str) and part != UNKNOWN]
    visible = [part for part in live if isinstance(part, str) and part != UNKNOWN]
    if named != visible[: len(named)] and named != visible[-len(named) :]:
        return False  # a known wrapper is missing, or one is there that the text lacks
    return None


def _level_agrees(level: Level, expectation: Level) -> bool | None:
    if not isinstance(expectation, Maker):
        return level == expectation
    if not isinstance(level, Made):
        return False  # the decorator would leave a wrapper, and none is there
    # Its code is nested in the decorator's (closures follow every patch of it),
    # one level deep, or two for a decorator factory.
    depth = 1 if expectation.arguments is None else 2
    if not _nested_in(level.wrapper.__code__, expectation.function.__code__, depth):
        return False  # made by another function, or a decorator that became a factory
    if expectation.arguments is None:
        return True
    if not expectation.known:
        return None
    wrapper = level.wrapper
    cells = dict(zip(wrapper.__code__.co_freevars, wrapper.__closure__ or (), strict=True))
    verdict: bool | None = True
    for name, value in expectation.arguments.items():
        cell = cells.get(name)
        if cell is None:
            verdict = None  # the wrapper does not keep this argument: it cannot show it
            continue
        try:
            held = cell.cell_contents
        except ValueError:
            return None
        if not same_value(held, value):
            return False
    return verdict


def _nested_in(code: CodeType, outer: CodeType, depth: int) -> bool:
    constants = [c for c in outer.co_consts if type(c) is CodeType]
    if depth == 1:
        return any(constant is code for constant in constants)
    return any(_nested_in(code, constant, depth - 1) for constant in constants)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
