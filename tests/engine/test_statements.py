"""Top-level statements are never re-run; imports and literal assignments are applied."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

SIDE_EFFECTS = """\
import itertools

events = []
events.append("loaded")
RATE = 3
TIMEOUT = 60

def f():
    return RATE
"""


def test_statement_side_effect_not_rerun_when_function_changes(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    ok(live.patch(module, SIDE_EFFECTS.replace("return RATE", "return RATE + 1")))
    assert module.events == ["loaded"]
    assert module.f() == 4


def test_statement_changed_not_rerun_and_reported_with_line(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    result = ok(live.patch(module, SIDE_EFFECTS.replace('append("loaded")', 'append("again")')))
    assert codes(result.skipped) == [live.either("statement-not-run", "statement-unverified")]
    skipped = result.skipped[0]
    assert (skipped.line, skipped.column) == (4, 1)
    assert skipped.severity == live.either("warning", "info")
    assert module.events == ["loaded"]


def test_statement_column_counts_characters_not_bytes(live: Live) -> None:
    before = 'label = "\u00e9t\u00e9"; events = []\n'
    module = live.load(before)
    result = ok(live.patch(module, before.replace("events = []", "events = [len(label)]")))
    [skipped] = result.skipped
    assert skipped.column == len('label = "\u00e9t\u00e9"; ') + 1
    assert module.events == []


def test_statement_added_not_run_and_reported(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    after = SIDE_EFFECTS.replace("RATE = 3\n", "RATE = 3\nevents.append('new')\n")
    result = ok(live.patch(module, after))
    # Without a baseline, every statement that is not a literal or import is reported.
    assert [finding.line for finding in result.skipped] == live.either([6], [4, 6])
    assert module.events == ["loaded"]


def test_statement_skipped_appears_in_summary(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    result = ok(live.patch(module, SIDE_EFFECTS.replace('append("loaded")', 'append("again")')))
    assert "1 statement skipped (line 4)" in result.summary()


def test_literal_assignment_applied(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    result = ok(live.patch(module, SIDE_EFFECTS.replace("RATE = 3", "RATE = 4")))
    # Without a baseline, 3 may be a value the program set: named on its line, kept.
    assert result.statements_applied == live.either((5,), ())
    assert [finding.line for finding in result.skipped] == live.either([], [4, 5])
    assert live.either(4, 3) == module.RATE
    assert module.f() == live.either(4, 3)


def test_literal_expression_assignment_applied(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    ok(live.patch(module, SIDE_EFFECTS.replace("TIMEOUT = 60", "TIMEOUT = 60 * 10")))
    assert live.either(600, 60) == module.TIMEOUT


def test_literal_container_assignment_applied(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    after = SIDE_EFFECTS.replace("TIMEOUT = 60", "TIMEOUT: dict = {'a': (1, -2), 'b': [3]}")
    result = ok(live.patch(module, after))
    assert live.either({"a": (1, -2), "b": [3]}, 60) == module.TIMEOUT
    assert codes(result.skipped)[-1:] == live.either([], ["statement-unverified"])


def test_non_literal_assignment_skipped(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    result = ok(live.patch(module, SIDE_EFFECTS.replace("TIMEOUT = 60", "TIMEOUT = len(events)")))
    skipped = result.skipped if live.baseline else result.skipped[1:]  # line 4: events.append
    assert codes(skipped) == [live.either("statement-not-run", "statement-unverified")]
    assert module.TIMEOUT == 60


def test_import_added_applied(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    after = SIDE_EFFECTS.replace(
        "import itertools\n", "import itertools\nfrom os.path import join as path_join\n"
    ).replace("return RATE", "return path_join('a', 'b')")
    result = ok(live.patch(module, after))
    assert result.statements_applied == (2,)
    assert module.f() == "a/b" or module.f() == "a\\b"


def test_import_changed_applied(live: Live) -> None:
    module = live.load(SIDE_EFFECTS)
    ok(live.patch(module, SIDE_EFFECTS.replace("import itertools", "import itertools as tools")))
    assert module.tools is module.itertools


def test_docstring_of_module_applied(live: Live) -> None:
    module = live.load('"""Old."""\n' + SIDE_EFFECTS)
    ok(live.patch(module, '"""New."""\n' + SIDE_EFFECTS))
    assert module.__doc__ == "New."


BLOCKS = """\
import sys

counter = []

if sys.version_info >= (3,):
    counter.append("if")
    def f():
        return "if 1"
else:
    def f():
        return "else"

try:
    counter.append("try")
    def g():
        return "try 1"
except ImportError:
    pass

with open(__file__) as handle:
    counter.append("with")
    def h():
        return "with 1"
