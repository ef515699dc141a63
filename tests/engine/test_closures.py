"""Closures made before a patch: updated in place when they can be, reported when not."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

FACTORY = """\
def make_adder(n):
    def add(x):
        return x + n
    return add

add_one = make_adder(1)
"""


def test_closure_existing_runs_new_inner_code(live: Live) -> None:
    module = live.load(FACTORY)
    existing = module.add_one
    assert existing(1) == 2
    result = ok(live.patch(module, FACTORY.replace("x + n", "x + n * 100")))
    assert result.changed == ("make_adder",)
    assert existing(1) == 101


def test_closure_made_after_patch_runs_new_inner_code(live: Live) -> None:
    module = live.load(FACTORY)
    ok(live.patch(module, FACTORY.replace("x + n", "x + n * 100")))
    assert module.make_adder(2)(1) == 201


def test_closure_update_reports_no_warning(live: Live) -> None:
    module = live.load(FACTORY)
    result = ok(live.patch(module, FACTORY.replace("x + n", "x - n")))
    assert result.warnings == ()
    assert codes(result.skipped) == live.either([], ["statement-unverified"])  # add_one = ...


FREE_VARS_AFTER = """\
def make_adder(n):
    m = 10
    def add(x):
        return x + n + m
    return add

add_one = make_adder(1)
"""


def test_closure_free_vars_changed_warns(live: Live) -> None:
    module = live.load(FACTORY)
    result = ok(live.patch(module, FREE_VARS_AFTER))
    # The closure made at line 7 is named too: running that statement again refreshes it.
    assert codes(result.warnings) == ["closure-freevars-changed", "statement-stale"]
    assert result.warnings[1].line == 7
    warning = result.warnings[0]
    assert warning.severity == "warning"
    assert warning.qualname == "make_adder"
    assert warning.line == 3
    assert "n → m, n" in warning.message


def test_closure_free_vars_changed_patches_enclosing(live: Live) -> None:
    module = live.load(FACTORY)
    ok(live.patch(module, FREE_VARS_AFTER))
    assert module.make_adder(1)(1) == 12


def test_closure_free_vars_changed_old_closure_keeps_old_code(live: Live) -> None:
    module = live.load(FACTORY)
    existing = module.add_one
    ok(live.patch(module, FREE_VARS_AFTER))
    assert existing(1) == 2
    assert existing.__code__.co_freevars == ("n",)


NESTED_IN_METHOD = """\
class C:
    def handlers(self):
        def on_click():
            return "old"
        return on_click
"""


def test_closure_in_method_existing_runs_new_code(live: Live) -> None:
    module = live.load(NESTED_IN_METHOD)
    handler = module.C().handlers()
    assert handler() == "old"
    ok(live.patch(module, NESTED_IN_METHOD.replace('"old"', '"new"')))
    assert handler() == "new"


def test_closure_lambda_existing_runs_new_code(live: Live) -> None:
    source = "def make(k):\n    return lambda x: x * k\n\ntriple = make(3)\n"
    module = live.load(source)
    triple = module.triple
    ok(live.patch(module, source.replace("x * k", "x * k + 1")))
    assert triple(2) == 7


def test_closure_cell_cannot_be_added_to_live_function_refused(live: Live) -> None:
    # A staticmethod has no instance to stand in for a new ``__class__`` cell.
    source = "class C:\n    @staticmethod\n    def s():\n        return 1\n"
    module = live.load(source)
    result = live.patch(module, source.replace("return 1", "return __class__"))
    assert codes(result.errors) == ["closure-freevars-changed"]
    assert result.errors[0].qualname == "C.s"
    assert "__class__" in result.errors[0].message
    assert module.C.s() == 1


MULTIPLIER = """\
def make(k):
    def inner(x):
        return x * k
    return inner

clo = make(5)
"""


def test_closure_made_before_its_factory_moved_follows_a_later_edit(live: Live) -> None:
    module = live.load(MULTIPLIER)
    clo = module.clo
    moved = ok(live.repatch(module, "import os\n\n" + MULTIPLIER))
    assert "make" in moved.moved
    ok(live.repatch(module, "import os\n\n" + MULTIPLIER.replace("x * k", "x - k")))
    assert clo(2) == -3
    assert module.clo is clo


def test_closure_made_before_many_moves_follows_every_edit(live: Live) -> None:
    module = live.load(MULTIPLIER)
    clo = module.clo
    for lines in range(1, 5):
        ok(live.repatch(module, "# above\n" * lines + MULTIPLIER))
        assert clo.__code__.co_firstlineno == 2 + lines
    ok(live.repatch(module, "# above\n" * 5 + MULTIPLIER.replace("x * k", "x + k")))
    assert clo(2) == 7
    ok(live.repatch(module, "# above\n" * 2 + MULTIPLIER.replace("x * k", "x - k")))
    assert clo(2) == -3
    assert clo.__code__.co_firstlineno == 4


WRAPS_DECORATOR = """\
import functools

def logged(function):
    @functools.wraps(function)
    def wrapper(*args):
        return ("logged", function(*args))
    return wrapper

@logged
def work(x):
    return x
"""


def test_wrapper_made_before_its_decorator_moved_follows_a_later_edit(live: Live) -> None:
    module = live.load(WRAPS_DECORATOR)
    work = module.work
    ok(live.repatch(module, "# a comment\n" + WRAPS_DECORATOR))
    ok(live.repatch(module, "# a comment\n" + WRAPS_DECORATOR.replace('"logged"', '"traced"')))
    assert work(1) == ("traced", 1)
    assert module.work is work


def test_closure_update_without_live_closures_walks_no_heap(live: Live) -> None:
    # No closure of ``make`` is alive: the edit of its inner code must not scan the heap.
    import gc

    source = MULTIPLIER.replace("clo = make(5)\n", "")
    module = live.load(source)
    calls = []
    original = gc.get_referrers

    def counting(*objects: object) -> list[object]:
        calls.append(objects)
        return original(*objects)

    gc.get_referrers = counting
    try:
        ok(live.repatch(module, "# moved\n" + source.replace("x * k", "x - k")))
    finally:
        gc.get_referrers = original
    assert calls == []
    assert module.make(5)(2) == -3


def test_closure_whose_inner_function_became_a_lambda_is_reported(live: Live) -> None:
    module = live.load(MULTIPLIER)
    clo = module.clo
    after = MULTIPLIER.replace(
        "    def inner(x):\n        return x * k\n    return inner\n",
        "    return lambda x: x - k\n",
    )
    result = ok(live.patch(module, after))
    # The closure is named, and so is the statement that made it from the old code.
    assert sorted(f.code for f in result.warnings) == [
        "closure-freevars-changed",
        "statement-stale",
    ]
    closure = next(f for f in result.warnings if f.code == "closure-freevars-changed")
    assert "make.<locals>.inner" in closure.message
    assert clo(2) == 10  # its old code, as said
    assert module.make(5)(2) == -3


def test_inner_function_removed_without_live_closures_says_nothing(live: Live) -> None:
    source = MULTIPLIER.replace("clo = make(5)\n", "")
    module = live.load(source)
    after = source.replace(
        "    def inner(x):\n        return x * k\n    return inner\n",
        "    return lambda x: x - k\n",
    )
    assert ok(live.patch(module, after)).warnings == ()
