"""Literal assignments are definitions, applied and evaluated in source order."""

from __future__ import annotations

import pytest

from engine.helpers import Live, codes, ok


def test_literal_deleted_removes_name(live: Live) -> None:
    module = live.load("z = 123\nkeep = 1\n\ndef f():\n    return keep\n")
    result = ok(live.patch(module, "keep = 1\n\ndef f():\n    return keep\n"))
    if live.baseline:
        assert result.deleted == ("z",)
        assert not hasattr(module, "z")
    else:  # a value in the namespace cannot be told from one the program set: said
        assert module.z == 123
        assert [f.qualname for f in result.skipped if f.code == "deletion-unverified"] == ["z"]
    assert module.f() == 1


def test_class_literal_deleted_removes_attribute(live: Live) -> None:
    module = live.load("class C:\n    z = 123\n    y = 1\n")
    result = ok(live.patch(module, "class C:\n    y = 1\n"))
    assert result.ok
    # Without a baseline too: the class's namespace shows its body bound z.
    assert not hasattr(module.C, "z")
    assert codes(result.skipped) == []
    assert module.C.y == 1


def test_literal_edited_is_not_deleted(live: Live) -> None:
    module = live.load("z = 1\n")
    result = ok(live.patch(module, "z = 2\n"))
    assert result.deleted == ()
    assert module.z == live.either(2, 1)  # without a baseline: named, not reset


def test_literal_deleted_but_bound_elsewhere_is_kept(live: Live) -> None:
    module = live.load("import os\nz = 1\n")
    result = ok(live.patch(module, "import os\nfrom os import sep as z\n"))
    assert result.deleted == ()
    assert module.z == module.os.sep


@pytest.mark.parametrize(
    "before",
    ["x = 42\n\ndef foo(y=1):\n    return y\n", "x = 42\n"],
    ids=["changed-function", "added-function"],
)
def test_default_reads_literal_assigned_above_in_the_same_patch(live: Live, before: str) -> None:
    module = live.load(before)
    ok(live.patch(module, "x = 44\n\ndef foo(y=x):\n    return y\n"))
    assert module.foo() == 44


def test_name_assigned_twice_ends_with_the_last_value(live: Live) -> None:
    source = "x = 1\nx = 2\n\ndef f():\n    return x\n"
    module = live.load(source)
    ok(live.patch(module, source.replace("return x", "return x * 10")))
    assert module.x == 2
    assert module.f() == 20


def test_name_assigned_twice_first_edited_keeps_the_last_value(live: Live) -> None:
    source = "x = 1\nx = 2\n"
    module = live.load(source)
    ok(live.patch(module, source.replace("x = 1", "x = 5")))
    assert module.x == 2


def test_counter_changed_by_the_program_is_not_reset(live: Live) -> None:
    source = "count = 0\n\ndef bump():\n    global count\n    count += 1\n    return count\n"
    module = live.load(source)
    module.bump()
    ok(live.patch(module, source.replace("return count", "return count * 1")))
    assert module.count == 1


def test_import_added_without_baseline_binds_name(live: Live) -> None:
    module = live.load("def f():\n    return 1\n")
    result = ok(
        live.patch(
            module,
            "import math\nfrom collections import Counter\n\ndef f():\n    return math.floor(2.5), Counter('aa')['a']\n",
        )
    )
    assert result.statements_applied == (1, 2)
    assert module.f() == (2, 2)


RUNTIME = """\
VERBOSE = False

class Conn:
    created = 0

    def __init__(self):
        Conn.created += 1

def work():
    return 1
"""


def test_state_the_program_set_survives_an_unrelated_patch(live: Live) -> None:
    module = live.load(RUNTIME)
    module.VERBOSE = True  # a flag a command line set
    module.Conn()
    module.Conn()
    result = ok(live.repatch(module, RUNTIME.replace("return 1", "return 2")))
    assert (module.VERBOSE, module.Conn.created, module.work()) == (True, 2, 2)
    # Without a baseline the text's values cannot be told from an edit: named, never reset.
    assert [(f.code, f.line) for f in result.skipped] == live.either(
        [], [("statement-unverified", 1), ("statement-unverified", 4)]
    )


def test_name_assigned_twice_last_removed_ends_with_the_first_value(live: Live) -> None:
    module = live.load("x = 1\nx = 2\n\nclass C:\n    y = 1\n    y = 2\n")
    result = ok(live.patch(module, "x = 1\n\nclass C:\n    y = 1\n"))
    # Without a baseline the live 2 may be the program's: named, kept.
    assert (module.x, module.C.y) == live.either((1, 1), (2, 2))
    assert codes(result.skipped) == live.either([], ["statement-unverified"] * 2)


def test_two_assignments_swapped_end_with_the_new_last_value(live: Live) -> None:
    module = live.load("x = 1\nx = 2\n")
    ok(live.patch(module, "x = 2\nx = 1\n"))
    assert module.x == live.either(1, 2)


def test_removed_assignment_of_a_computed_value_deletes_its_name(live: Live) -> None:
    source = "def make(k):\n    return lambda x: x * k\n\ntriple = make(3)\nsix = 6\n"
    module = live.load(source)
    result = ok(live.patch(module, source.replace("triple = make(3)\n", "")))
    # Without a baseline, a closure the file made may have been bound by the program.
    assert hasattr(module, "triple") is (not live.baseline)
    assert codes(result.skipped) == live.either([], ["deletion-unverified"])


def test_class_literal_removed_is_deleted(live: Live) -> None:
    source = "class C:\n    flag = True\n    other = 1\n\n    def m(self):\n        return 1\n"
    module = live.load(source)
    module.C.late = 1  # set by the program after the class was made: never the text's
    result = ok(live.patch(module, source.replace("    flag = True\n", "")))
    assert not hasattr(module.C, "flag")
    assert result.deleted == ("C.flag",)
    assert module.C.late == 1
