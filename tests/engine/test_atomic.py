"""A commit is atomic for every thread that runs Python code: all of a patch, or none of it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.helpers import Live, codes, ok

FUNCTIONS = 300
THREADS = 4
#: Enough to show the mechanism here; tests/agent/test_atomic_kernel.py and
#: benchmarks/bench_atomic.py run 1,000 through a real kernel.
PATCHES = 40


def numbered(version: int, functions: int = FUNCTIONS) -> str:
    return "".join(f"def f{index}():\n    return {version}\n\n" for index in range(functions))


class Checkers:
    """Busy threads calling the first, the last, then the first function again.

    Every commit swaps ``f0`` no later than the last function, and versions only
    grow: a thread that sees a version fall between two calls saw a torn patch.
    """

    def __init__(self, first: Callable[[], int], last: Callable[[], int]) -> None:
        self.first, self.last = first, last
        self.torn: set[int] = set()
        self.checks = 0
        self.stopping = False
        self.threads = [threading.Thread(target=self.check, daemon=True) for _ in range(THREADS)]

    def check(self) -> None:
        first, last = self.first, self.last
        while not self.stopping:
            a = first()
            b = last()
            c = first()
            if a > b or b > c:
                self.torn.add(max(a, b, c))
            self.checks += 1


@contextmanager
def busy(first: Callable[[], int], last: Callable[[], int]) -> Iterator[Checkers]:
    checkers = Checkers(first, last)
    for thread in checkers.threads:
        thread.start()
    time.sleep(0.05)  # let every checker get going
    try:
        yield checkers
    finally:
        checkers.stopping = True
        for thread in checkers.threads:
            thread.join()


def test_atomic_busy_threads_never_see_a_half_applied_patch(live: Live) -> None:
    module = live.load(numbered(0))
    with busy(module.f0, getattr(module, f"f{FUNCTIONS - 1}")) as checkers:
        for version in range(1, PATCHES + 1):
            result = ok(live.patch(module, numbered(version)))
            assert len(result.changed) == FUNCTIONS
    assert checkers.checks > PATCHES
    assert (module.f0(), getattr(module, f"f{FUNCTIONS - 1}")()) == (PATCHES, PATCHES)
    assert sorted(checkers.torn) == []


def test_atomic_checker_sees_a_swap_that_lets_threads_in(live: Live) -> None:
    # The same checkers against assignments one by one with a pause half way:
    # proof that they catch a torn patch when there is one.
    module = live.load(numbered(0))
    functions = [getattr(module, f"f{index}") for index in range(FUNCTIONS)]
    with busy(functions[0], functions[-1]) as checkers:
        for version in range(1, 6):
            fresh = live.fresh(numbered(version))
            for index, function in enumerate(functions):
                function.__code__ = getattr(fresh, f"f{index}").__code__
                if index == FUNCTIONS // 2:
                    deadline = time.monotonic() + 5
                    while version not in checkers.torn and time.monotonic() < deadline:
                        time.sleep(0.001)
    assert sorted(checkers.torn) == [1, 2, 3, 4, 5]


def test_atomic_new_decorator_finds_the_names_the_patch_adds(live: Live) -> None:
    module = live.load("def f():\n    return 1\n")
    after = (
        "def f():\n    return 2\n\n"
        "REGISTRY = {}\n\n"
        "def register(function):\n    REGISTRY[function.__name__] = helper(function)\n"
        "    return function\n\n"
        "def helper(function):\n    return function.__name__.upper()\n\n"
        "@register\ndef handler():\n    return 'handled'\n"
    )
    ok(live.patch(module, after))
    assert module.REGISTRY == {"handler": "HANDLER"}
    assert module.handler() == "handled"
    assert module.f() == 2


def test_atomic_new_decorator_runs_before_the_swap(live: Live) -> None:
    # A decorator runs while the patch is staged: functions the patch changes
    # still run their old code then (no thread may see the new code early).
    before = "def version():\n    return 1\n\nseen = []\n"
    module = live.load(before)
    after = (
        "def version():\n    return 2\n\nseen = []\n\n"
        "def note(function):\n    seen.append(version())\n    return function\n\n"
        "@note\ndef g():\n    return 0\n"
    )
    ok(live.patch(module, after))
    assert module.seen == [1]
    assert module.version() == 2


def test_atomic_setter_sees_the_getter_the_patch_rebuilds(live: Live) -> None:
    before = (
        "class C:\n    @property\n    def x(self):\n        return 1\n\n"
        "    @x.setter\n    def x(self, value):\n        pass\n\n"
        "    @x.deleter\n    def x(self):\n        pass\n"
    )
    module = live.load(before)
    after = before[: before.index("\n    @x.deleter")] + "\n"
    ok(live.patch(module, after))
    assert module.C.x.fset is not None
    assert module.C.x.fdel is None


def test_atomic_failing_decorator_leaves_nothing_applied(live: Live) -> None:
    before = numbered(0, 20) + "def gone():\n    return 'gone'\n"
    module = live.load(before)
    after = numbered(1, 20) + "def new():\n    return 1\n\n@new.missing\ndef broken():\n    pass\n"
    result = live.patch(module, after)
    assert not result.ok
    assert [module.f0(), module.f19()] == [0, 0]
    assert "new" not in vars(module)
    assert "broken" not in vars(module)
    assert module.gone() == "gone"


AUDITED = """
import sys
import splice
from splice.engine.baselines.store import remember_baseline

