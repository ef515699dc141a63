"""``functools.singledispatch`` and ``singledispatchmethod``: registered implementations follow edits.

In a real ``splice run`` process, and in process with and without a baseline.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.helpers import Live
from kernel_support import RunningKernel, running_kernel

SOURCE = """\
import functools
import threading


@functools.singledispatch
def show(value):
    return "object"


@show.register
def _(value: int):
    return "int"


@show.register
def _(value: str):
    return "str"


class Shape:
    @functools.singledispatchmethod
    def scale(self, factor):
        return "any"

    @scale.register
    def _(self, factor: int):
        return "int"

    @scale.register
    def _(self, factor: float):
        return "float"
"""

APP = SOURCE + '\n\nprint("ready", flush=True)\nthreading.Event().wait()\n'


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKernel]:
    folder: Path = tmp_path_factory.mktemp("dispatch")
    (folder / "app.py").write_text(APP)
    with running_kernel(folder, "app.py", ready="ready") as kernel:
        yield kernel


def test_dispatch_edited_first_implementation_runs_in_a_real_process(
    kernel: RunningKernel,
) -> None:
    assert kernel.evaluate("show(1), show('a')") == "('int', 'str')"
    result = kernel.patch("__main__", APP.replace('return "int"', 'return "INT"', 1))
    assert result.ok, result
    assert [f for f in result.skipped if f.code == "definition-not-live"] == []
    assert kernel.evaluate("show(1), show('a')") == "('INT', 'str')"
    assert kernel.patch("__main__", APP).ok
    assert kernel.evaluate("show(1)") == "'int'"


def test_dispatch_method_implementation_follows_its_edit(kernel: RunningKernel) -> None:
    source = APP.replace('        return "int"', '        return "int!"')
    assert kernel.patch("__main__", source).ok
    assert kernel.evaluate("Shape().scale(2), Shape().scale(2.0)") == "('int!', 'float')"
    assert kernel.patch("__main__", APP).ok


def test_dispatch_changed_registered_type_moves_the_registration(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(
        module,
        SOURCE.replace(
            'def _(value: int):\n    return "int"', 'def _(value: float):\n    return "float"'
        ),
    )
    assert result.ok, result.errors
    assert module.show(1.5) == "float"
    assert module.show(1) == "object"
    assert module.show("a") == "str"


def test_dispatch_last_implementation_and_dispatcher_follow(live: Live) -> None:
    module = live.load(SOURCE)
    source = SOURCE.replace('return "str"', 'return "STR"').replace(
        'return "object"', 'return "OBJ"'
    )
    assert live.patch(module, source).ok
    assert (module.show("a"), module.show(None), module.show(1)) == ("STR", "OBJ", "int")


def test_dispatch_first_implementation_follows_with_and_without_baseline(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE.replace('return "int"', 'return "INT"', 1))
    assert result.ok, result.errors
    assert module.show(1) == "INT"
    assert module.show("a") == "str"


def test_dispatch_added_implementation_is_registered(live: Live) -> None:
    module = live.load(SOURCE)
    added = '@show.register\ndef _(value: bytes):\n    return "bytes"\n\n\nclass Shape:'
    assert live.patch(module, SOURCE.replace("class Shape:", added)).ok
    assert (module.show(b"x"), module.show(1), module.show("a")) == ("bytes", "int", "str")


def test_dispatch_last_implementation_type_change_moves_it(live: Live) -> None:
    module = live.load(SOURCE)
    assert live.patch(module, SOURCE.replace("def _(value: str):", "def _(value: bytes):")).ok
    assert (module.show("a"), module.show(b"x"), module.show(1)) == ("object", "str", "int")


def test_dispatch_other_register_decorators_are_left_alone(live: Live) -> None:
    source = (
        "import atexit\n\n\nclass Touchy:\n    def __getattr__(self, name):\n"
        "        raise RuntimeError(name)\n\n    def register(self, function):\n"
        "        return function\n\n\ntouchy = Touchy()\n\n\n@atexit.register\ndef bye():\n"
        "    return 1\n\n\n@touchy.register\ndef hello():\n    return 1\n"
    )
    module = live.load(source)
    result = live.patch(module, source.replace("return 1", "return 2"))
    assert result.ok, result.errors
    assert (module.bye(), module.hello()) == (2, 2)
    atexit.unregister(module.bye)
