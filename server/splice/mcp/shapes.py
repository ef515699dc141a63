"""The tools' results as typed dictionaries: the SDK publishes each as the tool's output schema.

Facts are fields; the sentences (``summary``, a finding's ``text``) come from
``splice.report``, the words every other client of splice uses.
"""

from __future__ import annotations

import os
import time
from typing import Any

# pydantic (which turns these into schemas) needs typing_extensions' TypedDict before 3.12.
from typing_extensions import TypedDict

from splice.agent.connection import ConnectionInfo, Discovery
from splice.client.commands import process_tree
from splice.engine.result import Finding, PatchResult
from splice.mcp.patching import FileReport, ProcessAnswer
from splice.report import describe_finding, describe_result


class FindingShape(TypedDict):
    """Something a patch did not do, or warns about; ``code`` is explained in docs/edits.md."""

    severity: str
    code: str
    message: str
    qualname: str | None
    line: int | None
    column: int | None
    endLine: int | None
    module: str
    text: str


class ProcessPatch(TypedDict):
    """One process's answer: a result per module name it runs the file as, or ``error``."""

    pid: int
    program: str
    role: str
    rootPid: int
    ok: bool
    fullyApplied: bool
    error: str | None
    modules: list[str]
    summary: str
    changed: list[str]
    added: list[str]
    deleted: list[str]
    findings: list[FindingShape]
    results: list[dict[str, Any]]


class LateProcess(TypedDict):
    """A process seen after a patch and brought to the same text (reported when that did something)."""

    file: str
    process: ProcessPatch


class PatchReport(TypedDict):
    file: str
    action: str
    ok: bool
    fullyApplied: bool
    dryRun: bool
    summary: str
    durationMs: float
    kernelsChecked: int
    processes: list[ProcessPatch]
    lateProcesses: list[LateProcess]


class ProcessInfo(TypedDict):
    pid: int
    parentPid: int | None
    rootPid: int
    role: str
    depth: int
    program: str
    python: str
    executable: str
    cwd: str
    commandLine: list[str]
    uptimeSeconds: float
    #: the module names running the ``file`` asked about (None: not asked, or not reachable)
    modules: list[str] | None


class Program(TypedDict):
    rootPid: int
    program: str
    cwd: str
    processes: list[ProcessInfo]


class IgnoredFile(TypedDict):
    path: str
    reason: str


class KernelListing(TypedDict):
    runtimeDirectory: str
    programs: list[Program]
    ignored: list[IgnoredFile]
    lateProcesses: list[LateProcess]


class Evaluation(TypedDict):
    pid: int
    process: str
    module: str
    ok: bool
    value: str | None
    type: str | None
    truncated: bool
    output: str
    error: str | None
    exception: str | None
    traceback: str | None


class LiveValue(TypedDict):
    pid: int
    process: str
    module: str
    name: str
    found: bool
    reason: str | None
    kind: str | None
    type: str | None
    value: str | None
    truncated: bool
    signature: str | None
    doc: str | None
    attributes: list[str] | None


def finding_shape(finding: Finding, result: PatchResult) -> FindingShape:
    return {
        "severity": finding.severity,
        "code": finding.code,
        "message": finding.message,
        "qualname": finding.qualname,
        "line": finding.line,
        "column": finding.column,
        "endLine": finding.end_line,
        "module": result.module,
        "text": describe_finding(finding, os.path.basename(result.file or "") or None),
    }


def process_patch(answer: ProcessAnswer) -> ProcessPatch:
    info = answer.info
    results = answer.results
    if answer.error is not None:
        summary = answer.error
    else:
        summary = "; ".join(
            describe_result(result) + (f" (as {result.module})" if len(results) > 1 else "")
            for result in results
        )
    return {
        "pid": info.pid,
        "program": info.program,
        "role": info.role,
        "rootPid": info.program_pid,
        "ok": answer.ok,
        "fullyApplied": answer.fully_applied,
        "error": answer.error,
        "modules": list(answer.modules),
        "summary": summary,
        "changed": _union(result.changed for result in results),
        "added": _union(result.added for result in results),
        "deleted": _union(result.deleted for result in results),
        "findings": [
            finding_shape(finding, result)
            for result in results
            for finding in (*result.errors, *result.skipped)
        ],
        "results": [result.to_dict() for result in results],
    }


def late_processes(late: list[tuple[str, ProcessAnswer]]) -> list[LateProcess]:
    return [{"file": file, "process": process_patch(answer)} for file, answer in late]


def patch_report(report: FileReport, late: list[tuple[str, ProcessAnswer]]) -> PatchReport:
    """A ``patch_file`` or ``undo_patch`` result; ``late``: processes caught up since the last call."""
    return {
        "file": report.path,
        "action": report.action,
        "ok": report.ok,
        "fullyApplied": report.fully_applied,
        "dryRun": report.dry_run,
        "summary": report.summary(),
        "durationMs": round(report.duration_ms, 2),
        "kernelsChecked": report.kernels_checked,
        "processes": [process_patch(answer) for answer in report.answers],
        "lateProcesses": late_processes([(report.path, a) for a in report.late] + late),
    }


def process_info(info: ConnectionInfo, depth: int, modules: list[str] | None) -> ProcessInfo:
    """One process, as ``list_kernels`` shows it (the token never leaves the server)."""
    return {
        "pid": info.pid,
        "parentPid": info.parent_pid or None,
        "rootPid": info.program_pid,
        "role": info.role,
        "depth": depth,
        "program": info.program,
        "python": info.python,
        "executable": info.executable,
        "cwd": info.cwd,
        "commandLine": list(info.command_line or info.argv),
        "uptimeSeconds": round(max(0.0, time.time() - info.started_at), 1),
        "modules": modules,
    }


def kernel_listing(
    directory: str,
    found: Discovery,
    modules: dict[int, list[str] | None],
    late: list[tuple[str, ProcessAnswer]],
) -> KernelListing:
    """The kernels grouped by program, each program's processes as a tree (parents first)."""
    programs: dict[int, Program] = {}
    for depth, info in process_tree(list(found.kernels)):
        program = programs.setdefault(
            info.program_pid,
            {
                "rootPid": info.program_pid,
                "program": info.program,
                "cwd": info.cwd,
                "processes": [],
            },
        )
        program["processes"].append(process_info(info, depth, modules.get(info.pid)))
    return {
        "runtimeDirectory": directory,
        "programs": list(programs.values()),
        "ignored": [{"path": item.path, "reason": item.reason} for item in found.ignored],
        "lateProcesses": late_processes(late),
    }


def _union(groups: Any) -> list[str]:
    return list(dict.fromkeys(name for group in groups for name in group))
