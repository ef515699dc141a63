"""``splice attach PID [--timeout S] [--json] [--watch]``: start the agent in a running Python process."""

from __future__ import annotations

import argparse
import json
import os
import sys

from splice.attach.attach import DEFAULT_TIMEOUT, attach
from splice.attach.errors import AttachError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="splice attach",
        description="Start the splice kernel agent inside a running CPython 3.10+ process "
        "and print its connection file.",
    )
    parser.add_argument("pid", type=int, help="the process id")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the process to reach a safe point (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--watch",
        action="store_true",
        help="then stay, and patch the process (and its program's other processes) whenever"
        " a source file it imported is saved, as splice run --watch does; Ctrl-C stops",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    if options.watch and options.json:
        parser.error("--watch prints a line per save; it takes no --json")
    try:
        result = attach(options.pid, timeout=options.timeout)
    except AttachError as error:
        if options.json:
            print(json.dumps({"pid": options.pid, "error": error.reason, "message": str(error)}))
        else:
            print(f"splice attach: {error}", file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps(result.to_json()))
    elif result.already:
        print(f"pid {options.pid} is already attached: {result.info.path}")
    else:
        print(result.info.path, flush=True)
    if options.watch:
        from splice.agent.watch import watch_program

        # A worker of a program: the program is watched from its root, as --watch does.
        return watch_program(result.info.program_pid, os.path.dirname(result.info.path))
    return 0