sys.path.insert(0, {folder!r})
remember_baseline("audited", open({path!r}).read())
import audited

armed = [0]


def refuse(event, arguments):
    # Raise from inside the swap, at the 150th code assignment.
    if armed[0] and event == "object.__setattr__" and arguments[1] == "__code__":
        armed[0] -= 1
        if armed[0] == 0:
            raise RuntimeError("refused by an audit hook")


sys.addaudithook(refuse)
armed[0] = 150
new = {new!r}
result = splice.patch_module(audited, new)
print(result.ok, [f.code for f in result.errors])
print(sorted({{getattr(audited, f"f{{i}}")() for i in range(300)}}), "added" in vars(audited))
print(audited.gone(), audited.cached(1) is audited.cached(1))
armed[0] = 0
result = splice.patch_module(audited, new)
print(result.ok, sorted({{getattr(audited, f"f{{i}}")() for i in range(300)}}), audited.added())
"""


def test_atomic_swap_that_raises_half_way_is_undone_exactly(tmp_path: Path) -> None:
    cached = "import functools\n\n@functools.lru_cache\ndef cached(x):\n    return [x]\n\n"
    before = numbered(0) + cached + "def gone():\n    return 'gone'\n"
    after = numbered(1) + cached.replace("[x]", "[x, 1]") + "def added():\n    return 'added'\n"
    (tmp_path / "audited.py").write_text(before)
    script = AUDITED.format(folder=str(tmp_path), path=str(tmp_path / "audited.py"), new=after)
    output = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert output == [
        "False ['apply-failed']",
        "[0] False",
        "gone True",
        "True [1] added",
    ]


def test_atomic_free_threaded_patch_warns_it_was_not_atomic(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No free-threaded CPython here: stand in for one whose GIL is off.
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    module = live.load(numbered(0, 3))
    result = ok(live.patch(module, numbered(1, 3)))
    assert codes(result.warnings) == ["patch-not-atomic"]
    assert module.f2() == 1


def test_atomic_gil_build_patch_has_no_atomicity_warning(live: Live) -> None:
    module = live.load(numbered(0, 3))
    result = ok(live.patch(module, numbered(1, 3)))
    assert result.warnings == ()


def test_atomic_metaclass_setattr_still_sees_every_member(live: Live) -> None:
    before = (
        "class Watched(type):\n"
        "    written = []\n\n"
        "    def __setattr__(cls, name, value):\n"
        "        Watched.written.append(name)\n"
        "        super().__setattr__(name, value)\n\n"
        "class C(metaclass=Watched):\n"
        "    def m(self):\n        return 1\n"
    )
    module = live.load(before)
    ok(live.patch(module, before + "\n    def n(self):\n        return 2\n"))
    assert module.Watched.written == ["n"]
    assert module.C().n() == 2
