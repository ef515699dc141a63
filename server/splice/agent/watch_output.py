"""What ``--watch`` prints: one line per save, then each problem and each statement not run.

Every sentence comes from ``splice.report``; this module lays them out, adds
the code of each skipped statement (the watcher has the text it sent), and
folds the answers of one process that runs a file under two names.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from splice.engine.outline.definitions import source_lines
from splice.engine.result import PatchResult, ProcessOutcome
from splice.report import describe_catch_up, describe_details, describe_outcomes

#: Characters of a skipped statement's first line shown under the summary.
STATEMENT_WIDTH = 80


def one_per_process(outcomes: list[ProcessOutcome]) -> list[ProcessOutcome]:
    """One outcome per process: a process that runs the file under two names answers twice.

    Its failure if one failed, else the answer that changed something, so that
    a second name for an already patched module does not hide what was done.
    """
    chosen: dict[int, ProcessOutcome] = {}
    for outcome in outcomes:
        previous = chosen.get(outcome.pid)
        if previous is None or _rank(outcome) > _rank(previous):
            chosen[outcome.pid] = outcome
    return list(chosen.values())


def _rank(outcome: ProcessOutcome) -> int:
    if not outcome.ok:
        return 2
    return 1 if changed_anything(outcome.result) else 0


def changed_anything(result: PatchResult | None) -> bool:
    return result is not None and bool(
        result.changed or result.added or result.deleted or result.rebound
    )


def print_outcomes(
    path: str,
    outcomes: list[ProcessOutcome],
    stream: TextIO | None = None,
    text: str | None = None,
) -> None:
    """One line per save; then each problem once, as ``file:line: message``.

    With the ``text`` that was sent, each top-level statement left unrun is
    shown with its line and code, so the reader sees which one without
    opening the file.
    """
    out = stream or sys.stderr
    name = os.path.basename(path)
    lines = [describe_outcomes(name, outcomes)]
    for outcome in outcomes:
        if outcome.result is None:
            continue
        for line in [
            *describe_details(outcome.result, name),
            *describe_statements(outcome.result, name, text),
        ]:
            if f"  {line}" not in lines:
                lines.append(f"  {line}")
    print("\n".join(lines), file=out, flush=True)


def print_catch_up(path: str, outcome: ProcessOutcome, stream: TextIO | None = None) -> None:
    """One line for a process that was patched after the others, and its problems."""
    out = stream or sys.stderr
    name = os.path.basename(path)
    lines = [describe_catch_up(name, outcome)]
    if outcome.result is not None:
        lines.extend(f"  {line}" for line in describe_details(outcome.result, name))
    print("\n".join(lines), file=out, flush=True)


def describe_statements(result: PatchResult, name: str, text: str | None) -> list[str]:
    """``app.py:12: not run: CONFIG = load_config()`` for each statement the patch left unrun."""
    if text is None or not result.ok:
        return []
    lines = source_lines(text)
    described = []
    for finding in result.statements_skipped:
        if finding.line is None or not 1 <= finding.line <= len(lines):
            continue
        code = _shortened(lines[finding.line - 1].strip())
        last = finding.end_line if finding.end_line is not None else finding.line
        more = f" (to line {last})" if last > finding.line else ""
        described.append(f"{name}:{finding.line}: not run: {code}{more} [{finding.code}]")
    return described


def _shortened(code: str) -> str:
    return code if len(code) <= STATEMENT_WIDTH else code[: STATEMENT_WIDTH - 1] + "…"
