"""Small operations on code objects: find, compare and move them."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from types import CodeType

#: What ``same_code`` compares besides constants. Fields CPython stores come
#: first; ``co_code`` and the variable names are last because reading them on
#: 3.11+ keeps a copy on the code object for good (3.12+: the names too).
_POSITION_FREE = (
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_flags",
    "co_name",
    "co_names",
    "co_code",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
)


#: Flags that make a function a generator or coroutine function; Python 3.13
#: deprecates assigning a ``__code__`` whose kind differs.
#: (CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR: stable
#: values, spelled out to spare importing ``inspect``.)
_KIND_FLAGS = 0x20 | 0x80 | 0x100 | 0x200


def code_kind(code: CodeType) -> int:
    """Whether ``code`` is a plain, generator, coroutine or async generator function's."""
    return code.co_flags & _KIND_FLAGS


def nested_codes(code: CodeType) -> Iterator[CodeType]:
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield constant


def all_nested(code: CodeType) -> Iterator[CodeType]:
    """Every code object nested in ``code``, at any depth."""
    for constant in nested_codes(code):
        yield constant
        yield from all_nested(constant)


def has_nested(code: CodeType) -> bool:
    return any(type(constant) is CodeType for constant in code.co_consts)


def same_position(first: CodeType, second: CodeType) -> bool:
    """Whether two code objects of the same code stand on the same lines."""
    return (
        first.co_firstlineno == second.co_firstlineno and first.co_linetable == second.co_linetable
    )


def find_code(code: CodeType, path: list[str], line: int | None) -> CodeType | None:
    """Follow ``path`` (names of nested code objects) from ``code``.

    The last step prefers the object whose ``co_firstlineno`` is ``line``.
    """
    current = code
    for depth, name in enumerate(path):
        candidates = [child for child in nested_codes(current) if child.co_name == name]
        if not candidates:
            return None
        last = depth == len(path) - 1
        if last and line is not None:
            exact = [child for child in candidates if child.co_firstlineno == line]
            candidates = exact or candidates
        current = candidates[-1] if not last or line is None else candidates[0]
    return current


class CodeIndex:
    """``find_code`` over one module's code, each level's children grouped once.

    Looking up every definition of a large module one by one would scan the
    module's constants again each time.
    """

    def __init__(self, code: CodeType) -> None:
        self.code = code
        self._children: dict[int, dict[str, list[CodeType]]] = {}

    def children(self, code: CodeType) -> dict[str, list[CodeType]]:
        groups = self._children.get(id(code))
        if groups is None:
            groups = {}
            for child in nested_codes(code):
                groups.setdefault(child.co_name, []).append(child)
            self._children[id(code)] = groups
        return groups

    def find(self, path: list[str], line: int | None) -> CodeType | None:
        """As ``find_code(self.code, path, line)``."""
        current = self.code
        for depth, name in enumerate(path):
            candidates = self.children(current).get(name)
            if not candidates:
                return None
            last = depth == len(path) - 1
            if last and line is not None:
                candidates = [c for c in candidates if c.co_firstlineno == line] or candidates
            current = candidates[-1] if not last or line is None else candidates[0]
        return current


def same_code(first: CodeType, second: CodeType) -> bool:
    """Whether two code objects do the same thing, wherever they stand in the file."""
    # ``==`` is stricter than the look below (it also compares positions, and
    # constants by type and value, nested code recursively, other objects by
    # identity) and fills no cache: on 3.11+ reading ``co_code`` leaves a copy
    # of the bytecode on the code object, and recovery compares every live function.
    if first is second or first == second:
        return True
    for name in _POSITION_FREE:
        if getattr(first, name) != getattr(second, name):
            return False
    if len(first.co_consts) != len(second.co_consts):
        return False
    for left, right in zip(first.co_consts, second.co_consts, strict=False):
        if isinstance(left, CodeType) and isinstance(right, CodeType):
            if not same_code(left, right):
                return False
        elif _constant_key(left) != _constant_key(right):
            return False
    return True


def _constant_key(value: object) -> object:
    """``value`` as CPython tells constants apart: by type at every level, and
    zeros by sign (``0.0 == -0.0`` and ``(1,) == (1.0,)``, but they behave apart)."""
    if type(value) is float or type(value) is complex:
        return type(value), repr(value)
    if type(value) is tuple:
        return tuple, tuple(map(_constant_key, value))
    if type(value) is frozenset:
        return frozenset, frozenset(map(_constant_key, value))
    return type(value), value


def shift_lines(code: CodeType, delta: int) -> CodeType:
    """The same code, ``delta`` lines further down (line tables are relative)."""
    if delta == 0:
        return code
    constants = tuple(
        shift_lines(constant, delta) if isinstance(constant, CodeType) else constant
        for constant in code.co_consts
    )
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=constants)


def pair_nested(old: CodeType, new: CodeType) -> Iterator[tuple[CodeType, CodeType]]:
    """Pairs of nested code objects (inner functions, lambdas) of two versions.

    Siblings are matched by name and order among equal names, recursively.
    """
    seen: dict[str, list[CodeType]] = {}
    for child in nested_codes(new):
        seen.setdefault(child.co_name, []).append(child)
    counters: dict[str, int] = {}
    for child in nested_codes(old):
        index = counters.get(child.co_name, 0)
        counters[child.co_name] = index + 1
        matches = seen.get(child.co_name, [])
        if index < len(matches):
            yield child, matches[index]
            yield from pair_nested(child, matches[index])


def replace_constant(code: CodeType, placeholder: object, value: object) -> CodeType:
    """``code`` with ``placeholder`` swapped for ``value`` in its constants, recursively."""
    constants = tuple(
        value
        if isinstance(constant, str) and constant == placeholder
        else replace_constant(constant, placeholder, value)
        if isinstance(constant, CodeType)
        else constant
        for constant in code.co_consts
    )
    return code.replace(co_consts=constants)


def codes_in_use(updates: Mapping[CodeType, object]) -> list[CodeType]:
    """The nested code objects among ``updates``' keys that something holds
    besides their parent's constants: a function made from them (a closure or
    a wrapper), a frame running them.

    A reference count says it without walking the heap, so an edit that only
    moves a factory pays for ``gc.get_referrers`` only when closures it made
    are alive. Where counts are not exact (no ``sys.getrefcount``, or a
    free-threaded build), every key counts as in use.
    """
    base = _unheld_count()
    if base is None:
        return list(updates)
    return [code for code, count in zip(updates, _counts(updates), strict=True) if count > base]


def _counts(updates: Mapping[CodeType, object]) -> list[int]:
    # Each key is held here by its parent's constants, by the mapping and by
    # the loop: the calibration below counts the same way.
    counts = []
    for code in updates:
        counts.append(sys.getrefcount(code))
    return counts


_UNHELD: list[int | None] = []


def _unheld_count() -> int | None:
    """What ``_counts`` says of a nested code object nothing else holds (measured once)."""
    if not _UNHELD:
        exact = hasattr(sys, "getrefcount") and not _free_threaded()
        if exact:
            module = compile("def outer():\n    def inner():\n        pass\n", "<splice>", "exec")
            outer = next(nested_codes(module))
            probe = dict.fromkeys(nested_codes(outer), outer)
            _UNHELD.append(_counts(probe)[0])
        else:
            _UNHELD.append(None)
    return _UNHELD[0]


def _free_threaded() -> bool:
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
