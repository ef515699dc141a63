"""Hover and completion never run the program's code, but the value's repr, and that under a guard (issue 20).

The program below hides code behind every hook that ``getattr``,
``isinstance``, ``dir()``, ``inspect.getdoc`` and ``inspect.signature`` would
run; each records that it ran, then loops for good. ``inspect`` must answer
without touching any of them. The one hook it may run, ``__repr__``, is cut
at the time limit of ``evaluate`` and interrupted until it stops, so no
thread goes on running it; whatever it raises (``KeyboardInterrupt``,
``SystemExit``, ``GeneratorExit``) is its text, and the connection stays.
"""

from __future__ import annotations

import time

import pytest

from kernel_support import RunningKernel, running_kernel

HOSTILE = """\
import threading, time

TOUCHED = []
spins = 0


def trap(name):
    TOUCHED.append(name)
    while True:
        pass


class Meta(type):
    @property
    def __doc__(cls):
        trap("metaclass __doc__")

    def __getattr__(cls, name):
        trap("metaclass __getattr__ " + name)


class Lazy(metaclass=Meta):
    '''A class whose metaclass computes its docstring.'''

    size = 3

    def __init__(self, rate=0.5):
        self.rate = rate

    def __getattr__(self, name):
        trap("__getattr__ " + name)

    def __dir__(self):
        trap("__dir__")

    @property
    def __class__(self):
        trap("__class__")

    def method(self, x, y=2):
        '''Adds.'''
        return x + y

    def __repr__(self):
        return "Lazy()"


class Guarded:
    def __getattribute__(self, name):
        trap("__getattribute__ " + name)

    def __repr__(self):
        return "Guarded()"


class Spinning:
    def __repr__(self):
        global spins
        while True:
            spins += 1


class Stubborn:
    # Catches the first interruptions and goes on: only insisting stops it.
    def __repr__(self):
        global spins
        for _ in range(3):
            try:
                while True:
                    spins += 1
            except BaseException:
                pass
        return "Stubborn()"


class Raising:
    def __init__(self, error):
        self.error = error

    def __repr__(self):
        raise self.error


class Busy:
    def __init__(self, value):
        self.value = value

    def describe(self, option=Spinning()):
        return self.value


lazy = Lazy()
guarded = Guarded()
spinning = Spinning()
stubborn = Stubborn()
interrupting = Raising(KeyboardInterrupt())
exiting = Raising(SystemExit(3))
closing = Raising(GeneratorExit())
busy = Busy(1)
print("ready", flush=True)
while True:
    time.sleep(0.01)
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    project = tmp_path_factory.mktemp("hostile")
    (project / "app.py").write_text(HOSTILE)
    with running_kernel(project, ready="ready") as kernel:
        yield kernel


def inspect(kernel: RunningKernel, expression: str, **params):
    """``inspect`` on a connection of its own, which must answer within 10 s."""
    with kernel.client(timeout=10) as client:
        return client.request("inspect", {"expression": expression, **params})


def untouched(kernel: RunningKernel) -> None:
    assert kernel.evaluate("TOUCHED") == "[]"


@pytest.mark.parametrize(
    "expression",
    [
        "lazy",
        "lazy.rate",
        "lazy.size",
        "lazy.method",
        "Lazy",
        "Lazy.method",
        "guarded",
        "busy.describe",
    ],
)
def test_hover_runs_no_hook_of_the_program(hostile, expression):
    result = inspect(hostile, expression)

    assert result["found"] is True
    untouched(hostile)


def test_hover_reads_values_types_signatures_and_docs_without_hooks(hostile):
    assert inspect(hostile, "lazy.rate")["value"] == "0.5"
    assert inspect(hostile, "lazy")["type"] == "Lazy"
    method = inspect(hostile, "lazy.method")
    assert (method["kind"], method["signature"], method["doc"]) == ("function", "(x, y=2)", "Adds.")
    cls = inspect(hostile, "Lazy")
    assert (cls["kind"], cls["signature"]) == ("class", "(rate=0.5)")
    assert cls["doc"] == "A class whose metaclass computes its docstring."
    untouched(hostile)


def test_a_name_only_getattr_would_give_is_not_found_and_getattr_is_not_run(hostile):
    result = inspect(hostile, "lazy.missing")

    assert result["found"] is False
    untouched(hostile)


def test_completion_lists_attributes_without_calling_dir(hostile):
    result = inspect(hostile, "lazy", attributes=True)

    kinds = {item["name"]: item["kind"] for item in result["attributes"]}
    assert (kinds["rate"], kinds["size"], kinds["method"]) == ("value", "value", "function")
    untouched(hostile)


def assert_nothing_spins(kernel: RunningKernel) -> None:
    """No thread runs a repr any more: the counter they increment stands still."""
    first = kernel.evaluate("spins")
    time.sleep(0.3)
    assert kernel.evaluate("spins") == first


@pytest.mark.parametrize("expression", ["spinning", "stubborn"])
def test_a_repr_that_loops_is_cut_and_stopped(hostile, expression):
    result = inspect(hostile, expression)

    assert result["truncated"] is True or result["value"] == "Stubborn()"
    assert_nothing_spins(hostile)


def test_a_signature_default_whose_repr_loops_is_cut_and_stopped(hostile):
    result = inspect(hostile, "busy.describe")

    assert result["signature"].startswith("(option=<Spinning object: ")
    assert_nothing_spins(hostile)


@pytest.mark.parametrize(
    ("expression", "raised"),
    [
        ("interrupting", "KeyboardInterrupt"),
        ("exiting", "SystemExit"),
        ("closing", "GeneratorExit"),
    ],
)
def test_a_repr_raising_a_base_exception_is_its_text_and_the_connection_stays(
    hostile, expression, raised
):
    with hostile.client(timeout=10) as client:
        result = client.request("inspect", {"expression": expression})
        assert result["value"] == f"<Raising object: repr raised {raised}>"
        assert client.request("inspect", {"expression": "lazy.rate"})["value"] == "0.5"
    assert hostile.process.poll() is None
