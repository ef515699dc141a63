"""The mutations a commit makes, recorded in its transaction for the swap.

Each takes the step's undo log. In a commit that is the ``Transaction``,
which records the mutation for its swap (or makes it at once, for a step it
runs ``immediately``); a plain list gets the mutation made at once and its
undo appended, as before transactions existed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
from typing import Any

from splice.engine.commit.transaction import ImmediateLog, Transaction
from splice.engine.objects.codeobjects import codes_in_use, same_code
from splice.engine.plan.steps import Undo


def replace_code(
    function: FunctionType, code: CodeType, undo: Undo, *, changed: bool = False
) -> None:
    """``changed``: new code, not the old one moved (code the commit runs sees it)."""
    transaction = _transaction(undo)
    transaction.set_attribute(function, "__code__", code)
    if changed:
        transaction.mark_changed(function)


def set_attribute(obj: Any, name: str, value: Any, undo: Undo) -> None:
    _transaction(undo).set_attribute(obj, name, value)


def bind(namespace: Any, name: str, value: Any, undo: Undo) -> None:
    if isinstance(namespace, ModuleType):
        _transaction(undo).set_item(namespace.__dict__, name, value)
        return
    # Python code (cached_property's, a user descriptor's): it runs now, while
    # staging, on a value no other thread can reach before the swap.
    set_name = getattr(type(value), "__set_name__", None)
    if set_name is not None:
        set_name(value, namespace, name)
    _transaction(undo).set_attribute(namespace, name, value)


def unbind(namespace: Any, name: str, undo: Undo) -> None:
    if isinstance(namespace, ModuleType):
        _transaction(undo).delete_item(namespace.__dict__, name)
    else:
        _transaction(undo).delete_attribute(namespace, name)


def binder(namespace: Any, values: dict[str, Any]) -> Callable[[Undo], None]:
    def bind_all(undo: Undo) -> None:
        for name, value in values.items():
            bind(namespace, name, value, undo)

    return bind_all


def update_closures(
    updates: dict[CodeType, CodeType], undo: Undo, module_globals: dict[str, Any]
) -> list[FunctionType]:
    """Point existing closures of changed or moved inner functions at their new code;
    return those whose code changed (not only moved).

    This is the one place that walks the heap (``gc.get_referrers`` visits
    every tracked object once), and only when a function made from one of
    the old inner code objects is alive (``codes_in_use``). It looks for what
    refers to the module's globals, which every function the module's code
    made does: one object to look for, however many inner functions changed
    (the walk compares each reference with each object it is given).
    """
    if not codes_in_use(updates):
        return []
    changed = []
    for referrer in gc.get_referrers(module_globals):
        if isinstance(referrer, FunctionType):
            new_code = updates.get(referrer.__code__)
            if new_code is not None:
                if not same_code(referrer.__code__, new_code):
                    changed.append(referrer)
                replace_code(referrer, new_code, undo)
    return changed


def clear_cache(cache: Any, undo: Undo) -> None:
    _transaction(undo).clear_cache(cache)


def _transaction(undo: Undo) -> Transaction:
    return undo if isinstance(undo, Transaction) else ImmediateLog(undo)
