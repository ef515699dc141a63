"""splice values -> LSP shapes: diagnostics, messages, code actions, code lenses, status.

Findings carry 1-based lines and columns; LSP positions are 0-based. Every
conversion between the two happens here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from splice.engine.result import STATEMENT_SKIP_CODES, Finding
from splice.lsp.patching import KernelOutcome, PatchReport

SOURCE = "splice"
#: docs/edits.md in a checkout (editable installs), then the copy a wheel ships.
_EDITS_DOCS = (
    Path(__file__).resolve().parents[3] / "docs" / "edits.md",
    Path(__file__).resolve().parents[1] / "docs" / "edits.md",
)

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def edits_doc(code: str) -> str | None:
    """The link explaining a finding's code (docs/edits.md#<code>), if the docs are here."""
    for path in _EDITS_DOCS:
        if path.is_file():
            return f"{path.as_uri()}#{code}"
    return None


# Diagnostics ------------------------------------------------------------------


def finding_range(finding: Finding, lines: list[str]) -> types.Range:
    """The finding's lines, 0-based; the whole line when no column is known."""
    if finding.line is None or not lines:
        return types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        )
    line = min(max(finding.line, 1), len(lines)) - 1
    text = lines[line]
    indent = len(text) - len(text.lstrip())
    start = finding.column - 1 if finding.column else indent
    start = min(max(start, 0), len(text))
    end_line = line
    if finding.end_line is not None and finding.end_line >= finding.line:
        end_line = min(finding.end_line, len(lines)) - 1
    end = len(lines[end_line].rstrip("\r\n"))
    if end_line == line and end <= start:
        end = len(text)
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=end_line, character=end),
    )


def finding_to_diagnostic(
    finding: Finding, lines: list[str], outcome: KernelOutcome
) -> types.Diagnostic:
    message = finding.message
    if finding.qualname and finding.qualname not in message:
        message = f"{finding.qualname}: {message}"
    return types.Diagnostic(
        range=finding_range(finding, lines),
        message=message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Error),
        code=finding.code,
        code_description=types.CodeDescription(href=link)
        if (link := edits_doc(finding.code))
        else None,
        source=SOURCE,
        data={
            "pid": outcome.pid,
            "module": outcome.module,
            "qualname": finding.qualname,
            "line": finding.line,
            "refused": is_refused(finding),
        },
    )


def is_refused(finding: Finding) -> bool:
    """An edit of one definition the engine would not apply in place (a "rude edit")."""
    return (
        finding.severity == "error"
        and finding.qualname is not None
        and finding.code not in STATEMENT_SKIP_CODES
        and finding.code != "syntax-error"
    )


def report_diagnostics(report: PatchReport) -> dict[int, list[types.Diagnostic]]:
    """pid -> the diagnostics this report puts in the file."""
    lines = report.text.splitlines(keepends=True) or [""]
    return {
        outcome.pid: [finding_to_diagnostic(item, lines, outcome) for item in outcome.findings()]
        for outcome in report.outcomes
        # A kernel that did not answer keeps the diagnostics it had.
        if outcome.result is not None
    }


# Messages ---------------------------------------------------------------------