"""


def test_def_in_if_block_patched_without_rerunning_block(live: Live) -> None:
    module = live.load(BLOCKS)
    result = ok(live.patch(module, BLOCKS.replace('"if 1"', '"if 2"')))
    assert result.changed == ("f",)
    assert module.f() == "if 2"
    assert module.counter == ["if", "try", "with"]
    # Without a baseline, the blocks' own statements cannot be told unchanged.
    assert codes(result.skipped) == live.either([], ["statement-unverified"] * 3)


def test_def_in_try_block_patched_without_rerunning_block(live: Live) -> None:
    module = live.load(BLOCKS)
    ok(live.patch(module, BLOCKS.replace('"try 1"', '"try 2"')))
    assert module.g() == "try 2"
    assert module.counter == ["if", "try", "with"]


def test_def_in_with_block_patched_without_rerunning_block(live: Live) -> None:
    module = live.load(BLOCKS)
    ok(live.patch(module, BLOCKS.replace('"with 1"', '"with 2"')))
    assert module.h() == "with 2"
    assert module.counter == ["if", "try", "with"]


def test_def_in_untaken_branch_is_not_defined(live: Live) -> None:
    module = live.load(BLOCKS)
    result = ok(live.patch(module, BLOCKS.replace('"else"', '"else 2"')))
    assert result.changed == ()
    # Without a baseline, an untaken branch's definition is simply not what runs.
    assert [f.code for f in result.skipped if f.code != "statement-unverified"] == live.either(
        ["definition-not-live"], []
    )
    assert module.f() == "if 1"


def test_def_added_to_block_is_not_run(live: Live) -> None:
    # The block is not re-run, and a def in it may depend on the branch: report it.
    module = live.load(BLOCKS)
    after = BLOCKS.replace(
        '        return "try 1"\n', '        return "try 1"\n    def k():\n        return 1\n'
    )
    result = live.patch(module, after)
    assert module.counter == ["if", "try", "with"]
    assert result.ok
    if not live.baseline:
        # A name the module lacks inside a block: new, or a branch that did not run.
        assert "definition-unverified" in codes(result.skipped)
        assert not hasattr(module, "k")
        return
    assert result.added == ("k",)
    assert module.k() == 1


def test_block_skeleton_edit_is_skipped(live: Live) -> None:
    module = live.load(BLOCKS)
    result = ok(
        live.patch(module, BLOCKS.replace('counter.append("try")', 'counter.append("TRY")'))
    )
    assert [f.code for f in result.skipped if f.line == 13] == [
        live.either("statement-not-run", "statement-unverified")
    ]
    assert module.counter == ["if", "try", "with"]


def test_def_added_to_both_branches_is_not_guessed(live: Live) -> None:
    module = live.load(BLOCKS)
    after = BLOCKS.replace(
        '        return "if 1"\n', '        return "if 1"\n    def k():\n        return "if"\n'
    ).replace(
        '        return "else"\n', '        return "else"\n    def k():\n        return "else"\n'
    )
    result = ok(live.patch(module, after))
    assert result.added == ()
    found = [f.code for f in result.skipped if f.code != "statement-unverified"]
    assert found == live.either(["definition-not-live"] * 2, ["definition-unverified"])
    assert not hasattr(module, "k")


def test_def_in_untaken_branch_decorator_change_not_rebound(live: Live) -> None:
    module = live.load(BLOCKS)
    live_f = module.f
    result = ok(
        live.patch(
            module, BLOCKS.replace("else:\n    def f", "else:\n    @staticmethod\n    def f")
        )
    )
    assert result.rebound == ()
    assert module.f is live_f


def test_function_redefined_later_first_edit_is_not_live(live: Live) -> None:
    source = "def f():\n    return 1\n\ndef f():\n    return 2\n"
    module = live.load(source)
    result = ok(live.patch(module, source.replace("return 1", "return 10")))
    assert result.changed == ()
    # Without a baseline, the replaced definition is simply not what runs: no finding.
    assert codes(result.skipped) == live.either(["definition-not-live"], [])
    assert module.f() == 2


def test_function_redefined_later_second_edit_is_patched(live: Live) -> None:
    source = "def f():\n    return 1\n\ndef f():\n    return 2\n"
    module = live.load(source)
    result = ok(live.patch(module, source.replace("return 2", "return 20")))
    assert result.changed == ("f",)
    assert module.f() == 20


FALLBACK = """\
try:
    from math import gcd
except ImportError:
    def gcd(a, b):
        return 1
"""


def test_def_in_fallback_branch_not_run_leaves_import(live: Live) -> None:
    import math

    module = live.load(FALLBACK)
    result = ok(live.patch(module, FALLBACK.replace("return 1", "return 2")))
    assert codes(result.skipped) == live.either(["definition-not-live"], ["statement-unverified"])
    assert result.skipped[0].severity == "info"
    assert module.gcd is math.gcd


def test_def_in_fallback_branch_decorator_change_not_rebound(live: Live) -> None:
    import math

    module = live.load(FALLBACK)
    after = FALLBACK.replace("    def gcd", "    @staticmethod\n    def gcd")
    result = ok(live.patch(module, after))
    assert result.rebound == ()
    assert module.gcd is math.gcd


def test_def_rebound_by_later_statement_not_patched(live: Live) -> None:
    source = "def f():\n    return 1\n\nf = len\n"
    module = live.load(source)
    result = ok(live.patch(module, source.replace("return 1", "return 2")))
    if live.baseline:
        assert codes(result.skipped) == ["definition-not-live"]
        assert result.skipped[0].severity == "warning"
    else:  # `f = len` cannot be told unchanged; the def is simply not what runs
        assert codes(result.skipped) == ["statement-unverified"]
    assert module.f is len
