"""Run the corpus of issue 19 and print its figures.

    .venv/bin/python tests/apps/figures.py                 # every app, every client
    .venv/bin/python tests/apps/figures.py --app shop --driver watch --explain
    .venv/bin/python tests/apps/figures.py --named          # what is named rather than applied

Prints one row per app and client (edits, applied like a fresh start, named,
refused, silent misses, failing), then every failing case as (app, edit,
family, verdict); ``--explain`` adds each failing case's full message, as the
tests print it. Exits 1 when a case fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from oracle import FAMILIES, MISS, NAMED, REFUSED, SAME, EditOutcome

COLUMNS = ("edits", "like a fresh start", "named", "refused", "silent misses", "failing")


def named_cases(outcomes: Sequence[EditOutcome]) -> list[str]:
    """Each edit that a finding named or that was refused, with the codes of what was said."""
    return [
        f"{outcome.case}: {outcome.verdict}: "
        + ", ".join(sorted({finding.code for finding in outcome.observed.findings}))
        for outcome in outcomes
        if outcome.verdict in (NAMED, REFUSED)
    ]


def counts(outcomes: Sequence[EditOutcome]) -> tuple[int, ...]:
    verdicts = [outcome.verdict for outcome in outcomes]
    return (
        len(outcomes),
        verdicts.count(SAME),
        verdicts.count(NAMED),
        verdicts.count(REFUSED),
        verdicts.count(MISS),
        sum(outcome.failing for outcome in outcomes),
    )


def table(outcomes: Sequence[EditOutcome]) -> str:
    """A Markdown table: one row per (app, client), then the totals."""
    groups: dict[tuple[str, str], list[EditOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome.app, outcome.driver), []).append(outcome)
    header = ("app", "client", *COLUMNS)
    rows = [(app, driver, *counts(group)) for (app, driver), group in groups.items()]
    rows.append(("total", "", *counts(outcomes)))
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if index < 2 else "---:" for index in range(len(header))) + "|",
    ]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def failing_cases(outcomes: Sequence[EditOutcome]) -> list[str]:
    """``(app, edit, family, verdict)`` of every failing case, as the lead routes them."""
    return [
        f"{outcome.driver:5} {outcome.app:16} {outcome.index:02d} {outcome.edit.name:40}"
        f" family {outcome.edit.family} ({FAMILIES[outcome.edit.family]}):"
        f" {'harness error' if outcome.harness_error else outcome.verdict}"
        for outcome in outcomes
        if outcome.failing
    ]


def main(argv: Sequence[str] | None = None) -> int:
    # Run as a script: the tests' shared helpers (lsp_support) are one folder up.
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    from corpus import APPS, jobs
    from sequence import PARALLEL, run_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--app", action="append", choices=sorted(APPS), help="only this app (repeatable)"
    )
    parser.add_argument(
        "--driver", action="append", choices=("watch", "lsp"), help="only this client"
    )
    parser.add_argument("--parallel", type=int, default=PARALLEL, help="apps run at once")
    parser.add_argument("--explain", action="store_true", help="print each failing case in full")
    parser.add_argument(
        "--named", action="store_true", help="list the edits named or refused, with what was said"
    )
    options = parser.parse_args(argv)
    drivers = tuple(options.driver or ("watch", "lsp"))
    selected = [
        (app, driver) for app, driver in jobs(drivers) if not options.app or app.name in options.app
    ]
    started = time.monotonic()
    outcomes = run_corpus(selected, options.parallel)
    print(table(outcomes))
    print(f"\n{len(outcomes)} edits in {time.monotonic() - started:.0f} s")
    failing = failing_cases(outcomes)
    if failing:
        print(f"\nfailing ({len(failing)}):")
        print("\n".join(failing))
    if options.named:
        print("\nnamed or refused:")
        print("\n".join(named_cases(outcomes)))
    if options.explain:
        for outcome in outcomes:
            if outcome.failing:
                print(f"\n{outcome.explain()}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
