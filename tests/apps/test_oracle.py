"""The oracle's own rules, on strings: what counts as named, refused, missed; what ``--watch`` said."""

from __future__ import annotations

import pytest
from oracle import (
    MISS,
    NAMED,
    REFUSED,
    SAME,
    Edit,
    EditScriptError,
    Finding,
    Observed,
    Range,
    Spot,
    judge,
    naming_ranges,
    statement_range,
)
from watch_driver import parse_report

BEFORE = {"app.py": "from pricing import RATE\n\n\ndef total(x):\n    return x * RATE\n"}
PRICING = {"pricing.py": "RATE = 2\n\n\n@decorate\ndef shown(x):\n    return x\n"}


def findings(*items: Finding) -> Observed:
    return Observed(findings=list(items))


def test_judge_same_when_every_answer_matches_the_fresh_start() -> None:
    assert judge(Observed(), {"p": "1"}, {"p": "2"}, {"p": "2"}, []) == SAME


def test_judge_miss_when_an_answer_differs_and_nothing_is_said() -> None:
    assert judge(Observed(), {"p": "1"}, {"p": "1"}, {"p": "2"}, []) == MISS


def test_judge_named_only_by_a_warning_on_a_right_line() -> None:
    ranges = [Range("app.py", 1, 1)]
    on_line = Finding("app.py", 1, "warning", "import-stale", "RATE is a copy")
    elsewhere = Finding("app.py", 4, "warning", "import-stale", "RATE is a copy")
    other_file = Finding("pricing.py", 1, "warning", "import-stale", "RATE is a copy")
    info = Finding("app.py", 1, "info", "statement-unverified", "")
    held_back = Finding("app.py", 1, "warning", "held-back", "")

    assert judge(findings(on_line), {}, {"p": "1"}, {"p": "2"}, ranges) == NAMED
    for finding in (elsewhere, other_file, info, held_back):
        assert judge(findings(finding), {}, {"p": "1"}, {"p": "2"}, ranges) == MISS, finding


def test_judge_refused_only_when_the_program_did_not_change() -> None:
    refused = Observed(refused=True)
    assert judge(refused, {"p": "1"}, {"p": "1"}, {"p": "2"}, []) == REFUSED
    assert judge(refused, {"p": "1"}, {"p": "3"}, {"p": "2"}, []) == MISS


def test_judge_a_down_program_matches_a_down_fresh_start_whatever_the_reason() -> None:
    observed = Observed()
    assert judge(observed, {}, {"p": "DOWN: exited with 1"}, {"p": "DOWN: timeout"}, []) == SAME
    assert judge(observed, {}, {"p": "200 ok"}, {"p": "DOWN: ImportError"}, []) == MISS


def test_naming_ranges_are_the_changed_statements_and_the_spots() -> None:
    edit = Edit(
        "rate",
        1,
        {"pricing.py": [("RATE = 2", "RATE = 3")]},
        stale=(Spot("app.py", "from pricing import"),),
    )
    after = {**BEFORE, **PRICING, **edit.apply(PRICING)}
    ranges = naming_ranges(edit, {**BEFORE, **PRICING}, after)
    assert ranges == [Range("app.py", 1, 1), Range("pricing.py", 1, 1)]


def test_naming_ranges_cover_a_changed_body_with_its_decorators() -> None:
    edit = Edit("shown", 0, {"pricing.py": [("return x\n", "return x + 1\n")]})
    ranges = naming_ranges(edit, PRICING, edit.apply(PRICING))
    assert ranges == [Range("pricing.py", 4, 6)]


def test_statement_range_finds_class_members() -> None:
    text = "class A:\n    x = 1\n\n    @staticmethod\n    def f():\n        return 2\n"
    assert statement_range(text, 6) == (4, 6)
    assert statement_range(text, 2) == (2, 2)


def test_edit_refuses_a_replacement_that_is_not_exactly_once_in_the_text() -> None:
    with pytest.raises(EditScriptError, match="occurs 0 times"):
        Edit("x", 0, {"app.py": [("missing", "y")]}).apply(BEFORE)
    with pytest.raises(EditScriptError, match="occurs 2 times"):
        Edit("x", 0, {"app.py": [("RATE", "y")]}).apply(BEFORE)


def test_parse_report_reads_watch_lines_as_findings() -> None:
    lines = [
        "patched app.py: total changed, 2 statements skipped (lines 3, 7) in 1.2 ms",
        "  app.py:9: warning: [function-running] main is running in thread MainThread",
        '127.0.0.1 - - [01/Dec/2026 10:00:00] "GET / HTTP/1.1" 200 -',
        "not patched pricing.py: shown: cannot ... (line 4); nothing was changed",
        "  pricing.py:4: error: [decorator-opaque] shown: cannot ...",
    ]
    observed = parse_report(lines)
    assert observed.refused and not observed.partly_failed
    assert [(f.file, f.line, f.code) for f in observed.findings] == [
        ("app.py", 3, "statement-not-run"),
        ("app.py", 7, "statement-not-run"),
        ("app.py", 9, "function-running"),
        ("pricing.py", 4, "decorator-opaque"),
    ]
    assert len(observed.lines) == 4  # the server's request log is not splice's


def test_parse_report_tells_a_process_that_failed_from_a_refused_patch() -> None:
    observed = parse_report(
        [
            "patched jobs.py in 2 processes: score changed in 3 ms; 1 process failed: pid 7 (jobs.py, spawn): no answer"
        ]
    )
    assert observed.partly_failed and not observed.refused
