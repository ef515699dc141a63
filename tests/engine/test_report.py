"""PatchResult's accessors and every sentence splice.report composes from them."""

from __future__ import annotations

import pytest

from engine.helpers import Live, codes, ok
from splice import Finding, PatchResult
from splice.engine.result import ProcessOutcome
from splice.report import (
    describe_changes,
    describe_errors,
    describe_finding,
    describe_outcomes,
    describe_result,
    file_label,
    milliseconds,
    plural,
)

SKIPPED_STATEMENT = Finding("statement-not-run", "line 12: not run", line=12, severity="warning")
WARNING = Finding("deletion-shared-name", "g: kept", qualname="g", line=7, severity="warning")
INFORMATION = Finding("deletion-skipped", "h: kept", qualname="h", severity="info")
ERROR = Finding("syntax-error", "invalid syntax: bad", line=3, column=5)
SECOND_ERROR = Finding("class-not-found", "C: no class", qualname="C")

APPLIED = PatchResult(
    ok=True,
    module="app",
    file="/srv/app.py",
    changed=("f",),
    added=("g",),
    skipped=(SKIPPED_STATEMENT, WARNING, INFORMATION),
    duration_ms=1.84,
)
REFUSED = PatchResult(
    ok=False, module="app", file="/srv/app.py", errors=(ERROR, SECOND_ERROR), duration_ms=0.5
)


# -- accessors -----------------------------------------------------------------
def test_result_statements_skipped_are_the_statement_findings_only() -> None:
    assert APPLIED.statements_skipped == (SKIPPED_STATEMENT,)


def test_result_warnings_leave_out_statements_and_information() -> None:
    assert APPLIED.warnings == (WARNING,)


def test_result_first_error_is_the_first_or_none() -> None:
    assert REFUSED.first_error == ERROR
    assert APPLIED.first_error is None


def test_result_fully_applied_needs_ok_and_no_skipped_statement() -> None:
    assert not APPLIED.fully_applied
    assert not REFUSED.fully_applied
    assert PatchResult(ok=True, module="app", changed=("f",), skipped=(WARNING,)).fully_applied


def test_result_patched_count_counts_changed_added_deleted_rebound_not_moved() -> None:
    result = PatchResult(
        ok=True,
        module="app",
        changed=("a", "b"),
        added=("c",),
        deleted=("d",),
        rebound=("e",),
        moved=("m", "n"),
    )
    assert result.patched_count == 5


@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_result_accessors_of_a_real_patch(live: Live, baseline: bool) -> None:
    module = live.load(
        "events = []\nevents.append(1)\n\ndef f():\n    return 1\n", baseline=baseline
    )
    result = ok(live.patch(module, "events = []\nevents.append(2)\n\ndef f():\n    return 2\n"))
    assert result.patched_count == 1
    # Without a baseline no statement is known to have changed, or not: it says so.
    code = "statement-not-run" if baseline else "statement-unverified"
    assert codes(result.statements_skipped) == [code]
    assert result.statements_skipped[0].line == 2
    assert not result.fully_applied
    assert result.warnings == ()
    assert result.first_error is None


def test_result_first_error_of_a_refused_patch(live: Live) -> None:
    module = live.load("def f():\n    return 1\n")
    result = live.patch(module, "def f(:\n")
    assert result.first_error is not None
    assert result.first_error.code == "syntax-error"
    assert result.first_error.line == 1
    assert result.patched_count == 0 and not result.fully_applied


# -- small words ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "statement", "0 statements"),
        (1, "statement", "1 statement"),
        (2, "statement", "2 statements"),
        (1, "process", "1 process"),
        (3, "process", "3 processes"),
    ],
)
def test_plural_adds_s_or_es_unless_one(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.04, "0.0 ms"), (1.84, "1.8 ms"), (9.94, "9.9 ms"), (12.6, "13 ms")]
)
def test_milliseconds_one_decimal_below_ten(value: float, expected: str) -> None:
    assert milliseconds(value) == expected


def test_file_label_is_the_base_name_or_the_module() -> None:
    assert file_label(APPLIED) == "app.py"
    assert file_label(PatchResult(ok=True, module="pkg.app")) == "pkg.app"


# -- describe_* ----------------------------------------------------------------
def test_describe_changes_lists_what_was_done() -> None:
    assert describe_changes(APPLIED) == (
        "f changed, g added, 1 statement skipped (line 12), 1 warning"
    )


def test_describe_changes_names_three_then_counts_the_rest() -> None:
    result = PatchResult(
        ok=True, module="app", changed=("a", "b", "c", "d", "e"), deleted=("x",), rebound=("r",)
    )
    assert describe_changes(result) == "a, b, c and 2 more changed, x deleted, r rebound"


def test_describe_changes_statements_run() -> None:
    result = PatchResult(ok=True, module="app", statements_applied=(1, 4))
    assert describe_changes(result) == "2 statements run (lines 1, 4)"


def test_describe_changes_only_moved_or_nothing() -> None:
    assert describe_changes(PatchResult(ok=True, module="app", moved=("f", "g"))) == "2 moved"
    assert describe_changes(PatchResult(ok=True, module="app")) == "no changes"


