"""The oracle of issue 19: every edit is judged by a fresh start of the edited program.

An app (``corpus/``) is a small real program plus a script of everyday edits.
Each edit is saved while the program runs under ``splice run --watch`` (or is
saved through ``splice lsp``); then the same probes go to the live program and
to a fresh start of the edited files (plain ``python``, no splice), and
``judge`` gives the verdict:

- ``same``: every probe answered as the fresh start did;
- ``named``: some answers differ, and a finding names it: a warning or error on
  a line that holds the stale thing (a ``Spot`` the edit declares) or on a
  statement the edit changed (the definition whose change was missed);
- ``refused``: no process applied the patch, an error says why, and the live
  program still answers as it did before the save;
- ``miss``: anything else. The program differs from a fresh start and nothing
  says where, or a refused patch changed the program anyway.

An edit that issue 19 says must apply (``must_apply``) fails when it is named
or refused, and every ``miss`` fails.
"""

from __future__ import annotations

import ast
import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SAME, NAMED, REFUSED, MISS = "same", "named", "refused", "miss"

#: Issue 19's families of difference; 0 is an everyday edit splice already applies.
FAMILIES = {
    0: "everyday edit",
    1: "copies made by from m import NAME",
    2: "products of code that already ran",
    3: "caches",
    4: "code suspended on the old version",
    5: "spawn and forkserver workers",
    6: "several files saved together",
    7: "text a fresh start could not run",
    8: "refusals a fresh start does not need",
}

#: Finding codes that say nothing about what still runs old code or values.
NOT_NAMING = frozenset(
    {"held-back", "patch-not-atomic", "deletion-shared-name", "update-hook-failed"}
)

#: What a probe answers when its program is not running (it crashed, or never started).
DOWN = "DOWN"


class EditScriptError(Exception):
    """An edit of the corpus does not fit the text it edits (a bug in the corpus, not in splice)."""


@dataclass(frozen=True)
class Spot:
    """A line where a finding may name the difference: the statement of ``file`` holding ``snippet``."""

    file: str
    snippet: str


@dataclass(frozen=True)
class Edit:
    """One save: text replacements per file (``(old, new)`` pairs), or a file's whole new text."""

    name: str
    family: int
    changes: Mapping[str, Sequence[tuple[str, str]] | str]
    #: Where a finding may name what the edit leaves stale, besides the statements it changed.
    stale: tuple[Spot, ...] = ()
    #: Issue 19 says this edit applies like a fresh start: named or refused is a failure too.
    must_apply: bool = False
    #: Why the edit is in the corpus, when its name does not say.
    why: str = ""

    def apply(self, texts: Mapping[str, str]) -> dict[str, str]:
        """The new text of every file the edit changes (``texts``: the current ones)."""
        new: dict[str, str] = {}
        for path, change in self.changes.items():
            if isinstance(change, str):
                new[path] = change
                continue
            if path not in texts:
                raise EditScriptError(f"edit {self.name!r}: {path} does not exist")
            text = texts[path]
            for old, replacement in change:
                count = text.count(old)
                if count != 1:
                    raise EditScriptError(
                        f"edit {self.name!r}: {old!r} occurs {count} times in {path}, not once"
                    )
                text = text.replace(old, replacement)
            new[path] = text
        return new


@dataclass(frozen=True)
class Finding:
    """One finding as a client showed it: the file, line and code are what the oracle reads."""

    file: str
    line: int | None
    severity: str
    code: str
    message: str

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: [{self.code}] {self.message}"


@dataclass
class Observed:
    """What the client (``--watch`` or the language server) said about one save."""

    lines: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: No process applied the patch of some file.
    refused: bool = False
    #: Some process failed to apply a patch that others applied.
    partly_failed: bool = False
    #: Files saved that no report came for (the client said nothing at all).
    unreported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Range:
    """Lines ``first``..``last`` of ``file`` (1-based, inclusive) where a finding names a difference."""

    file: str
    first: int
    last: int

    def holds(self, finding: Finding) -> bool:
        if finding.line is None or not self.first <= finding.line <= self.last:
            return False
        if "/" in finding.file:
            return finding.file.endswith(self.file)
        return os.path.basename(self.file) == finding.file


