"""``splice eval [--kernel PID] [--module NAME] CODE``: read a live value from the command line.

CODE runs in the kernel's module (``__main__`` unless ``--module``), as the
editor's "Evaluate" does: statements run, and the value of a last
expression is printed as ``repr()`` shows it, after whatever the code printed.

Exit status: 0 when the code ran, 1 when it raised (its traceback goes to
stderr), 2 for usage errors or no kernel to ask (several live kernels need
``--kernel``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.client.blocking import BlockingKernelClient
from splice.errors import KernelUnavailableError, RemoteError, SpliceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="splice eval",
        description="Run CODE in a live kernel and print the value of its last expression.",
    )
    parser.add_argument("code", metavar="CODE", help="an expression, or statements")
    parser.add_argument(
        "--kernel",
        metavar="CONNECTION_FILE|PID",
        help="the kernel to ask (default: the only live kernel)",
    )
    parser.add_argument(
        "--module",
        default="__main__",
        metavar="NAME",
        help="the module whose namespace CODE runs in (default __main__)",
    )
    parser.add_argument("--json", action="store_true", help="print the kernel's answer as JSON")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="give up when the kernel has not answered by then (default 30)",
    )
    return parser


def eval_main(argv: list[str]) -> int:
    options = _parser().parse_args(argv)
    try:
        info = _kernel(options.kernel)
    except (KernelUnavailableError, connection.UnsafeRuntimeDirectoryError) as error:
        print(f"splice eval: {error}", file=sys.stderr)
        return 2
    request = {"module": options.module, "expression": options.code, "statements": True}
    try:
        with BlockingKernelClient(info, timeout=options.timeout) as client:
            answer: dict[str, Any] = client.request("evaluate", request)
    except RemoteError as error:
        return _report_raised(error, options.json)
    except SpliceError as error:
        print(f"splice eval: pid {info.pid}: {error}", file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps(answer))
        return 0
    if answer.get("output"):
        sys.stdout.write(str(answer["output"]))
    if answer.get("value") is not None:
        print(answer["value"])
    return 0


def _kernel(chosen: str | None) -> ConnectionInfo:
    if chosen is not None:
        return connection.load(chosen)
    kernels = connection.discover()
    if not kernels:
        raise KernelUnavailableError(
            f"no live kernel (looked in {connection.runtime_dir()}); start one with: splice run app.py"
        )
    if len(kernels) > 1:
        listed = ", ".join(f"{info.pid} ({info.program})" for info in kernels)
        raise KernelUnavailableError(
            f"{len(kernels)} live kernels: choose one with --kernel PID ({listed})"
        )
    return kernels[0]


def _report_raised(error: RemoteError, as_json: bool) -> int:
    data = error.data if isinstance(error.data, dict) else {}
    if as_json:
        print(json.dumps({"error": str(error), **data}))
        return 1 if "exception" in data else 2
    if "exception" not in data:  # refused (not valid Python, no such module)
        print(f"splice eval: {error}", file=sys.stderr)
        return 2
    if data.get("output"):
        sys.stdout.write(str(data["output"]))
        sys.stdout.flush()
    print(data.get("traceback") or str(error), file=sys.stderr, end="")
    return 1
