"""A commit's live mutations, planned as data and swapped in by one C-level call.

CPython, with its global interpreter lock, switches threads only at an
eval-breaker check in bytecode, or where C code releases the lock. The swap
(every attribute assignment, namespace write and cache clear a patch makes)
is one call of C functions (``deque`` consuming ``map(setattr, ...)`` and its
kind) with no bytecode in between: a thread that runs Python code sees either
none of the patch or all of it. Code the patch must run (decorators of new
definitions, imports, ``__set_name__``) runs while staging, before the swap;
it sees the module as it was, plus what the patch binds (``pending_bindings``).

Nothing is freed inside the swap: the transaction keeps every value it
replaces, so no finalizer or weakref callback (Python code) runs there.

A ``Transaction`` is also the commit's undo log (a list of callables, newest
last): a step that must mutate live state itself, running framework code on
it, appends its undo as steps always did (see ``immediately``).
"""

from __future__ import annotations

import builtins
import functools
import operator
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from types import FunctionType, ModuleType
from typing import Any

_MISSING: Any = object()
_DELETED: Any = object()
_BUILTIN_NAMES = frozenset(vars(builtins))
_GENERIC_SETATTR = (object.__setattr__, type.__setattr__, ModuleType.__setattr__)
_GENERIC_DELATTR = (object.__delattr__, type.__delattr__, ModuleType.__delattr__)
_C_CACHE = getattr(functools, "_lru_cache_wrapper", None)
_CLEAR_CACHE = operator.methodcaller("cache_clear")

#: The transaction being staged (one at a time: the engine holds its patch lock).
_staging: Transaction | None = None


class _Change:
    """One attribute of an object, or one key of a dict: its value before and after."""

    __slots__ = ("target", "name", "is_item", "previous", "value")

    def __init__(self, target: Any, name: str, is_item: bool, previous: Any) -> None:
        self.target = target
        self.name = name
        self.is_item = is_item
        self.previous = previous
        self.value = previous


