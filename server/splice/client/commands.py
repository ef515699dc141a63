"""``splice kernels`` and ``splice patch``: the command-line client of the agent.

Exit status of ``splice patch``: 0 when every kernel applied the patch, even
with warnings or information (a statement not run, a running frame, ...:
they are printed under the summary); 1 when some kernel did not apply it
(refused, failed, or did not answer: nothing of it stays applied there); 2
for usage errors, an unreadable file, or no kernel to patch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.client.blocking import BlockingKernelClient
from splice.client.requests import CONNECT_TIMEOUT, REQUEST_TIMEOUT
from splice.engine.result import PatchResult, ProcessOutcome
from splice.errors import (
    KernelTimeoutError,
    KernelUnavailableError,
    SpliceError,
    describe_kernel_error,
)
from splice.records import Record
from splice.report import describe_details, describe_outcomes, describe_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from types import SimpleNamespace
    from typing import Any

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


def _printable(text: str) -> str:
    """``text`` with what no terminal encoding can show (a non-UTF-8 path) as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's formatter, as wide as the terminal by ``shutil.get_terminal_size``'s rule.

    argparse makes one for every ``add_argument`` and imports ``shutil`` (and
    its compression modules) to measure the terminal: 3 ms of every command.
    """
    import argparse

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return argparse.HelpFormatter(prog, width=(columns or 80) - 2)


def kernels_main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="splice kernels",
        description="List the live splice kernels of this user, each program as a tree of its processes.",
        formatter_class=_help_formatter,
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
            | {"connectionFile": info.path, "uptime": max(0.0, time.time() - info.started_at)}
            for info in kernels
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not kernels:
        print(
            f"no live kernels (looked in {connection.runtime_dir()}); start one with: splice run app.py"
        )
        return 0
    table = [("PID", "PARENT", "ROLE", "PROGRAM", "PYTHON", "UPTIME", "ADDRESS", "COMMAND")]
    for depth, info in process_tree(kernels):
        table.append(
            (
                "  " * depth + str(info.pid),
                str(info.parent_pid) if info.parent_pid else "-",
                info.role,
                _printable(info.program),
                info.python,
                _age(info.started_at),
                info.address,
                _printable(_command(info)),
            )
        )
    last = len(table[0]) - 1
    widths = [max(len(row[column]) for row in table) for column in range(last)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:last], widths, strict=True)]
        print("  ".join([*cells, row[last]]))
    return 0


def process_tree(kernels: list[ConnectionInfo]) -> list[tuple[int, ConnectionInfo]]:
    """Each kernel with its depth, every process under its parent, programs oldest first.

    A process whose parent has no agent (a forkserver child of a helper, say)
    is shown under its program's root, or as a root when that is gone too.
    """
    by_pid = {info.pid: info for info in kernels}
    children: dict[int, list[ConnectionInfo]] = {}
    roots = []
    for info in kernels:
        if info.pid != info.program_pid and info.parent_pid in by_pid:
            children.setdefault(info.parent_pid, []).append(info)
        elif info.pid != info.program_pid and info.program_pid in by_pid:
            children.setdefault(info.program_pid, []).append(info)
        else:
            roots.append(info)
    ordered: list[tuple[int, ConnectionInfo]] = []

    def visit(info: ConnectionInfo, depth: int) -> None:
        ordered.append((depth, info))
        for child in children.get(info.pid, []):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    return ordered


def _command(info: ConnectionInfo) -> str:
    """The process's command line, shortened where it is long (a spawned worker's -c code)."""
    words = list(info.command_line or info.argv) or [info.program]
    if words and os.path.basename(words[0]).startswith("python"):
        words[0] = os.path.basename(words[0])
    text = " ".join(words)
    home = os.path.expanduser("~")
    if home != "/":
        text = text.replace(home + os.sep, "~" + os.sep)
    return text if len(text) <= 100 else text[:99] + "…"


# splice patch ---------------------------------------------------------------------------


class KernelOutcome:
    """What happened in one kernel: its results (one per module running the file) or an error."""

    def __init__(self, info: ConnectionInfo) -> None:
        self.info = info
        self.results: list[PatchResult] = []
        self.error: str | None = None
        self.loaded = True

    @property
    def complete(self) -> bool:
        """Applied, in every module that runs the file (warnings and skips do not count)."""
        return self.error is None and bool(self.results) and all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.info.pid,
            "program": self.info.program,
            "ok": self.complete,
            "error": self.error,
            "results": [result.to_dict() for result in self.results],
        }


class PatchRequest(Record):
    """What ``splice patch`` was asked to do, the same for every kernel."""

    path: str
    source: str
    only: list[str] | None
    dry_run: bool
    timeout: float
    #: Undo each module's last patch instead of sending the text (``--undo``).
    undo: bool = False
    #: When an edit is refused, apply the changes it held back, alone (``--apply-others``).
    apply_others: bool = False


def _patch_one(info: ConnectionInfo, request: PatchRequest) -> KernelOutcome:
    outcome = KernelOutcome(info)
    path, source, only, dry_run = request.path, request.source, request.only, request.dry_run
    try:
        client = BlockingKernelClient(
            info,
            client_name="splice patch",
            connect_timeout=min(CONNECT_TIMEOUT, request.timeout),
            timeout=request.timeout,
        )
    except (SpliceError, OSError) as error:
        outcome.error = describe_kernel_error(error, info.path)
        return outcome
    try:
        modules = client.modules(path)
        names = [entry["name"] for entry in modules if entry.get("file") == path]
        if not names:
            outcome.loaded = False
            outcome.error = f"{os.path.basename(path)} is not loaded in that kernel"
            return outcome
        for name in names:
            try:
                if request.undo:
                    result = client.undo(name)
                else:
                    result = client.patch(name, source, only=only, dry_run=dry_run)
                    held = _held_back(result) if request.apply_others else []
                    if held:  # the refused patch changed nothing: apply the others alone
                        outcome.results.append(result)
                        result = client.patch(name, source, only=held, dry_run=dry_run)
            except KernelTimeoutError as error:
                outcome.error = (
                    f"{describe_kernel_error(error, info.path)}; the patch of {name} was sent with a deadline,"
                    " so a kernel that resumes after it does not apply it"
                )
                return outcome
            outcome.results.append(result)
    except (SpliceError, OSError) as error:
        outcome.error = describe_kernel_error(error, info.path)
    finally:
        client.close()
    return outcome


def _held_back(result: PatchResult) -> list[str]:
    from splice.engine.plan.held_back import held_back_definitions

    return held_back_definitions(result)


def _patch_all(kernels: list[ConnectionInfo], request: PatchRequest) -> list[KernelOutcome]:
    """Every kernel at once, each on a thread of its own (a synchronous client: no event loop)."""
    if len(kernels) == 1:
        return [_patch_one(kernels[0], request)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(kernels), 32)) as pool:
        return list(pool.map(lambda info: _patch_one(info, request), kernels))


def _patch_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="splice patch",
        description="Patch FILE's current text into the live kernels that run it (what a save in the editor does).",
        formatter_class=_help_formatter,
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
    parser.add_argument(
        "--dask",
        action="append",
        metavar="SCHEDULER",
        help="patch every worker of the Dask cluster at this scheduler address instead"
        " (repeatable; needs pip install 'splice[dask]')",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--undo",
        action="store_true",
        help="undo the last patch of FILE instead: the kernels run the text they ran before it",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would happen, change nothing"
    )
    parser.add_argument(
        "--apply-others",
        action="store_true",
        help="when an edit is refused, apply the other changes of FILE without it",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a kernel that has not answered a request by then (default {REQUEST_TIMEOUT:g})",
    )
    return parser


def _seconds(text: str) -> float:
    from splice.client.patch_arguments import positive_seconds

    value = positive_seconds(text)
    if value is None:
        import argparse

        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def patch_main(argv: list[str]) -> int:
    from splice.client.patch_arguments import quick_patch_arguments

    options = quick_patch_arguments(argv, REQUEST_TIMEOUT) or _patch_parser().parse_args(argv)
    if options.undo and (options.only or options.dry_run or options.dask):
        print("splice patch: --undo takes no --only, --dry-run or --dask", file=sys.stderr)
        return 2
    path = os.path.realpath(options.file)
    try:
        with open(path, "rb") as stream:
            source = importlib.util.decode_source(stream.read())
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        print(f"splice patch: cannot read {options.file}: {error}", file=sys.stderr)
        return 2
    if options.dask:
        return _patch_clusters(options, path, source)
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
    request = PatchRequest(
        path,
        source,
        options.only,
        options.dry_run,
        options.timeout,
        undo=options.undo,
        apply_others=options.apply_others,
    )
    outcomes = _patch_all(kernels, request)
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
            _print_outcome(outcome, options.file)
    return 0 if all(outcome.complete for outcome in outcomes) else 1


def _patch_clusters(options: argparse.Namespace | SimpleNamespace, path: str, source: str) -> int:
    """``--dask``: one ``splice.dask.patch_cluster`` per scheduler, one line each (docs/dask.md)."""
    try:
        import splice.dask

        patch_cluster = splice.dask.patch_cluster
    except ModuleNotFoundError as error:
        print(f"splice patch: {error}", file=sys.stderr)
        return 2
    status = 0
    clusters = []
    for address in options.dask:
        try:
            outcomes = patch_cluster(
                address,
                path,
                source,
                timeout=options.timeout,
                only=options.only,
                dry_run=options.dry_run,
            )
        except (SpliceError, OSError) as error:
            print(f"splice patch: Dask scheduler {address}: {error}", file=sys.stderr)
            clusters.append({"address": address, "error": str(error), "processes": []})
            status = 2
            continue
        complete = bool(outcomes) and all(outcome.ok for outcome in outcomes)
        if not complete:
            status = max(status, 1)
        clusters.append(
            {
                "address": address,
                "error": None,
                "processes": [_process_json(outcome) for outcome in outcomes],
            }
        )
        if not options.json:
            print(f"{address}: {describe_outcomes(os.path.basename(path), outcomes)}")
            for outcome in outcomes:
                if outcome.result is not None:
                    for line in describe_details(outcome.result, options.file):
                        print(f"  pid {outcome.pid}: {line}")
    if options.json:
        print(json.dumps({"file": path, "clusters": clusters}, indent=2))
    return status


def _process_json(outcome: ProcessOutcome) -> dict[str, Any]:
    return {
        "pid": outcome.pid,
        "program": outcome.program,
        "ok": outcome.ok,
        "error": outcome.error,
        "result": outcome.result.to_dict() if outcome.result is not None else None,
    }


def _print_outcome(outcome: KernelOutcome, file: str) -> None:
    prefix = f"pid {outcome.info.pid}"
    if outcome.error is not None:
        print(f"{prefix}: {outcome.error}", file=sys.stderr)
        return
    several = len(outcome.results) > 1
    for result in outcome.results:
        label = f"{prefix} ({result.module})" if several else prefix
        print(f"{label}: {describe_result(result)}")
        for line in describe_details(result, file):
            print(f"  {line}")
