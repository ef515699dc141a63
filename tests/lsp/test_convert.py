"""splice values to LSP shapes: 1-based findings become 0-based ranges."""

from __future__ import annotations

from lsprotocol import types

from splice.engine.result import Finding, PatchResult
from splice.lsp.convert import (
    buffer_lines,
    finding_range,
    is_refused,
    last_patch,
    report_message,
)
from splice.lsp.outcomes import KernelOutcome, LineMap, PatchReport
from splice.report import describe_result

LINES = ["import os\n", "\n", "def f(x):\n", "    return x\n"]


def test_finding_range_is_zero_based() -> None:
    found = finding_range(Finding("c", "m", line=4, column=5), LINES)

    assert (found.start.line, found.start.character) == (3, 4)
    assert (found.end.line, found.end.character) == (3, 12)


def test_finding_range_without_column_starts_at_the_indent() -> None:
    found = finding_range(Finding("c", "m", line=4), LINES)

    assert found.start.character == 4


def test_finding_range_reaches_the_end_line() -> None:
    found = finding_range(Finding("c", "m", line=3, column=1, end_line=4), LINES)

    assert (found.start.line, found.end.line, found.end.character) == (2, 3, 12)


def test_finding_range_past_the_end_stays_in_the_file() -> None:
    found = finding_range(Finding("c", "m", line=40), LINES)

    assert found.start.line == 3


def test_report_message_is_the_reports_summary() -> None:
    result = PatchResult(ok=True, module="app", file="/p/app.py", changed=("f",), duration_ms=4.2)
    outcome = KernelOutcome(pid=12, program="app.py", result=result, module="app")

    kind, message = report_message(
        PatchReport("save", "file:///p/app.py", "/p/app.py", "", (outcome,))
    )

    assert kind == types.MessageType.Info
    assert message == f"splice: {describe_result(result)}"


def test_report_message_for_a_kernel_that_did_not_answer_is_an_error() -> None:
    outcome = KernelOutcome(pid=12, program="app.py", error="it is gone", module="app")

    kind, message = report_message(
        PatchReport("save", "file:///p/app.py", "/p/app.py", "", (outcome,))
    )

    assert kind == types.MessageType.Error
    assert message == "splice: not patched app.py: pid 12 (app.py): it is gone"


def test_no_op_save_gets_no_message() -> None:
    result = PatchResult(ok=True, module="app", file="/p/app.py")
    outcome = KernelOutcome(pid=12, program="app.py", result=result, module="app")

    assert report_message(PatchReport("save", "u", "/p/app.py", "", (outcome,))) is None


def test_finding_range_below_a_form_feed_line_ends_at_the_lines_end() -> None:
    lines = buffer_lines("import os\n\x0c\ndef f(x):\n    return x\n")

    found = finding_range(Finding("c", "m", line=4, column=5), lines)

    assert (found.start.line, found.end.line, found.end.character) == (3, 3, 12)


def test_last_patch_counts_a_definition_once_across_kernels() -> None:
    result = PatchResult(
        ok=True,
        module="app",
        file="/p/app.py",
        changed=("f",),
        skipped=(Finding("statement-not-run", "m", line=7, severity="warning"),),
    )
    outcomes = tuple(
        KernelOutcome(pid=pid, program="app.py", result=result, module="app") for pid in (1, 2)
    )

    data = last_patch(PatchReport("save", "u", "/p/app.py", "", outcomes))

    assert (data["patched"], data["changed"], data["statementsSkipped"]) == (1, ["f"], [7])
    assert (data["warnings"], data["errors"], data["ok"]) == (0, 0, True)
    assert [kernel["error"] for kernel in data["kernels"]] == [None, None]


def test_line_map_moves_columns_by_the_reindent() -> None:
    line_map = LineMap(start=10, end=12, shift=5, fallback=15, column_shift=4)

    assert [line_map.column_to_buffer(line, 3) for line in (10, 3)] == [7, None]


def test_refused_edit_is_an_error_about_one_definition() -> None:
    assert is_refused(Finding("class-bases-changed", "m", qualname="C"))
    assert not is_refused(Finding("syntax-error", "m", qualname="C"))
    assert not is_refused(Finding("statement-not-run", "m", severity="warning"))


def test_line_map_moves_lines_of_the_spliced_definition_only() -> None:
    line_map = LineMap(start=10, end=12, shift=5, fallback=15)

    assert [line_map.to_buffer(line) for line in (10, 12, 3, None)] == [15, 17, 15, None]
