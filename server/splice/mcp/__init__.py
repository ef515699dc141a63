"""``splice mcp``: the Model Context Protocol server, for coding agents (``pip install 'splice[mcp]'``).

kernels.py   finding kernels (connection files), connecting with their token, choosing one
patching.py  a file -> every process that runs it; undo; bringing late processes to the same text
values.py    evaluating code in one process, reading a live value
shapes.py    the tools' results as typed dictionaries (their output schemas)
server.py    the MCP server on stdio: thin tools; the only module that imports ``mcp``

Editor side, like ``splice.lsp``: nothing here runs in the user's program,
and nothing here is imported until ``splice mcp`` runs.
"""

from __future__ import annotations

import argparse
import sys

#: Options of servers that listen on a port; this one never does.
NETWORK_OPTIONS = ("--port", "--host", "--transport", "--http", "--sse")


def main(argv: list[str]) -> int:
    """``splice mcp``: serve the tools on stdin/stdout until the client closes them."""
    parser = argparse.ArgumentParser(
        prog="splice mcp",
        description="Serve the Model Context Protocol on stdin/stdout, for coding agents: "
        "list kernels, patch a file into every process that runs it, evaluate, read a live "
        "value, undo. See docs/agents.md.",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a kernel may take to answer a patch (default 60)",
    )
    network = [arg for arg in argv if arg.split("=")[0] in NETWORK_OPTIONS]
    if network:
        # Whoever reaches the server can run code in every kernel: only the agent that
        # started it may talk to it.
        print(
            f"splice mcp: {network[0].split('=')[0]} is not supported: the server speaks only on"
            " stdin/stdout, to the agent that started it (it can run code in your programs)",
            file=sys.stderr,
        )
        return 2
    options = parser.parse_args(argv)
    if not options.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    try:
        from splice.mcp import server
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in ("mcp", "mcp_types", "pydantic", "anyio"):
            raise
        print(
            f"splice mcp needs the MCP Python SDK ({missing} is missing):"
            " pip install 'splice[mcp]'",
            file=sys.stderr,
        )
        return 2
    return server.serve(options.timeout)
