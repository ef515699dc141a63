"""What one patch action did in each kernel: the values the language server turns into diagnostics.

No LSP types: ``convert.py`` turns a ``PatchReport`` into diagnostics and
messages. A ``KernelOutcome`` is a process's outcome plus the module that got
the text and, for a single-definition reload, where the lines sit in the
buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from splice.engine.result import Finding, ProcessOutcome


@dataclass(frozen=True)
class LineMap:
    """Where lines of the text sent to a kernel sit in the editor's buffer.

    A single-definition reload sends the kernel's baseline with one definition
    replaced; its findings must land on that definition's lines in the buffer.
    """

    start: int  # first line of the definition in the text sent
    end: int
    shift: int  # add to a line in start..end to get the buffer's line
    fallback: int  # the buffer line for findings outside start..end
    #: add to a column in start..end: the engine re-indents the definition it splices
    column_shift: int = 0

    def to_buffer(self, line: int | None) -> int | None:
        if line is None:
            return None
        return line + self.shift if self.start <= line <= self.end else self.fallback

    def column_to_buffer(self, line: int | None, column: int | None) -> int | None:
        """A finding's column in the buffer; None (the whole line) outside the definition."""
        if line is None or column is None or not self.start <= line <= self.end:
            return None
        return max(column + self.column_shift, 1)


@dataclass(frozen=True)
class KernelOutcome(ProcessOutcome):
    """A process's outcome, plus which module got the text and where its lines sit."""

    module: str | None = None
    line_map: LineMap | None = None

    def findings(self) -> list[Finding]:
        """The result's errors and skips, with lines moved to the buffer's."""
        if self.result is None:
            return []
        found = list(self.result.errors) + list(self.result.skipped)
        if self.line_map is None:
            return found
        mapped = []
        for finding in found:
            line = self.line_map.to_buffer(finding.line)
            end_line = self.line_map.to_buffer(finding.end_line)
            mapped.append(
                Finding(
                    finding.code,
                    finding.message,
                    finding.qualname,
                    line,
                    self.line_map.column_to_buffer(finding.line, finding.column),
                    end_line,
                    finding.severity,
                )
            )
        return mapped


Action = Literal["save", "reloadFile", "reloadDefinition", "runStatement", "applyOthers", "undo"]


@dataclass(frozen=True)
class PatchReport:
    """Everything one patch action did, across kernels.

    ``scope`` is the range of buffer lines the action was about (one
    definition or statement), or None for the whole file: diagnostics of
    earlier actions inside the scope are replaced, the others kept.
    """

    action: Action
    uri: str
    path: str
    text: str  # the buffer text the findings' lines refer to
    outcomes: tuple[KernelOutcome, ...] = ()
    duration_ms: float = 0.0
    scope: tuple[int, int] | None = None
    #: said to the user when no kernel was asked (empty: ``describe_outcomes`` words it)
    note: str = ""
    #: one process seen after the save, brought to the text the others run
    catch_up: bool = False

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)
