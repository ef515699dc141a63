"""splice values -> LSP shapes: positions, diagnostics, messages, status, actions, lenses.

Findings carry 1-based lines and columns counted in characters; LSP positions
are 0-based and count in the negotiated encoding (UTF-16 unless the client
chose otherwise). Every conversion between the two happens here, on lines
split as the engine (and the LSP spec) split them: at ``\\n``, ``\\r\\n`` and
``\\r`` only, never at the form feeds and other separators ``str.splitlines``
also breaks at. Every sentence comes from ``splice.report``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import PositionCodec

from splice.engine.outline.definitions import source_lines_with_ends
from splice.engine.result import STATEMENT_SKIP_CODES, Finding
from splice.lsp.markers import MarkerState
from splice.lsp.outcomes import KernelOutcome, PatchReport
from splice.report import (
    describe_catch_up,
    describe_finding,
    describe_outcomes,
    describe_result,
    milliseconds,
)

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


# Positions --------------------------------------------------------------------


def buffer_lines(text: str) -> list[str]:
    """The buffer's lines with their ends, as the engine and the client count them."""
    return source_lines_with_ends(text) or [""]


def buffer_line(lsp_line: int) -> int:
    """An LSP (0-based) line as the engine's 1-based line."""
    return lsp_line + 1


def lsp_line(line: int) -> int:
    """An engine (1-based) line as LSP's 0-based line."""
    return line - 1


def to_client_range(codec: PositionCodec, text: str, found: types.Range) -> types.Range:
    """A range in characters as the client counts (its negotiated position encoding)."""
    return codec.range_to_client_units(buffer_lines(text), found)


# Diagnostics ------------------------------------------------------------------


def finding_range(finding: Finding, lines: Sequence[str]) -> types.Range:
    """The finding's lines, 0-based, in characters; the whole line when no column is known."""
    if finding.line is None or not lines:
        return types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        )
    line = lsp_line(min(max(finding.line, 1), len(lines)))
    text = lines[line].rstrip("\r\n")
    indent = len(text) - len(text.lstrip())
    start = finding.column - 1 if finding.column else indent
    start = min(max(start, 0), len(text))
    end_line = line
    if finding.end_line is not None and finding.end_line >= finding.line:
        end_line = lsp_line(min(finding.end_line, len(lines)))
    end = len(lines[end_line].rstrip("\r\n"))
    if end_line == line and end <= start:
        end = len(text)
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=end_line, character=end),
    )


def finding_to_diagnostic(
    finding: Finding, lines: Sequence[str], outcome: KernelOutcome, *, name_process: bool = False
) -> types.Diagnostic:
    message = finding.message
    if finding.qualname and finding.qualname not in message:
        message = f"{finding.qualname}: {message}"
    if name_process:
        message = f"{outcome.who}: {message}"
    return types.Diagnostic(
        range=finding_range(finding, lines),
        message=message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Error),
        code=finding.code,
        code_description=types.CodeDescription(href=link)
        if (link := edits_doc(finding.code))
        else None,
        source=SOURCE,
        related_information=_elsewhere(finding),
        data={
            "pid": outcome.pid,
            "module": outcome.module,
            "qualname": finding.qualname,
            "line": finding.line,
            "refused": is_refused(finding),
            **_rerun(finding),
        },
    )


def _rerun(finding: Finding) -> dict[str, Any]:
    """Where the statement a finding says to run again is: another file, or this one."""
    if not finding.rerun:
        return {}
    place = finding.place
    if place is not None:
        return {"rerun": {"uri": Path(place.file).as_uri(), "line": place.line}}
    return {"rerun": {"uri": None, "line": finding.line}}


def _elsewhere(finding: Finding) -> list[types.DiagnosticRelatedInformation] | None:
    """The line of another file that a finding is about (an importer's statement)."""
    place = finding.place
    if place is None:
        return None
    at = types.Position(line=lsp_line(max(place.line, 1)), character=0)
    return [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=Path(place.file).as_uri(), range=types.Range(at, at)),
            message=f"{place.module}, line {place.line}",
        )
    ]


