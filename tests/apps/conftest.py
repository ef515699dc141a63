"""Prints the corpus's figures table after a run that ran it (see test_corpus.py)."""

from __future__ import annotations

import sys

import pytest


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    module = sys.modules.get("test_corpus")
    if module is None:
        return
    from figures import failing_cases, table

    outcomes = config.stash.get(module.OUTCOMES, None)
    if not outcomes:
        return
    terminalreporter.section("issue 19's corpus: each edit against a fresh start")
    terminalreporter.write_line(table(outcomes))
    failing = failing_cases(outcomes)
    if failing:
        terminalreporter.write_line(f"\nfailing ({len(failing)}):")
        for line in failing:
            terminalreporter.write_line(line)
