"""splice values to LSP shapes: 1-based findings become 0-based ranges."""

from __future__ import annotations

from lsprotocol import types

from splice.engine.result import Finding, PatchResult
from splice.lsp.convert import finding_range, is_refused, outcome_message
from splice.lsp.patching import KernelOutcome, LineMap

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


def test_outcome_message_counts_patched_definitions() -> None:
    result = PatchResult(ok=True, module="app", changed=("f", "g"), added=("h",), duration_ms=4.2)

    kind, message = outcome_message(KernelOutcome(12, "app.py", "app", result))

    assert kind == types.MessageType.Info
    assert message == "splice: app.py (pid 12): patched 3 definitions in 4.2 ms"


def test_outcome_message_for_a_kernel_that_did_not_answer() -> None:
    kind, message = outcome_message(KernelOutcome(12, "app.py", "app", error="pid 12 is gone"))

    assert kind == types.MessageType.Warning
    assert message == "splice: app.py (pid 12): pid 12 is gone"


def test_refused_edit_is_an_error_about_one_definition() -> None:
    assert is_refused(Finding("class-bases-changed", "m", qualname="C"))
    assert not is_refused(Finding("syntax-error", "m", qualname="C"))
    assert not is_refused(Finding("statement-not-run", "m", severity="warning"))


def test_line_map_moves_lines_of_the_spliced_definition_only() -> None:
    line_map = LineMap(start=10, end=12, shift=5, fallback=15)

    assert [line_map.to_buffer(line) for line in (10, 12, 3, None)] == [15, 17, 15, None]
