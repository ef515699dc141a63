"""Saving edits into a program that runs under ``splice run --watch``, and reading what it said.

``--watch`` prints one summary line per saved file (``patched app.py: ...``,
``not patched app.py: ...``, ``patched app.py in 3 processes: ...; 1 process
failed: ...``) and under it each error and warning as ``file:line: severity:
[code] message``; skipped statements appear in the summary only (``1
statement skipped (line 3)``). These lines are the findings a user sees.
"""

from __future__ import annotations

import os
import queue
import re
import time
from collections.abc import Mapping
from pathlib import Path

from oracle import Finding, Observed
from running import Program, python

#: Seconds to wait for ``--watch`` to report a saved file.
REPORT_TIMEOUT = 20.0
#: Seconds to keep reading after the last summary: its finding lines come right after it.
TRAILING_SECONDS = 0.3

SUMMARY = re.compile(
    r"^(?P<verb>patched|not patched|would patch|would not patch|no process runs) (?P<file>[^\s:]+)"
)
DETAIL = re.compile(
    r"^\s+(?P<file>[^\s:]+)(?::(?P<line>\d+))?: (?P<severity>error|warning|info):"
    r" \[(?P<code>[^\]]+)\] (?P<message>.*)$"
)
SKIPPED = re.compile(r"(\d+) statements? skipped \(lines? (?P<lines>[\d, ]+)\)")


def write_files(project: Path, files: Mapping[str, str]) -> None:
    """Save every file at once, as an editor's "save all" does: one poll sees them all.

    Each file is written beside its place with a fresh modification time, then
    all are renamed into place one right after the other.
    """
    stamp = time.time() + 1  # file systems with coarse timestamps still see a change
    staged = []
    for path, text in files.items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.saving")
        temporary.write_text(text)
        os.utime(temporary, (stamp, stamp))
        staged.append((temporary, target))
    for temporary, target in staged:
        os.replace(temporary, target)


def parse_report(lines: list[str]) -> Observed:
    """The findings, refusals and failures in ``--watch``'s lines about one save."""
    observed = Observed()
    for line in lines:
        summary = SUMMARY.match(line)
        detail = DETAIL.match(line)
        if summary is not None:
            observed.lines.append(line)
            name = summary.group("file")
            if summary.group("verb") in ("not patched", "would not patch"):
                if "which started before the save" in line:
                    observed.partly_failed = True
                else:
                    observed.refused = True
            if re.search(r"\d+ process(es)? failed", line):
                observed.partly_failed = True
            for skipped in SKIPPED.finditer(line):
                for number in skipped.group("lines").split(","):
                    observed.findings.append(
                        Finding(
                            name, int(number), "warning", "statement-not-run", "(in the summary)"
                        )
                    )
        elif detail is not None:
            observed.lines.append(line.strip())
            number = detail.group("line")
            observed.findings.append(
                Finding(
                    detail.group("file"),
                    int(number) if number else None,
                    detail.group("severity"),
                    detail.group("code"),
                    detail.group("message"),
                )
            )
        elif line.startswith("splice"):
            observed.lines.append(line)
    return observed


class WatchDriver:
    """The live program under ``splice run --watch``; a save is a write of the files."""

    name = "watch"

    def __init__(self, project: Path, command: list[str]) -> None:
        self.project = project
        self.command = command
        self.program: Program | None = None

    def start(self, port: int | None, env: Mapping[str, str]) -> Program:
        self.close()
        command = [arg.format(port=port) for arg in self.command]
        self.program = Program([*splice_run(), "--watch", *command], self.project, env, port)
        return self.program

    def wait_attached(self, processes: int) -> None:
        """Nothing to wait for: the watcher is this program's own (see ``sequence``)."""

    def save(self, files: Mapping[str, str], expected: list[str]) -> Observed:
        """Write ``files``; wait until ``--watch`` reported each of ``expected`` (basenames)."""
        program = self.program
        assert program is not None
        _drain(program.stderr_lines)
        write_files(self.project, files)
        waiting = list(expected)
        lines: list[str] = []
        deadline = time.monotonic() + (REPORT_TIMEOUT if waiting else 2 * TRAILING_SECONDS)
        while True:
            # Until every file is reported, then a moment more for the lines under the last one.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                line = program.stderr_lines.get(timeout=min(0.05, remaining))
            except queue.Empty:
                if not program.alive:
                    break  # it died: nothing more will be said
                continue
            lines.append(line)
            summary = SUMMARY.match(line)
            if summary is not None:
                if summary.group("file") in waiting:
                    waiting.remove(summary.group("file"))
                if not waiting:
                    deadline = time.monotonic() + TRAILING_SECONDS
        observed = parse_report(lines)
        observed.unreported = waiting
        return observed

    def close(self) -> None:
        if self.program is not None:
            self.program.stop()
            self.program = None


def splice_run() -> list[str]:
    return [python(), "-m", "splice", "run"]


def _drain(lines: queue.Queue[str]) -> None:
    while True:
        try:
            lines.get_nowait()
        except queue.Empty:
            return