class Transaction(list[Callable[[], None]]):
    """The mutations of one commit, recorded while staging and applied by ``swap``.

    As a list it is the undo log, newest last; ``undo`` runs it in reverse.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[tuple[int, str, bool], _Change] = {}
        self._caches: list[Any] = []
        self._immediate = False
        #: ids of functions whose code the patch changes (not only moves).
        self._changed: set[int] = set()

    # -- recording -------------------------------------------------------
    def set_attribute(self, target: Any, name: str, value: Any) -> None:
        self._record(target, name, False, value)

    def delete_attribute(self, target: Any, name: str) -> None:
        self._record(target, name, False, _DELETED)

    def set_item(self, mapping: dict[str, Any], key: str, value: Any) -> None:
        self._record(mapping, key, True, value)

    def delete_item(self, mapping: dict[str, Any], key: str) -> None:
        self._record(mapping, key, True, _DELETED)

    def mark_changed(self, function: FunctionType) -> None:
        """``function``'s staged code is new code, not the old one moved: code run
        while staging should see it (``stand_ins``)."""
        self._changed.add(id(function))

    def clear_cache(self, cache: Any) -> None:
        self._caches.append(cache)

    @contextmanager
    def immediately(self) -> Iterator[None]:
        """Make mutations at once (each logging its undo) instead of at the swap.

        For steps that run framework code on live objects (adapters): that
        code must see what the step changed so far, as it always did.
        """
        self._immediate = True
        try:
            yield
        finally:
            self._immediate = False

    def pending(self, target: Any) -> dict[str, Any]:
        """What the swap will bind in ``target``'s namespace (a module or a class)."""
        module = isinstance(target, ModuleType)
        namespace = target.__dict__ if module else target
        return {
            change.name: change.value
            for change in self._pending.values()
            if change.is_item == module
            and change.target is namespace
            and change.value is not _DELETED
            and change.value is not change.previous
        }

    def stand_ins(self, target: Any) -> dict[str, Any]:
        """Names of ``target`` (a module or a class) bound to functions the patch
        changes in place, each to a copy with its staged code and attributes."""
        if not self._changed:
            return {}
        staged: dict[int, dict[str, Any]] = {}
        for key in self._changed:
            for name in _FUNCTION_PARTS:
                change = self._pending.get((key, name, False))
                if change is not None and change.value is not change.previous:
                    staged.setdefault(key, {})[name] = change.value
        copies: dict[str, Any] = {}
        for name, value in vars(target).items():
            inner = value.__func__ if type(value) in (staticmethod, classmethod) else value
            if type(inner) is FunctionType and id(inner) in staged:
                copy = _function_copy(inner, staged[id(inner)])
                copies[name] = copy if inner is value else type(value)(copy)
        return copies

    def reveal_new_names(self, module: ModuleType) -> None:
        """Bind now the names the patch adds to ``module``: code of the patch is about to run.

        Functions that code calls (a new decorator, say) read the module's
        globals, so the new names must be there. Code from before the patch
        can reach a name it never had only by a lookup that failed before
        (``hasattr``, ``globals()``, a NameError); a name that would shadow a
        builtin, or reach a module ``__getattr__``, waits for the swap.
        """
        mapping = module.__dict__
        if "__getattr__" in mapping:
            return
        for change in self._pending.values():
            if (
                change.is_item
                and change.target is mapping
                and change.previous is _MISSING
                and change.value is not _DELETED
                and change.name not in _BUILTIN_NAMES
                and change.name not in mapping
            ):
                mapping[change.name] = change.value
                self.append(_remover(mapping, change.name))

    def _record(self, target: Any, name: str, is_item: bool, value: Any) -> None:
        if self._immediate:
            self._apply_now(target, name, is_item, value)
            return
        key = (id(target), name, is_item)
        change = self._pending.get(key)
        if change is None:
            change = self._pending[key] = _Change(
                target, name, is_item, _read(target, name, is_item)
            )
        change.value = value

    def _apply_now(self, target: Any, name: str, is_item: bool, value: Any) -> None:
        change = _Change(target, name, is_item, _read(target, name, is_item))
        change.value = value
        if value is _DELETED and change.previous is _MISSING:
            return
        _write(change, value)
        self.append(lambda: _restore([change]))

    # -- applying --------------------------------------------------------
    def swap(self) -> None:
        """Apply every recorded change in one call of C code; nothing of it stays if it raises."""
        changes = [
            change
            for change in self._pending.values()
            if change.value is not change.previous
            and not (
                change.value is _DELETED
                and change.previous is _MISSING
                and not (change.is_item and change.name in change.target)  # revealed early
            )
        ]
        self._pending = {}
        caches, self._caches = self._caches, []
        sets: list[tuple[Any, str, Any]] = []
        deletes: list[tuple[Any, str]] = []
        item_sets: list[tuple[Any, str, Any]] = []
        item_deletes: list[tuple[Any, str]] = []
        after: list[_Change] = []
        for change in changes:
            target, name, value = change.target, change.name, change.value
            if change.is_item:
                if value is _DELETED:
                    item_deletes.append((target, name))
                else:
                    item_sets.append((target, name, value))
            elif not _plain_write(target, name, value is _DELETED):
                after.append(change)  # a metaclass's own __setattr__: Python code
            elif value is _DELETED:
                deletes.append((target, name))
            else:
                sets.append((target, name, value))
        swapped_caches = [cache for cache in caches if type(cache) is _C_CACHE]
        # Most stale results are freed now, outside the swap (freeing one may
        # run its __del__); the swap clears what threads cached since.
        deque(map(_CLEAR_CACHE, swapped_caches), maxlen=0)
        operations = chain(
            map(setattr, *_columns(sets, 3)),
            map(delattr, *_columns(deletes, 2)),
            map(operator.setitem, *_columns(item_sets, 3)),
            map(operator.delitem, *_columns(item_deletes, 2)),
            map(_CLEAR_CACHE, swapped_caches),
        )
        # The log entry comes first: if the swap raises half way, undo restores
        # what it had done (restoring an untouched value changes nothing).
        self.append(lambda: _restore(changes))
        deque(operations, maxlen=0)  # the swap: no bytecode runs until it returns
        for change in after:
            _write(change, change.value)
        for cache in caches:
            if type(cache) is not _C_CACHE:
                cache.cache_clear()

    def undo(self) -> None:
        """Run the undo log, newest first; keep going past errors, then raise the first."""
        self._pending = {}
        errors: list[Exception] = []
        while self:
            action = self.pop()
            try:
                action()
            except Exception as error:  # keep undoing: the rest must still be restored
                errors.append(error)
        if errors:
            raise errors[0]


