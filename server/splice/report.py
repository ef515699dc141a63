"""Every sentence splice says about a patch, composed in one place.

The engine, ``splice patch``, ``--watch`` and the language server all word
results through these functions, so the same facts read the same everywhere.
Clients that need the facts themselves get structured fields (the
``ResultFacts`` accessors, ``splice/status``), never a sentence to parse.
Standard library only: ``--watch`` uses it inside the user's process.

It depends on nothing of splice's: it words any value with the shape of a
``splice.engine.result`` value (the protocols below), so the results can
word themselves (``ResultFacts.summary``) without an import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# Not ``typing``: ``splice patch`` and ``--watch`` word results without loading it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object


class FindingFacts(Protocol):
    """What the words need of a ``Finding``."""

    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def qualname(self) -> str | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def severity(self) -> str: ...
    def where(self) -> str: ...


class ResultFacts(Protocol):
    """What the words need of a ``ResultFacts``."""

    @property
    def ok(self) -> bool: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def module(self) -> str: ...
    @property
    def file(self) -> str | None: ...
    @property
    def duration_ms(self) -> float: ...
    @property
    def changed(self) -> Sequence[str]: ...
    @property
    def added(self) -> Sequence[str]: ...
    @property
    def deleted(self) -> Sequence[str]: ...
    @property
    def rebound(self) -> Sequence[str]: ...
    @property
    def moved(self) -> Sequence[str]: ...
    @property
    def statements_applied(self) -> Sequence[int]: ...
    @property
    def statements_skipped(self) -> Sequence[FindingFacts]: ...
    @property
    def warnings(self) -> Sequence[FindingFacts]: ...
    @property
    def unverified(self) -> Sequence[FindingFacts]: ...
    @property
    def errors(self) -> Sequence[FindingFacts]: ...
    @property
    def first_error(self) -> FindingFacts | None: ...


class OutcomeFacts(Protocol):
    """What the words need of a ``ProcessOutcome``."""

    @property
    def result(self) -> ResultFacts | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def ok(self) -> bool: ...
    @property
    def who(self) -> str: ...


def plural(count: int, noun: str) -> str:
    """``1 statement``, ``2 statements``, ``3 processes``."""
    if count == 1:
        return f"{count} {noun}"
    ending = "es" if noun.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{count} {noun}{ending}"


def milliseconds(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def file_label(result: ResultFacts) -> str:
    return os.path.basename(result.file) if result.file else result.module


def describe_result(result: ResultFacts) -> str:
    """``patched app.py: total_price changed, 1 statement skipped (line 12) in 1.8 ms``."""
    name = file_label(result)
    if not result.ok:
        verb = "would not patch" if result.dry_run else "not patched"
        return f"{verb} {name}: {describe_errors(result)}; {NOTHING_CHANGED}"
    verb = "would patch" if result.dry_run else "patched"
    return f"{verb} {name}: {describe_changes(result)} in {milliseconds(result.duration_ms)}"


#: How a refused patch's summary ends; a finding that says it too is not repeated.
NOTHING_CHANGED = "nothing was changed"


def describe_errors(result: ResultFacts) -> str:
    """The first error and how many more, e.g. ``f: ... (line 3) (+1 more)``."""
    first = result.first_error
    if first is None:
        return "unknown error"
    more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
    return f"{_unsaid(first.message)} ({first.where()}){more}"


def _unsaid(message: str) -> str:
    """``message`` without a closing "nothing was changed": the summary says it once."""
    return message.removesuffix(f"; {NOTHING_CHANGED}")


def describe_changes(result: ResultFacts) -> str:
    """What an applied patch did, without file or timing: ``f changed, 1 warning``."""
    parts = [
        f"{_names(names)} {label}"
        for label, names in (
            ("changed", result.changed),
            ("added", result.added),
            ("deleted", result.deleted),
            ("rebound", result.rebound),
        )
        if names
    ]
    if result.statements_applied:
        parts.append(
            f"{plural(len(result.statements_applied), 'statement')} run "
            f"({_lines(result.statements_applied)})"
        )
    skipped = result.statements_skipped
    if skipped:
        lines = tuple(finding.line for finding in skipped if finding.line is not None)
        where = f" ({_lines(lines)})" if lines else ""
        parts.append(f"{plural(len(skipped), 'statement')} skipped{where}")
    if result.warnings:
        parts.append(plural(len(result.warnings), "warning"))
    unverified = result.unverified
    if unverified:
        names = tuple(dict.fromkeys(f.qualname or f"line {f.line}" for f in unverified))
        parts.append(f"{_names(names)} not verified (no baseline)")
    if not parts:
        parts.append(f"{len(result.moved)} moved" if result.moved else "no changes")
    return ", ".join(parts)


def describe_finding(finding: FindingFacts, file: str | None) -> str:
    """``app.py:12: [statement-not-run] ...``: one finding, as compilers print them."""
    where = f"{file or '<module>'}:{finding.line}" if finding.line else (file or "<module>")
    subject = (
        f"{finding.qualname}: "
        if finding.qualname and finding.qualname not in finding.message
        else ""
    )
    return f"{where}: {finding.severity}: [{finding.code}] {subject}{_unsaid(finding.message)}"


def describe_outcomes(name: str, outcomes: Sequence[OutcomeFacts]) -> str:
    """One line for one file patched into several processes.

    ``patched app.py in 3 processes: who changed in 2.1 ms; 1 process failed:
    pid 12 (app): the kernel died``. With one process it is that process's line.
    """
    if not outcomes:
        return f"no process runs {name}"
    if len(outcomes) == 1:
        return _one(name, outcomes[0])
    answered = [o for o in outcomes if o.result is not None and o.result.ok]
    failed = [o for o in outcomes if not o.ok]
    parts = []
    if answered:
        first = answered[0].result
        assert first is not None
        slowest = max(o.result.duration_ms for o in answered if o.result is not None)
        verb = "would patch" if first.dry_run else "patched"
        where = f" in {plural(len(answered), 'process')}" if len(answered) > 1 else ""
        subject = f"{name}{where}" if len(answered) > 1 else f"{name} in {answered[0].who}"
        parts.append(f"{verb} {subject}: {describe_changes(first)} in {milliseconds(slowest)}")
    if failed:
        reasons = "; ".join(f"{o.who}: {_failure(o)}" for o in failed)
        if answered:
            parts.append(f"{plural(len(failed), 'process')} failed: {reasons}")
        else:
            parts.append(f"not patched {name} in {plural(len(failed), 'process')}: {reasons}")
    return "; ".join(parts)


def describe_catch_up(name: str, outcome: OutcomeFacts) -> str:
    """A process that ran the old text and was reached after the others (it started meanwhile).

    ``patched app.py in pid 12 (app, fork), which started before the save: who changed in 1.2 ms``
    """
    late = f"{outcome.who}, which started before the save"
    if outcome.result is None:
        return f"not patched {name} in {late}: {outcome.error or 'no answer'}"
    if not outcome.result.ok:
        return f"not patched {name} in {late}: {_failure(outcome)}"
    changes = describe_changes(outcome.result)
    return f"patched {name} in {late}: {changes} in {milliseconds(outcome.result.duration_ms)}"


def _one(name: str, outcome: OutcomeFacts) -> str:
    if outcome.result is not None:
        return describe_result(outcome.result)
    return f"not patched {name}: {outcome.who}: {outcome.error or 'no answer'}"


def _failure(outcome: OutcomeFacts) -> str:
    if outcome.result is None:
        return outcome.error or "no answer"
    return f"{describe_errors(outcome.result)}; {NOTHING_CHANGED}"


def _names(names: Sequence[str]) -> str:
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


def _lines(lines: Sequence[int]) -> str:
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(str(line) for line in lines)}"


def describe_details(result: ResultFacts, file: str | None = None) -> list[str]:
    """The lines under a result's summary: each error and warning, as ``describe_finding`` words it.

    Skipped statements are left out: the summary names them with their lines.
    """
    name = file if file is not None else result.file
    return [describe_finding(finding, name) for finding in (*result.errors, *result.warnings)]
