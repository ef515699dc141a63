"""The ``splice`` command: a thin dispatcher, each subcommand owning its arguments.

Subcommands are imported only when run, so ``splice run`` never loads the
language server's dependencies into the user's program.
"""

from __future__ import annotations

import importlib
import sys

from splice import __version__

#: name -> (module, function, one-line help). Each function takes ``argv``
#: (the arguments after the subcommand) and returns an exit status.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "run": (
        "splice.agent.run",
        "main",
        "run a script or module with splice listening (--watch: patch on save)",
    ),
    "kernel": (
        "splice.agent.launch",
        "kernel_main",
        "an interactive Python REPL with splice listening",
    ),
    "kernels": ("splice.client.commands", "kernels_main", "list the live kernels"),
    "patch": ("splice.client.commands", "patch_main", "patch a file into the kernels that run it"),
    "eval": ("splice.client.eval_command", "eval_main", "print a value from a live kernel"),
    "lsp": ("splice.lsp.server", "main", "the language server, for editors"),
    "mcp": ("splice.mcp", "main", "the MCP server, for coding agents (splice[mcp])"),
    "attach": ("splice.attach.command", "main", "start splice in a running Python process"),
}


def _usage() -> str:
    lines = [f"usage: splice {{{','.join(SUBCOMMANDS)}}} ...", "", "splice " + __version__, ""]
    lines += [f"  {name:<8} {help_text}" for name, (_, _, help_text) in SUBCOMMANDS.items()]
    lines += ["", "Run 'splice COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the ``splice`` command line; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        print("splice " + __version__)
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"splice: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = SUBCOMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        missing = getattr(error, "name", None) or str(error)
        print(
            f"splice {name}: a dependency is missing ({missing}); "
            "reinstall splice with its dependencies (see docs/install.md)",
            file=sys.stderr,
        )
        return 2
    from splice.agent.connection import UnsafeRuntimeDirectoryError

    try:
        status: int = getattr(module, function_name)(rest)
    except UnsafeRuntimeDirectoryError as error:
        # A configuration problem, not a bug: one line, not a traceback.
        print(f"splice {name}: {error}", file=sys.stderr)
        return 2
    return status
