"""``splice kernel``: an interactive Python prompt with the agent listening.

Edit the modules you import from it in your editor: each save patches them
into this prompt's live objects.
"""

from __future__ import annotations

import builtins
import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="splice kernel",
        description="An interactive Python prompt that editors can patch live.",
    )
    add_transport_options(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print the banner")
    return parser


def kernel_main(argv: list[str]) -> int:
    import code  # here: ``splice run`` imports this module's options, not its prompt

    options = _parser().parse_args(argv)
    import splice

    # A fresh __main__, as the plain interpreter prompt has: evaluate() and
    # the editor see the prompt's variables there.
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    sys.argv = [""]
    from splice.agent.process import remove_file_on_sigterm

    remove_file_on_sigterm()
    info = splice.listen(
        program="splice kernel",
        argv=["splice", "kernel"],
        host_kind="kernel",
        transport=options.transport,
    )
    banner = (
        f"Python {sys.version.split()[0]} with splice {splice.__version__} listening (pid {info.pid}).\n"
        f"Attach your editor (it finds this kernel by itself), or patch from a shell:\n"
        f"    splice patch FILE --kernel {info.pid}\n"
        f"Connection file: {info.path}"
    )
    console = code.InteractiveConsole(locals=main.__dict__)
    try:
        console.interact(banner="" if options.quiet else banner, exitmsg="")
    except SystemExit as exit_request:
        code_value = exit_request.code
        return code_value if isinstance(code_value, int) else (0 if code_value is None else 1)
    return 0


def add_transport_options(parser: argparse.ArgumentParser) -> None:
    """``--unix-socket`` and ``--tcp``; without either, a Unix socket on Linux, else TCP."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--unix-socket",
        dest="transport",
        action="store_const",
        const="unix",
        default="auto",
        help="listen on a Unix socket (the default on Linux)",
    )
    group.add_argument(
        "--tcp",
        dest="transport",
        action="store_const",
        const="tcp",
        help="listen on 127.0.0.1 instead (for a client that cannot reach the socket file)",
    )