def is_refused(finding: Finding) -> bool:
    """An edit of one definition the engine would not apply in place (a "rude edit")."""
    return (
        finding.severity == "error"
        and finding.qualname is not None
        and finding.code not in STATEMENT_SKIP_CODES
        and finding.code != "syntax-error"
    )


def report_diagnostics(report: PatchReport) -> dict[int, list[types.Diagnostic]]:
    """pid -> the diagnostics this report puts in the file.

    When the processes of a patch disagree (one refused what the others
    applied), a finding that not every process had names its process
    (``pid 4242 (-m gunicorn, fork): ...``); findings every process had read
    the same and are published once (``DiagnosticStore`` merges them).
    """
    lines = buffer_lines(report.text)
    answered = [outcome for outcome in report.outcomes if outcome.result is not None]
    found = {id(outcome): outcome.findings() for outcome in answered}
    keys = [{_finding_key(item) for item in found[id(outcome)]} for outcome in answered]
    shared = set.intersection(*keys) if keys else set()
    several = len(report.outcomes) > 1
    diagnostics = {
        outcome.pid: [
            finding_to_diagnostic(
                item,
                lines,
                outcome,
                name_process=report.catch_up or (several and _finding_key(item) not in shared),
            )
            for item in found[id(outcome)]
        ]
        for outcome in answered
    }
    if len(report.outcomes) > 1 and answered:
        # In a program of several processes, one that gave no answer may run the old code.
        for outcome in report.outcomes:
            if outcome.result is None:
                diagnostics[outcome.pid] = [_unanswered(outcome, file_name(report))]
    # A lone kernel that did not answer keeps the diagnostics it had.
    return diagnostics


def _finding_key(finding: Finding) -> tuple[Any, ...]:
    return (finding.code, finding.qualname, finding.line, finding.column, finding.message)


def _unanswered(outcome: KernelOutcome, name: str) -> types.Diagnostic:
    at = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=at, end=at),
        message=describe_outcomes(name, [outcome]),
        severity=types.DiagnosticSeverity.Error,
        code="process-not-patched",
        source=SOURCE,
        data={"pid": outcome.pid, "module": outcome.module, "qualname": None, "line": None},
    )


# Messages ---------------------------------------------------------------------


def file_name(report: PatchReport) -> str:
    return Path(report.path).name


def report_summary(report: PatchReport) -> str:
    """The one line about a patch action, worded by ``splice.report``."""
    if not report.outcomes and report.note:
        return report.note
    if report.catch_up and len(report.outcomes) == 1:
        return describe_catch_up(file_name(report), report.outcomes[0])
    return describe_outcomes(file_name(report), report.outcomes)


def report_message(report: PatchReport) -> tuple[types.MessageType, str] | None:
    """The pop-up for a patch action, if it deserves one (a no-op save only goes to the log)."""
    if not report.outcomes:
        return None
    results = [outcome.result for outcome in report.outcomes]
    if all(
        result is not None
        and result.ok
        and not (result.patched_count or result.skipped or result.statements_applied)
        for result in results
    ):
        return None
    if not report.ok:
        kind = types.MessageType.Error
    elif any(result is not None and not result.fully_applied for result in results):
        kind = types.MessageType.Warning
    else:
        kind = types.MessageType.Info
    return kind, f"{SOURCE}: {report_summary(report)}"


#: The least severe message each ``showNotifications`` value pops up.
_NOTIFY_FROM = {
    "off": None,
    "onError": types.MessageType.Error,
    "onWarning": types.MessageType.Warning,
    "always": types.MessageType.Log,
}


def worth_showing(kind: types.MessageType, show_notifications: str) -> bool:
    """Whether a patch result of this severity pops up, by the ``showNotifications`` setting."""
    least = _NOTIFY_FROM[show_notifications]
    # MessageType counts up from Error (1) to Log (4).
    return least is not None and kind <= least


def report_log(report: PatchReport) -> str:
    """The details for ``window/logMessage``: the summary, each process, each finding."""
    lines = [
        f"{report.action}: {report_summary(report)} "
        f"({milliseconds(report.duration_ms)} in the server)"
    ]
    for outcome in report.outcomes:
        if outcome.result is None:
            lines.append(f"  {outcome.who}: {outcome.error}")
            continue
        lines.append(f"  {outcome.who}: {describe_result(outcome.result)}")
        lines.extend(
            f"    {describe_finding(finding, file_name(report))}" for finding in outcome.findings()
        )
    return "\n".join(lines)