def milliseconds(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def outcome_message(outcome: KernelOutcome) -> tuple[types.MessageType, str]:
    """The short message shown for one kernel, e.g. "patched 3 definitions in 4 ms"."""
    who = f"{outcome.program or 'kernel'} (pid {outcome.pid})"
    result = outcome.result
    if result is None:
        return types.MessageType.Warning, f"splice: {who}: {outcome.error}"
    if not result.ok:
        first = result.errors[0] if result.errors else None
        reason = f"{first.message} ({first.where()})" if first else "unknown error"
        more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        return (
            types.MessageType.Error,
            f"splice: {who}: not patched: {reason}{more}; nothing was changed",
        )
    count = result.patched_count
    parts = [f"patched {count} definition{'s' if count != 1 else ''}"]
    if result.statements_applied:
        number = len(result.statements_applied)
        parts.append(f"ran {number} statement{'s' if number != 1 else ''}")
    skipped = [item for item in result.skipped if item.code in STATEMENT_SKIP_CODES]
    if skipped:
        lines = ", ".join(str(item.line) for item in skipped if item.line is not None)
        parts.append(
            f"{len(skipped)} statement{'s' if len(skipped) != 1 else ''} not run ({lines})"
        )
    severity = types.MessageType.Warning if skipped else types.MessageType.Info
    return severity, f"splice: {who}: {', '.join(parts)} in {milliseconds(result.duration_ms)}"


def worth_showing(outcome: KernelOutcome) -> bool:
    """Not every save deserves a pop-up: one that changed nothing only goes to the log."""
    result = outcome.result
    if result is None or not result.ok:
        return True
    return bool(result.patched_count or result.skipped or result.statements_applied)


def report_log(report: PatchReport) -> str:
    """The details for ``window/logMessage``."""
    lines = [f"{report.action} {report.path}: {milliseconds(report.duration_ms)} in the server"]
    if report.note:
        lines.append(f"  {report.note}")
    for outcome in report.outcomes:
        head = f"  pid {outcome.pid} ({outcome.program}) module {outcome.module}"
        if outcome.result is None:
            lines.append(f"{head}: {outcome.error}")
            continue
        lines.append(f"{head}: {outcome.result.summary()}")
        for finding in outcome.findings():
            where = f"line {finding.line}" if finding.line else (finding.qualname or "module")
            lines.append(f"    [{finding.severity}] {finding.code} at {where}: {finding.message}")
    return "\n".join(lines)


def report_summary(report: PatchReport) -> str:
    if not report.outcomes:
        return report.note or "nothing to patch"
    if len(report.outcomes) == 1:
        return outcome_message(report.outcomes[0])[1].removeprefix("splice: ")
    good = sum(outcome.ok for outcome in report.outcomes)
    return f"patched {good} of {len(report.outcomes)} kernels"


# Status -----------------------------------------------------------------------


def status(
    ready: bool,
    kernels: list[dict[str, Any]],
    last: PatchReport | None,
    message: str,
) -> dict[str, Any]:
    """The ``splice/status`` notification's params (documented in docs/lsp.md)."""
    last_patch = None
    if last is not None:
        last_patch = {
            "uri": last.uri,
            "ok": last.ok,
            "summary": report_summary(last),
            "durationMs": round(last.duration_ms, 3),
            # The same file patched in several kernels: count its definitions once.
            "patched": max(
                (o.result.patched_count for o in last.outcomes if o.ok and o.result), default=0
            ),
            "kernels": [
                {
                    "pid": outcome.pid,
                    "ok": outcome.ok,
                    "summary": outcome.result.summary() if outcome.result else outcome.error,
                }
                for outcome in last.outcomes
            ],
        }
    return {"ready": ready, "kernels": kernels, "lastPatch": last_patch, "message": message}


# Code actions and lenses ------------------------------------------------------


def command_action(
    title: str,
    kind: str,
    command: str,
    arguments: list[Any],
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=kind,
        diagnostics=diagnostics,
        command=types.Command(title=title, command=command, arguments=arguments),
    )


def marker_lens(line: int, qualname: str, state: str, uri: str, reload_line: int) -> types.CodeLens:
    """A code lens above a definition: "live", or "differs from kernel: reload"."""
    at = types.Position(line=line, character=0)
    position = types.Range(start=at, end=at)
    if state == "live":
        command = types.Command(title="live", command="")
    else:
        title = {
            "differs": "differs from kernel: reload",
            "new": "not in kernel: reload",
            "broken": "differs from kernel (does not parse)",
        }[state]
        arguments = [uri, reload_line, 0] if state != "broken" else None
        name = "splice.reloadDefinition" if state != "broken" else ""
        command = types.Command(title=title, command=name, arguments=arguments)
    return types.CodeLens(range=position, command=command, data={"qualname": qualname})