def test_describe_errors_first_and_how_many_more() -> None:
    assert describe_errors(REFUSED) == "invalid syntax: bad (line 3) (+1 more)"
    assert describe_errors(PatchResult(ok=False, module="app", errors=(SECOND_ERROR,))) == (
        "C: no class (C)"
    )
    assert describe_errors(PatchResult(ok=False, module="app")) == "unknown error"


def test_describe_result_applied() -> None:
    assert describe_result(APPLIED) == (
        "patched app.py: f changed, g added, 1 statement skipped (line 12), 1 warning in 1.8 ms"
    )


def test_describe_result_refused() -> None:
    assert describe_result(REFUSED) == (
        "not patched app.py: invalid syntax: bad (line 3) (+1 more); nothing was changed"
    )


def test_describe_result_dry_run() -> None:
    dry = PatchResult(ok=True, module="app", file="app.py", changed=("f",), dry_run=True)
    assert describe_result(dry) == "would patch app.py: f changed in 0.0 ms"
    refused = PatchResult(ok=False, module="app", errors=(ERROR,), dry_run=True)
    assert describe_result(refused) == (
        "would not patch app: invalid syntax: bad (line 3); nothing was changed"
    )


def test_describe_result_is_what_summary_says(live: Live) -> None:
    module = live.load("def f():\n    return 1\n")
    result = ok(live.patch(module, "def f():\n    return 2\n"))
    assert result.summary() == describe_result(result)
    assert result.summary().startswith(f"patched {module.__name__}.py: f changed in ")


def test_describe_finding_as_compilers_print_it() -> None:
    assert (
        describe_finding(ERROR, "app.py") == "app.py:3: error: [syntax-error] invalid syntax: bad"
    )
    assert describe_finding(SECOND_ERROR, None) == (
        "<module>: error: [class-not-found] C: no class"
    )


def test_describe_finding_names_the_definition_the_message_does_not() -> None:
    finding = Finding("signature-failed", "raised ValueError", qualname="f", line=2)
    assert describe_finding(finding, "app.py") == (
        "app.py:2: error: [signature-failed] f: raised ValueError"
    )


def _outcome(
    pid: int, result: PatchResult | None = None, error: str | None = None
) -> ProcessOutcome:
    return ProcessOutcome(pid=pid, program="app", result=result, error=error)


def _changed(duration: float, dry_run: bool = False) -> PatchResult:
    return PatchResult(
        ok=True,
        module="app",
        file="/srv/app.py",
        changed=("f",),
        duration_ms=duration,
        dry_run=dry_run,
    )


def test_process_outcome_ok_and_who() -> None:
    assert _outcome(12, _changed(1.0)).ok
    assert not _outcome(12, REFUSED).ok
    assert not _outcome(12, error="the kernel died").ok
    assert _outcome(12).who == "pid 12 (app)"
    assert ProcessOutcome(pid=3, program="").who == "pid 3 (python)"


def test_describe_outcomes_none() -> None:
    assert describe_outcomes("app.py", []) == "no process runs app.py"


def test_describe_outcomes_one_process_is_its_result() -> None:
    assert describe_outcomes("app.py", [_outcome(12, APPLIED)]) == describe_result(APPLIED)


def test_describe_outcomes_one_process_that_did_not_answer() -> None:
    assert describe_outcomes("app.py", [_outcome(12, error="the kernel died")]) == (
        "not patched app.py: pid 12 (app): the kernel died"
    )
    assert (
        describe_outcomes("app.py", [_outcome(12)]) == "not patched app.py: pid 12 (app): no answer"
    )


def test_describe_outcomes_three_processes_take_the_slowest() -> None:
    outcomes = [_outcome(1, _changed(1.2)), _outcome(2, _changed(3.4)), _outcome(3, _changed(2.0))]
    assert describe_outcomes("app.py", outcomes) == (
        "patched app.py in 3 processes: f changed in 3.4 ms"
    )


def test_describe_outcomes_with_failed_processes() -> None:
    outcomes = [
        _outcome(1, _changed(1.2)),
        _outcome(2, REFUSED),
        _outcome(3, error="the kernel died"),
    ]
    assert describe_outcomes("app.py", outcomes) == (
        "patched app.py in pid 1 (app): f changed in 1.2 ms; 2 processes failed: "
        "pid 2 (app): invalid syntax: bad (line 3) (+1 more); nothing was changed; "
        "pid 3 (app): the kernel died"
    )


def test_describe_outcomes_every_process_failed() -> None:
    outcomes = [_outcome(1, REFUSED), _outcome(2, error="timed out")]
    assert describe_outcomes("app.py", outcomes) == (
        "not patched app.py in 2 processes: pid 1 (app): invalid syntax: bad (line 3) "
        "(+1 more); nothing was changed; pid 2 (app): timed out"
    )


def test_describe_outcomes_dry_run() -> None:
    outcomes = [_outcome(1, _changed(1.0, dry_run=True)), _outcome(2, _changed(2.0, dry_run=True))]
    assert describe_outcomes("app.py", outcomes) == (
        "would patch app.py in 2 processes: f changed in 2.0 ms"
    )