class ImmediateLog(Transaction):
    """Mutations made at once, each undo appended to a plain list (a step run outside a commit)."""

    def __init__(self, log: list[Callable[[], None]]) -> None:
        super().__init__()
        self._immediate = True
        self._log = log

    def append(self, undo: Callable[[], None]) -> None:
        self._log.append(undo)


class Unstaged:
    """A step's action that runs framework code on live objects (an adapter's).

    The commit swaps in what is staged before such a step, then lets it make
    its mutations at once: the framework code must see them as it goes.
    """

    __slots__ = ("action",)

    def __init__(self, action: Callable[[list[Callable[[], None]]], None]) -> None:
        self.action = action

    def __call__(self, undo: list[Callable[[], None]]) -> None:
        self.action(undo)


def _read(target: Any, name: str, is_item: bool) -> Any:
    if is_item:
        return target.get(name, _MISSING)
    if isinstance(target, type):
        # A class's own attribute only: one it inherits is not put back onto it.
        return vars(target).get(name, _MISSING)
    return getattr(target, name, _MISSING)


def _write(change: _Change, value: Any) -> None:
    target, name = change.target, change.name
    if change.is_item:
        if value is _DELETED:
            target.pop(name, None)
        else:
            target[name] = value
    elif value is _DELETED:
        if _read(target, name, False) is not _MISSING:
            delattr(target, name)
    else:
        setattr(target, name, value)


def _restore(changes: list[_Change]) -> None:
    """Put every change back to its value before, newest first; skip what is already so."""
    for change in reversed(changes):
        current = _read(change.target, change.name, change.is_item)
        if current is not change.previous:
            _write(change, _DELETED if change.previous is _MISSING else change.previous)


_FUNCTION_PARTS = ("__code__", "__defaults__", "__kwdefaults__", "__annotations__", "__doc__")


def _function_copy(function: FunctionType, parts: dict[str, Any]) -> FunctionType:
    """``function`` as it will be after the swap, as a new object (the live one is untouched)."""
    copy = FunctionType(
        parts.get("__code__", function.__code__),
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__dict__.update(function.__dict__)
    copy.__qualname__ = function.__qualname__
    copy.__module__ = function.__module__
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__annotations__ = function.__annotations__
    copy.__doc__ = function.__doc__
    for name, value in parts.items():
        if name != "__code__":
            setattr(copy, name, value)
    return copy


def _remover(mapping: dict[str, Any], name: str) -> Callable[[], None]:
    def remove() -> None:
        mapping.pop(name, None)

    return remove


def _plain_write(target: Any, name: str, deleting: bool) -> bool:
    """Whether writing ``target.name`` runs C code only (no metaclass of the user's)."""
    kind = type(target)
    method = kind.__delattr__ if deleting else kind.__setattr__
    if method not in (_GENERIC_DELATTR if deleting else _GENERIC_SETATTR):
        return False
    if not isinstance(target, type):
        return True
    # A descriptor of that name on a metaclass would run its own code.
    return not any(name in vars(klass) for klass in kind.__mro__ if klass not in (type, object))


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def pending_bindings(namespace: Any) -> dict[str, Any]:
    """What the commit being staged binds in ``namespace``, for code it runs before the swap.

    For a module, the names the patch adds are bound first (``reveal_new_names``).
    A function the patch changes in place is there as a copy running its new
    code (``stand_ins``): a decorator or default that names it sees it as a
    fresh import would.
    """
    if _staging is None:
        return {}
    if isinstance(namespace, ModuleType):
        _staging.reveal_new_names(namespace)
    return {**_staging.stand_ins(namespace), **_staging.pending(namespace)}


@contextmanager
def staging(transaction: Transaction) -> Iterator[Transaction]:
    """Make ``transaction`` the one whose pending bindings code run by the commit sees."""
    global _staging
    _staging = transaction
    try:
        yield transaction
    finally:
        _staging = None


def gil_enabled() -> bool:
    """False on a free-threaded build running without its GIL."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())
