"""What adapters that rebuild a class in place share: moving a new class's namespace onto the live one."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from types import FunctionType
from typing import Any

from splice.engine.commit.mutations import replace_code, set_attribute
from splice.engine.hooks import ClassClaim

Undo = list[Callable[[], None]]

#: Attributes every class has of its own; never moved from one class to another.
_OWN = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__"})
_MISSING = object()


def build_new(claim: ClassClaim, refusal: str) -> tuple[bool, Any]:
    """``(True, what the new class statement made)``, or ``(False, None)`` once the
    claim is refused with the code ``refusal`` because the statement raised."""
    try:
        return True, claim.build()
    except Exception as error:
        claim.refuse(
            refusal,
            f"{claim.qualname}: the new class statement raised {type(error).__name__}: "
            f"{error}; nothing was changed",
        )
        return False, None


def snapshot(cls: type, undo: Undo) -> None:
    """Record ``cls``'s namespace so that undo restores it exactly."""
    before = dict(vars(cls))

    def restore() -> None:
        for name in list(vars(cls)):
            if name not in before and name not in _OWN:
                delattr(cls, name)
        for name, value in before.items():
            if name in _OWN:
                continue
            if vars(cls).get(name, _MISSING) is not value:
                setattr(cls, name, value)

    undo.append(restore)


def transplant(live: type, new: type, undo: Undo, keep: Iterable[str] = ()) -> None:
    """Give ``live`` the namespace of ``new`` (made from the same class's new text).

    Functions that exist in both keep the live object and get the new code
    (as a changed method does), when their closures allow; the rest are
    moved over, and a zero-argument ``super()`` in them is pointed at ``live``.
    Names in ``keep`` are neither removed nor moved over. The caller has taken
    a ``snapshot``.
    """
    kept = set(keep)
    for name in list(vars(live)):
        if name not in vars(new) and name not in _OWN and name not in kept:
            delattr(live, name)
    for name, value in vars(new).items():
        if name in _OWN or name in kept:
            continue
        current = vars(live).get(name, _MISSING)
        if _swap(current, value, undo):
            continue
        _point_super_at(value, new, live, undo)
        setattr(live, name, value)


def _function_of(value: Any) -> FunctionType | None:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    return value if isinstance(value, FunctionType) else None


def _swap(current: Any, value: Any, undo: Undo) -> bool:
    """Give the live function ``current`` the code and attributes of ``value``; False if it cannot."""
    if type(current) is not type(value):
        return False
    old, new = _function_of(current), _function_of(value)
    if old is None or new is None or old.__code__.co_freevars != new.__code__.co_freevars:
        return False
    if old.__globals__ is not new.__globals__:
        return False  # generated (attrs compiles its methods with globals of its own)
    if "__class__" in new.__code__.co_freevars or new.__closure__:
        return False  # its cells belong to the new class: moved over instead
    replace_code(old, new.__code__, undo)
    for attribute in ("__defaults__", "__kwdefaults__", "__annotations__", "__doc__"):
        set_attribute(old, attribute, getattr(new, attribute), undo)
    return True


def _point_super_at(value: Any, new: type, live: type, undo: Undo) -> None:
    functions = [_function_of(value)]
    if isinstance(value, property):
        functions = [_function_of(part) for part in (value.fget, value.fset, value.fdel)]
    for function in functions:
        if function is None or "__class__" not in function.__code__.co_freevars:
            continue
        index = function.__code__.co_freevars.index("__class__")
        cell = (function.__closure__ or ())[index]
        if cell.cell_contents is new:
            cell.cell_contents = live
            undo.append(_cell_restorer(cell, new))


def instances(cls: type) -> list[Any]:
    """The live instances of exactly ``cls`` (one pass over the objects that refer to it)."""
    return [obj for obj in gc.get_referrers(cls) if type(obj) is cls]


def _cell_restorer(cell: Any, value: Any) -> Callable[[], None]:
    def restore() -> None:
        cell.cell_contents = value

    return restore
