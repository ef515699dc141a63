"""``splice attach PID [--timeout S] [--json]``: start the agent in a running Python process."""

from __future__ import annotations

import argparse
import json
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
    return parser


def main(argv: list[str]) -> int:
    options = _parser().parse_args(argv)
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
        print(result.info.path)
    return 0
