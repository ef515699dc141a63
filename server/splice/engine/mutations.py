"""The mutations a commit makes, each recording its undo."""

from __future__ import annotations

import gc
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
from typing import Any

from splice.engine.plan import Undo

_MISSING = object()


def replace_code(function: FunctionType, code: CodeType, undo: Undo) -> None:
    previous = function.__code__
    function.__code__ = code
    undo.append(lambda: setattr(function, "__code__", previous))


def set_attribute(obj: Any, name: str, value: Any, undo: Undo) -> None:
    previous = getattr(obj, name)
    setattr(obj, name, value)
    undo.append(lambda: setattr(obj, name, previous))


def bind(namespace: Any, name: str, value: Any, undo: Undo) -> None:
    previous = vars(namespace).get(name, _MISSING)
    if isinstance(namespace, ModuleType):
        namespace.__dict__[name] = value
    else:
        setattr(namespace, name, value)
        set_name = getattr(type(value), "__set_name__", None)
        if set_name is not None:
            set_name(value, namespace, name)

    def restore() -> None:
        if previous is _MISSING:
            if isinstance(namespace, ModuleType):
                namespace.__dict__.pop(name, None)
            elif name in vars(namespace):
                delattr(namespace, name)
        elif isinstance(namespace, ModuleType):
            namespace.__dict__[name] = previous
        else:
            setattr(namespace, name, previous)

    undo.append(restore)


def unbind(namespace: Any, name: str, undo: Undo) -> None:
    previous = vars(namespace)[name]
    if isinstance(namespace, ModuleType):
        del namespace.__dict__[name]
        undo.append(lambda: namespace.__dict__.__setitem__(name, previous))
    else:
        delattr(namespace, name)
        undo.append(lambda: setattr(namespace, name, previous))


def binder(namespace: Any, values: dict[str, Any]) -> Callable[[Undo], None]:
    def bind_all(undo: Undo) -> None:
        for name, value in values.items():
            bind(namespace, name, value, undo)

    return bind_all


def update_closures(updates: dict[CodeType, CodeType], undo: Undo) -> None:
    """Point existing closures of changed inner functions at their new code.

    This is the one place that walks the heap, and only for edits that change
    nested code; ``gc.get_referrers`` visits every tracked object once.
    """
    for referrer in gc.get_referrers(*updates):
        if isinstance(referrer, FunctionType):
            new_code = updates.get(referrer.__code__)
            if new_code is not None:
                replace_code(referrer, new_code, undo)
