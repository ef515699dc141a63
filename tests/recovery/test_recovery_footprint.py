"""Judging a module leaves its live functions as it found them.

Recovery judges every module of the user's program once; anything a look at
a live function makes and the function keeps (CPython makes a function's
``__dict__``, or on 3.11+ a copy of its bytecode, the first time they are
read) is held by the program for good: more than the text itself before
these were avoided (docs/benchmarks.md, "Cost at scale").
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType, ModuleType

import pytest
from recovery_support import Modules

from splice.engine.baselines import recovery

SOURCE = '''\
"""Plain functions, methods, a property with a setter, wrappers."""
import functools


def greet(name="world"):
    return f"hello {name}"


@functools.lru_cache(maxsize=None)
def square(x):
    return x * x


class Shape:
    def __init__(self, size=2):
        self.size = size

    def area(self, factor=1):
        return self.size * self.size * factor

    @property
    def side(self):
        return self.size

    @side.setter
    def side(self, value):
        self.size = value

    @staticmethod
    def kind():
        return "shape"
'''

#: An instance among the module's names: its attributes are stored inline on 3.11+.
INSTANCE = f"""{SOURCE}

class Holder:
    def __init__(self):
        self.count = 0


HOLDER = Holder()
"""


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Modules]:
    helper = Modules(tmp_path)
    yield helper
    helper.cleanup()


def _plain(module: ModuleType) -> list[FunctionType]:
    # Not ``square.__wrapped__``: ``functools.wraps`` reads its dict at import.
    shape = module.Shape
    side = vars(shape)["side"]
    return [module.greet, shape.__init__, shape.area, side.fget, side.fset]


def _functions(module: ModuleType) -> list[FunctionType]:
    # ``staticmethod`` reads its function's annotations when it is made.
    return [*_plain(module), vars(module.Shape)["kind"].__func__]


def _makes_dict(value: object, read: Callable[[object], object] = vars) -> bool:
    """Whether ``read(value)`` makes the dict it returns (the collector sees any it had)."""
    had = [referent for referent in gc.get_referents(value) if type(referent) is dict]
    made = read(value)
    return not any(made is dictionary for dictionary in had)


def _annotations(function: object) -> object:
    return function.__annotations__  # type: ignore[attr-defined]


def _makes_bytecode(function: FunctionType) -> bool:
    """Whether reading ``co_code`` allocates the bytes (so the code object kept no copy)."""
    code = function.__code__
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        bytecode = code.co_code
        allocated = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return allocated >= len(bytecode)


def test_judging_makes_no_dict_no_annotations_and_keeps_no_bytecode_copy_on_functions(
    modules: Modules,
) -> None:
    module = modules.load(SOURCE)
    untouched = modules.load(SOURCE)  # never judged: shows the checks below can fail
    copies = sys.version_info >= (3, 11)  # before 3.11 the bytecode is a field, not a copy

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "verified", verdict
    assert all(_makes_dict(function) for function in _functions(untouched))
    assert all(_makes_dict(function) for function in _functions(module))
    assert all(_makes_dict(function, _annotations) for function in _plain(untouched))
    assert all(_makes_dict(function, _annotations) for function in _plain(module))
    if copies:
        assert all(_makes_bytecode(function) for function in _functions(untouched))
        assert all(_makes_bytecode(function) for function in _functions(module))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="before 3.11 every instance has a dict")
def test_judging_keeps_an_instances_attributes_inline(modules: Modules) -> None:
    module = modules.load(INSTANCE)
    untouched = modules.load(INSTANCE)

    # Unconfirmed (``HOLDER = Holder()`` runs code): every check ran all the same.
    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "unconfirmed", verdict
    assert _makes_dict(untouched.HOLDER)
    assert _makes_dict(module.HOLDER)