def statement_range(text: str, line: int) -> tuple[int, int]:
    """The module- or class-level statement of ``text`` holding ``line``, decorators included."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return line, line
    body: list[ast.stmt] = tree.body
    found = (line, line)
    while True:
        for statement in body:
            decorators = getattr(statement, "decorator_list", [])
            first = min([statement.lineno, *(item.lineno for item in decorators)])
            last = statement.end_lineno or statement.lineno
            if first <= line <= last:
                found = (first, last)
                body = statement.body if isinstance(statement, ast.ClassDef) else []
                break
        else:
            return found


def naming_ranges(edit: Edit, before: Mapping[str, str], after: Mapping[str, str]) -> list[Range]:
    """Where a finding names a difference: the statements the edit changed, and its spots."""
    ranges: list[Range] = []
    for path in edit.changes:
        old = before.get(path, "").splitlines()
        new_text = after[path]
        new = new_text.splitlines()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, _, _, first, last in matcher.get_opcodes():
            if tag == "equal":
                continue
            # A deletion leaves no line of its own: the statements on either side stand for it.
            lines = range(first + 1, last + 1) if last > first else (first, first + 1)
            for line in lines:
                if 1 <= line <= len(new):
                    ranges.append(Range(path, *statement_range(new_text, line)))
    for spot in edit.stale:
        text = after.get(spot.file)
        if text is None:
            raise EditScriptError(f"edit {edit.name!r}: spot file {spot.file} does not exist")
        numbers = [n for n, line in enumerate(text.splitlines(), 1) if spot.snippet in line]
        if not numbers:
            raise EditScriptError(f"edit {edit.name!r}: {spot.snippet!r} is not in {spot.file}")
        ranges.extend(Range(spot.file, *statement_range(text, number)) for number in numbers)
    return sorted(set(ranges), key=lambda item: (item.file, item.first))


def names(finding: Finding, ranges: Sequence[Range]) -> bool:
    """Whether ``finding`` says, on a right line, that something still holds old code or values."""
    return (
        finding.severity in ("warning", "error")
        and finding.code not in NOT_NAMING
        and any(item.holds(finding) for item in ranges)
    )


def comparable(answers: Mapping[str, str]) -> dict[str, str]:
    """Answers as compared: a program that is down is down, whatever the reason."""
    return {probe: DOWN if answer.startswith(DOWN) else answer for probe, answer in answers.items()}


def judge(
    observed: Observed,
    before: Mapping[str, str],
    live: Mapping[str, str],
    fresh: Mapping[str, str],
    ranges: Sequence[Range],
) -> str:
    """The verdict on one edit (see the module docstring)."""
    if observed.refused:
        return REFUSED if comparable(live) == comparable(before) else MISS
    if comparable(live) == comparable(fresh):
        return SAME
    if observed.partly_failed or any(names(finding, ranges) for finding in observed.findings):
        return NAMED
    return MISS


@dataclass
class EditOutcome:
    """One edit of one app through one client, judged."""

    app: str
    driver: str
    index: int
    edit: Edit
    verdict: str
    before: dict[str, str]
    live: dict[str, str]
    fresh: dict[str, str]
    observed: Observed
    ranges: list[Range]
    #: Set when the harness could not run the edit at all (its message says why).
    harness_error: str | None = None

    @property
    def case(self) -> str:
        return f"{self.driver}-{self.app}-{self.index:02d}-{self.edit.name}"

    @property
    def failing(self) -> bool:
        if self.harness_error is not None or self.verdict == MISS:
            return True
        return self.edit.must_apply and self.verdict != SAME

    def explain(self) -> str:
        """Everything the lead needs to route a failure: which edit, what each side answered, what was said."""
        edit = self.edit
        how = "splice run --watch" if self.driver == "watch" else "splice lsp (pytest-lsp)"
        lines = [
            f"app {self.app}, edit {self.index:02d} {edit.name!r}, family {edit.family}"
            f" ({FAMILIES[edit.family]}), saved through {how}",
            f"  files: {', '.join(edit.changes)}" + (f"; why: {edit.why}" if edit.why else ""),
        ]
        if self.harness_error is not None:
            lines.append(f"  the harness could not run it: {self.harness_error}")
            return "\n".join(lines)
        lines.append(f"  verdict: {self.verdict}" + _verdict_words(self))
        alike = []
        for probe in self.fresh:
            live, fresh = self.live.get(probe, "?"), self.fresh[probe]
            if comparable({probe: live}) == comparable({probe: fresh}):
                alike.append(probe)
                continue
            lines.append(f"  differs: {probe}")
            lines.append(f"      live:        {_short(live, fresh)}")
            lines.append(f"      fresh start: {_short(fresh, live)}")
            if self.verdict in (REFUSED, MISS) and self.before.get(probe) != live:
                lines.append(f"      before save: {_short(self.before.get(probe, '?'), live)}")
        if alike:
            lines.append(f"  alike: {', '.join(alike)}")
        said = self.observed.lines or ["(nothing)"]
        lines.append("  the client said:")
        lines.extend(f"      {line}" for line in said)
        if self.observed.unreported:
            lines.append(f"  no report for: {', '.join(self.observed.unreported)}")
        findings = [finding.render() for finding in self.observed.findings]
        lines.append(f"  findings: {'; '.join(findings) if findings else '(none)'}")
        where = ", ".join(f"{item.file}:{item.first}-{item.last}" for item in self.ranges)
        lines.append(f"  lines where a finding would name it: {where or '(none)'}")
        return "\n".join(lines)


def _verdict_words(outcome: EditOutcome) -> str:
    if outcome.verdict == MISS and outcome.observed.refused:
        return " (refused, yet the live program changed: it was half patched)"
    if outcome.verdict == MISS:
        return " (silent miss: the live program differs from a fresh start and no finding names it)"
    if outcome.edit.must_apply and outcome.verdict != SAME:
        return f" (issue 19 says this edit must apply like a fresh start: family {outcome.edit.family})"
    return ""


def _short(text: str, other: str, limit: int = 300) -> str:
    """``text`` on one line; when long, the part around where it first differs from ``other``."""
    text = " ".join(text.split())
    other = " ".join(other.split())
    if len(text) <= limit:
        return text
    start = next(
        (index for index, (a, b) in enumerate(zip(text, other, strict=False)) if a != b),
        min(len(text), len(other)),
    )
    first = max(0, start - limit // 3)
    return f"...{text[first : first + limit]}... ({len(text)} characters)"