# Status -----------------------------------------------------------------------


def status(
    ready: bool,
    kernels: list[dict[str, Any]],
    last: PatchReport | None,
    message: str,
) -> dict[str, Any]:
    """The ``splice/status`` notification's params (docs/lsp.md, /work/notes/STATUS_SCHEMA)."""
    return {
        "ready": ready,
        "kernels": kernels,
        "lastPatch": None if last is None else last_patch(last),
        "message": message,
        "programs": programs(kernels),
    }


def programs(kernels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attached kernels grouped by program: one program with N processes, not N kernels.

    A kernel without ``rootPid`` (an older agent's) is a program of its own.
    """
    grouped: dict[int, dict[str, Any]] = {}
    for kernel in kernels:
        if not kernel.get("attached"):
            continue
        root = kernel.get("rootPid") or kernel["pid"]
        group = grouped.setdefault(
            root, {"rootPid": root, "program": kernel.get("program") or "", "pids": []}
        )
        group["pids"].append(kernel["pid"])
        if kernel["pid"] == root and kernel.get("program"):
            group["program"] = kernel["program"]
    return [
        {**group, "pids": sorted(group["pids"]), "processes": len(group["pids"])}
        for group in grouped.values()
    ]


def last_patch(report: PatchReport) -> dict[str, Any]:
    """What one patch action did, as data: the same file in several kernels counts once."""
    results = [outcome.result for outcome in report.outcomes if outcome.result is not None]
    names = {
        kind: _union(getattr(result, kind) for result in results)
        for kind in ("changed", "added", "deleted", "rebound")
    }
    findings = [outcome.findings() for outcome in report.outcomes]
    skipped = {
        finding.line
        for found in findings
        for finding in found
        if finding.code in STATEMENT_SKIP_CODES and finding.line is not None
    }
    warnings = _distinct(
        finding
        for found in findings
        for finding in found
        if finding.severity == "warning" and finding.code not in STATEMENT_SKIP_CODES
    )
    errors = _distinct(
        finding for found in findings for finding in found if finding.severity == "error"
    )
    return {
        "uri": report.uri,
        "ok": report.ok,
        "summary": report_summary(report),
        "durationMs": round(report.duration_ms, 3),
        "patched": sum(len(items) for items in names.values()),
        **names,
        "statementsSkipped": sorted(skipped),
        "warnings": len(warnings),
        "errors": len(errors),
        "kernels": [_kernel_patch(report, outcome) for outcome in report.outcomes],
    }


def _kernel_patch(report: PatchReport, outcome: KernelOutcome) -> dict[str, Any]:
    error = outcome.error
    if error is None and outcome.result is not None and not outcome.result.ok:
        first = outcome.result.first_error
        error = first.message if first is not None else None
    return {
        "pid": outcome.pid,
        "program": outcome.program,
        "ok": outcome.ok,
        "summary": describe_outcomes(file_name(report), [outcome]),
        "error": error,
    }


def _union(groups: Iterable[Sequence[str]]) -> list[str]:
    return list(dict.fromkeys(name for group in groups for name in group))


def _distinct(findings: Iterable[Finding]) -> set[tuple[Any, ...]]:
    return {(f.code, f.qualname, f.line, f.message) for f in findings}


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


def marker_lens(
    first_line: int, qualname: str, state: MarkerState, uri: str, header_line: int
) -> types.CodeLens:
    """A code lens above a definition (its 1-based lines): "live", or "differs: reload"."""
    at = types.Position(line=lsp_line(first_line), character=0)
    position = types.Range(start=at, end=at)
    if state == "live":
        command = types.Command(title="live", command="")
    else:
        title = {
            "differs": "differs from kernel: reload",
            "new": "not in kernel: reload",
            "broken": "differs from kernel (does not parse)",
        }[state]
        arguments = [uri, lsp_line(header_line), 0] if state != "broken" else None
        name = "splice.reloadDefinition" if state != "broken" else ""
        command = types.Command(title=title, command=name, arguments=arguments)
    return types.CodeLens(range=position, command=command, data={"qualname": qualname})
