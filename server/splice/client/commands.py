"""``splice kernels`` and ``splice patch``: the command-line client of the agent.

Exit status of ``splice patch``: 0 when every kernel applied everything (no
error, no skipped statement), 1 when something was not applied, 2 for usage
errors, an unreadable file, or no kernel to patch.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.client.client import KernelClient
from splice.engine.result import STATEMENT_SKIP_CODES, PatchResult
from splice.errors import AuthenticationError, KernelUnavailableError, RemoteError, SpliceError

# splice kernels -------------------------------------------------------------------------


def _age(started_at: float) -> str:
    seconds = max(0, int(time.time() - started_at))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d"


def kernels_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="splice kernels", description="List the live splice kernels of this user."
    )
    parser.add_argument("--json", action="store_true", help="print JSON (one object per kernel)")
    options = parser.parse_args(argv)
    try:
        found = connection.scan()
    except OSError as error:
        print(f"splice kernels: cannot read the runtime directory: {error}", file=sys.stderr)
        return 2
    kernels = list(found.kernels)
    for ignored in found.ignored:
        print(f"splice kernels: ignored {ignored.path}: it {ignored.reason}", file=sys.stderr)
    if options.json:
        rows = [
            {key: value for key, value in info.to_json().items() if key != "token"}
            | {"connectionFile": info.path}
            for info in kernels
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not kernels:
        print(
            f"no live kernels (looked in {connection.runtime_dir()}); start one with: splice run app.py"
        )
        return 0
    home = os.path.expanduser("~")
    table = [("PID", "PROGRAM", "CWD", "ADDRESS", "AGE")]
    for info in kernels:
        cwd = "~" + info.cwd[len(home) :] if home != "/" and info.cwd.startswith(home) else info.cwd
        table.append((str(info.pid), info.program, cwd, info.address, _age(info.started_at)))
    widths = [max(len(row[column]) for row in table) for column in range(4)]
    for row in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
            + "  "
            + row[4]
        )
    return 0


# splice patch ---------------------------------------------------------------------------


@dataclass
class KernelOutcome:
    """What happened in one kernel: its results (one per module running the file) or an error."""

    info: ConnectionInfo
    results: list[PatchResult] = field(default_factory=list)
    error: str | None = None
    loaded: bool = True

    @property
    def complete(self) -> bool:
        return (
            self.error is None
            and bool(self.results)
            and all(fully_applied(result) for result in self.results)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.info.pid,
            "program": self.info.program,
            "ok": self.complete,
            "error": self.error,
            "results": [result.to_dict() for result in self.results],
        }


def fully_applied(result: PatchResult) -> bool:
    return result.ok and not any(finding.code in STATEMENT_SKIP_CODES for finding in result.skipped)


def describe_result(result: PatchResult) -> str:
    """``patched 3 definitions, skipped 1 statement (line 40) in 2.1 ms``."""
    timing = f"in {result.duration_ms:.1f} ms"
    if not result.ok:
        first = result.errors[0] if result.errors else None
        reason = f"{first.message} ({first.where()})" if first else "unknown error"
        more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        return f"not patched: {reason}{more}; nothing was changed"
    count = result.patched_count
    verb = "would patch" if result.dry_run else "patched"
    parts = [
        f"{verb} {count} definition{'s' if count != 1 else ''}"
        if count
        else "no definitions changed"
    ]
    statements = [finding for finding in result.skipped if finding.code in STATEMENT_SKIP_CODES]
    if statements:
        lines = ", ".join(str(finding.line) for finding in statements if finding.line is not None)
        noun = "statement" if len(statements) == 1 else "statements"
        where = f" (line{'s' if len(statements) > 1 else ''} {lines})" if lines else ""
        parts.append(f"skipped {len(statements)} {noun}{where}")
    warnings = [
        f for f in result.skipped if f.code not in STATEMENT_SKIP_CODES and f.severity != "info"
    ]
    if warnings:
        parts.append(f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}")
    return f"{', '.join(parts)} {timing}"


def _error_text(error: BaseException, info: ConnectionInfo) -> str:
    if isinstance(error, AuthenticationError):
        return f"wrong token: the kernel refused {info.path} ({error})"
    if isinstance(error, KernelUnavailableError):
        return f"kernel died or is unreachable: {error}"
    if isinstance(error, RemoteError):
        return f"kernel error {error.code}: {error}"
    return f"{error.__class__.__name__}: {error}"


async def _patch_one(
    info: ConnectionInfo, path: str, source: str, only: list[str] | None, dry_run: bool
) -> KernelOutcome:
    outcome = KernelOutcome(info)
    try:
        client = await KernelClient.connect(info, client_name="splice patch")
    except (SpliceError, OSError) as error:
        outcome.error = _error_text(error, info)
        return outcome
    try:
        modules = await client.modules()
        names = [entry["name"] for entry in modules if entry.get("file") == path]
        if not names:
            outcome.loaded = False
            outcome.error = f"{os.path.basename(path)} is not loaded in that kernel"
            return outcome
        for name in names:
            outcome.results.append(await client.patch(name, source, only=only, dry_run=dry_run))
    except (SpliceError, OSError) as error:
        outcome.error = _error_text(error, info)
    finally:
        await client.close()
    return outcome


async def _patch_all(
    kernels: list[ConnectionInfo], path: str, source: str, only: list[str] | None, dry_run: bool
) -> list[KernelOutcome]:
    return list(
        await asyncio.gather(*(_patch_one(info, path, source, only, dry_run) for info in kernels))
    )


def _patch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="splice patch",
        description="Patch FILE's current text into the live kernels that run it (what a save in the editor does).",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument(
        "--only",
        action="append",
        metavar="QUALNAME",
        help="patch only this definition (repeatable)",
    )
    parser.add_argument(
        "--kernel",
        action="append",
        metavar="CONNECTION_FILE|PID",
        help="the kernel to patch (repeatable); default: every live kernel that has FILE loaded",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would happen, change nothing"
    )
    return parser


def patch_main(argv: list[str]) -> int:
    options = _patch_parser().parse_args(argv)
    path = os.path.realpath(options.file)
    try:
        with open(path, "rb") as stream:
            source = importlib.util.decode_source(stream.read())
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        print(f"splice patch: cannot read {options.file}: {error}", file=sys.stderr)
        return 2
    explicit = bool(options.kernel)
    try:
        kernels = (
            [connection.load(item) for item in options.kernel]
            if explicit
            else connection.discover()
        )
    except (KernelUnavailableError, connection.UnsafeRuntimeDirectoryError) as error:
        print(f"splice patch: {error}", file=sys.stderr)
        return 2
    if not kernels:
        print("splice patch: no kernel found (start one with: splice run app.py)", file=sys.stderr)
        return 2
    outcomes = asyncio.run(_patch_all(kernels, path, source, options.only, options.dry_run))
    if not explicit:
        # Kernels that do not run this file are simply not concerned by it.
        concerned = [outcome for outcome in outcomes if outcome.loaded]
        if not concerned:
            print(
                f"splice patch: no kernel has {options.file} loaded ({len(outcomes)} kernel"
                f"{'s' if len(outcomes) != 1 else ''} checked)",
                file=sys.stderr,
            )
            return 2
        outcomes = concerned
    if options.json:
        print(
            json.dumps(
                {"file": path, "kernels": [outcome.to_json() for outcome in outcomes]}, indent=2
            )
        )
    else:
        for outcome in outcomes:
            _print_outcome(outcome)
    return 0 if all(outcome.complete for outcome in outcomes) else 1


def _print_outcome(outcome: KernelOutcome) -> None:
    prefix = f"pid {outcome.info.pid}"
    if outcome.error is not None:
        print(f"{prefix}: {outcome.error}", file=sys.stderr)
        return
    several = len(outcome.results) > 1
    for result in outcome.results:
        label = f"{prefix} ({result.module})" if several else prefix
        print(f"{label}: {describe_result(result)}")
        for finding in result.errors:
            print(f"  error: {finding.where()}: {finding.message}")
