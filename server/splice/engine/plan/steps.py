"""A planned patch: the steps to commit in source order and what to report.

Each step records how to undo itself. When any finding is an error the plan
has no steps worth running: the patch is refused as a whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType, ModuleType
from typing import Any

from splice.engine.outline.definitions import Outline, source_lines
from splice.engine.outline.diff import Diff
from splice.engine.result import Finding, PatchResult

Undo = list[Callable[[], None]]


@dataclass
class Step:
    """One mutation of live state, run during commit."""

    line: int
    label: str
    action: Callable[[Undo], None]


@dataclass
class Plan:
    module: ModuleType
    filename: str
    source: str
    outline: Outline | None = None
    steps: list[Step] = field(default_factory=list)
    caches: list[Any] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rebound: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    statements_applied: list[int] = field(default_factory=list)
    #: Old inner code -> new, for closures made earlier (one heap walk per patch).
    closures: dict[Any, Any] = field(default_factory=dict)
    #: False when the new text must not become the baseline (without a
    #: baseline, ``only=`` checks only part of it).
    record_baseline: bool = True
    #: qualname -> the new code a changed function gets (the stale checks read
    #: what it loads from its bytecode, not from its syntax tree again).
    compiled: dict[str, CodeType] = field(default_factory=dict)
    #: The baseline planner's diff (None without a baseline): what the stale
    #: checks need to know of the text that changed.
    diff: Diff | None = None
    #: id -> live value an adapter brings up to date itself (an app made by a
    #: changed factory): the stale checks do not name the statement that made it.
    updated_products: dict[int, Any] = field(default_factory=dict)

    def unverified(self) -> list[Finding]:
        """Findings about definitions the patch could not check against what runs."""
        return [
            finding
            for finding in self.skipped
            if finding.code.endswith("-unverified") and finding.code != "statement-unverified"
        ]

    def result(self, started: float, dry_run: bool = False) -> PatchResult:
        # A refused patch applied nothing, so it reports nothing as patched
        # (a dry run still says what it would have done).
        done = dry_run or not self.errors
        return PatchResult(
            ok=not self.errors,
            module=self.module.__name__,
            file=self.filename,
            changed=tuple(self.changed) if done else (),
            added=tuple(self.added) if done else (),
            deleted=tuple(self.deleted) if done else (),
            rebound=tuple(self.rebound) if done else (),
            moved=tuple(self.moved) if done else (),
            skipped=tuple(self.skipped),
            errors=tuple(self.errors),
            duration_ms=(time.perf_counter() - started) * 1000,
            dry_run=dry_run,
            statements_applied=tuple(self.statements_applied) if not self.errors else (),
        )

    def failed(self, started: float, step: Step, error: BaseException) -> PatchResult:
        finding = Finding(
            "apply-failed",
            f"{step.label} raised {type(error).__name__}: {error}; "
            "everything this patch had done was undone",
            qualname=None,
            line=step.line,
        )
        self.errors.append(finding)
        return PatchResult(
            ok=False,
            module=self.module.__name__,
            file=self.filename,
            errors=tuple(self.errors),
            skipped=tuple(self.skipped),
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def release(self) -> None:
        """Drop the steps once the patch is done.

        Their actions close over the planner and this plan (a cycle): kept,
        the old outline and every syntax tree planning made would wait for
        a full collection, and a process that patches often would grow.
        """
        self.steps.clear()
        self.caches.clear()

    def add_step(self, line: int, label: str, action: Callable[[Undo], None]) -> None:
        self.steps.append(Step(line, label, action))

    def skip_in_commit(self, findings: list[Finding], undo: Undo) -> None:
        """Add findings a step of the commit made; a commit undone later takes them back."""
        if not findings:
            return
        self.skipped.extend(findings)

        def forget() -> None:
            for finding in findings:
                if finding in self.skipped:
                    self.skipped.remove(finding)

        undo.append(forget)

    def add_last_step(self, label: str, action: Callable[[Undo], None]) -> None:
        """A step after every other: at the file's last line, so its failure is reported inside the file."""
        source = self.source
        if "\r" in source:
            lines = source_lines(source)
            if lines and not lines[-1]:
                lines.pop()  # the text ends with a newline: no line after it
            count = len(lines)
        else:  # counted, not split: this runs on every patch
            count = source.count("\n") + (not source.endswith("\n"))
        self.add_step(max(1, count), label, action)

    def line_of(self, qualname: str | None) -> int | None:
        """Where ``qualname`` starts in the new text (None when it is not there)."""
        if qualname is None or self.outline is None:
            return None
        definition = self.outline.definitions.get(qualname)
        return definition.line if definition is not None else None


def code_filename(module: ModuleType) -> str:
    """The file name the module's code objects carry (tracebacks, linecache)."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if isinstance(origin, str) and origin.endswith(".py"):
        return origin
    return str(module.__file__)
