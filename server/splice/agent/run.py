"""``splice run [--watch] [--debug [HOST:]PORT] SCRIPT|-m MODULE [ARGS...]``: run a program, patchable.

The program runs as ``__main__`` in this process, as ``python SCRIPT`` or
``python -m MODULE`` would run it, with the kernel agent listening so editors
and ``splice patch`` can reach it. The text that is compiled is read once and
recorded as ``__main__``'s baseline, so the first patch diffs against exactly
what runs. Every argument after SCRIPT or ``-m MODULE`` is the program's.
The Python processes the program starts get agents of their own
(``splice.agent.children``) unless ``--no-children``; ``--watch`` patches all
of them whenever one of the program's files is saved; ``--debug`` starts
debugpy in the program too (``splice.agent.debug``).
"""

from __future__ import annotations

import builtins
import importlib.util
import os
import sys
import types

from splice.agent.connection import UnsafeRuntimeDirectoryError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def _parser() -> argparse.ArgumentParser:
    import argparse

    from splice.agent.launch import add_transport_options

    parser = argparse.ArgumentParser(
        prog="splice run",
        usage="splice run [OPTIONS] (SCRIPT | -m MODULE) [ARGS...]",
        description="Run a Python program with splice listening, so it can be patched live."
        " Every argument after SCRIPT or -m MODULE goes to the program, as with python.",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="patch every process of the program whenever a source file it imported is saved"
        " (no editor needed)",
    )
    parser.add_argument(
        "--watch-path",
        action="append",
        default=[],
        metavar="DIR",
        help="with --watch, also watch the files imported from DIR (repeatable), even when"
        " DIR is inside site-packages or the standard library",
    )
    parser.add_argument(
        "--no-listen",
        action="store_true",
        help="do not start the kernel agent (only useful with --watch)",
    )
    parser.add_argument(
        "--no-children",
        action="store_true",
        help="start no agent in the processes the program starts (forked, spawned or subprocesses)",
    )
    add_transport_options(parser)
    parser.add_argument(
        "--debug",
        metavar="[HOST:]PORT",
        help="also start debugpy, listening for a debugger (VS Code, nvim-dap) on this address,"
        " as python -m debugpy --listen does (HOST defaults to 127.0.0.1; needs debugpy)",
    )
    parser.add_argument(
        "--wait-for-client",
        action="store_true",
        help="with --debug, run the program only once a debugger has attached",
    )
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    return parser


#: Flags a plain command line is made of, read without argparse (``quick_options``).
_QUICK_FLAGS = {
    "--watch": "watch",
    "--no-listen": "no_listen",
    "--no-children": "no_children",
    "--wait-for-client": "wait_for_client",
}
_TRANSPORTS = {"--tcp": "tcp", "--unix-socket": "unix"}


def quick_options(own: list[str]) -> types.SimpleNamespace | None:
    """``_parser().parse_args(own)``'s result when ``own`` holds only exact flags; else None.

    ``splice run`` starts the user's program, so its own start-up is the
    program's: ``argparse`` (with ``gettext``, ``locale`` and ``shutil``) is about
    5 ms of it. Anything but those flags (help, values, errors) goes to argparse.
    """
    values: dict[str, Any] = {
        "watch": False,
        "watch_path": [],
        "no_listen": False,
        "no_children": False,
        "transport": "auto",
        "debug": None,
        "wait_for_client": False,
        "module": None,
    }
    chosen = None
    for token in own:
        if token in _QUICK_FLAGS:
            values[_QUICK_FLAGS[token]] = True
        elif token in _TRANSPORTS and chosen in (None, token):
            chosen = token
            values["transport"] = _TRANSPORTS[token]
        else:
            return None
    return types.SimpleNamespace(**values)


#: Options of ``splice run`` that take a value, so the split knows to skip it.
_VALUED = ("--watch-path", "--debug")


def split_arguments(argv: list[str]) -> tuple[list[str], str | None, str | None, list[str]]:
    """``splice run``'s own options, the module, the script, and the program's arguments.

    As ``python`` does: the first argument that is not an option (or the one
    after ``-m``) names what to run, and everything after it is the program's,
    options included (``splice run -m gunicorn -w 2 app:app``).
    """
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument == "--":
            rest = argv[index + 1 :]
            return argv[:index], None, rest[0] if rest else None, rest[1:]
        if argument == "-m":
            if index + 1 >= len(argv):
                return argv, None, None, []  # argparse says "expected one argument"
            return argv[:index], argv[index + 1], None, argv[index + 2 :]
        if argument.startswith("-m") and not argument.startswith("--"):
            return argv[:index], argument[2:], None, argv[index + 1 :]
        if argument in _VALUED:
            index += 2
            continue
        if not argument.startswith("-") or argument == "-":
            return argv[:index], None, argument, argv[index + 1 :]
        index += 1
    return argv, None, None, []


class _Program:
    """What to run as ``__main__``: its code, its exact text, and its module attributes."""

    def __init__(
        self, source: str, filename: str, attributes: dict[str, Any], argv0: str, path0: str
    ) -> None:
        self.source = source
        self.code = compile(source, filename, "exec", dont_inherit=True)
        self.filename = filename
        self.attributes = attributes
        self.argv0 = argv0
        self.path0 = path0


def _script(target: str) -> _Program:
    # Like ``python SCRIPT`` (3.9+): __file__ is absolute, the script's folder comes first.
    path = os.path.abspath(target)
    from splice.engine.baselines.store import decode_source  # not tokenize's, for plain UTF-8

    with open(path, "rb") as stream:
        source = decode_source(stream.read())
    attributes = {
        "__file__": path,
        "__cached__": None,
        "__loader__": None,
        "__spec__": None,
        "__package__": None,
    }
    return _Program(source, path, attributes, argv0=target, path0=os.path.dirname(path))


def _module(name: str) -> _Program:
    # Like ``python -m``: the current directory comes first, packages run their __main__.
    sys.path[0] = os.getcwd()
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations is not None:
        name = f"{name}.__main__"
        spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.origin:
        raise ImportError(f"No module named {name}")
    get_source = getattr(spec.loader, "get_source", None)
    source = get_source(spec.name) if get_source is not None else None
    if source is None:
        raise ImportError(f"module {name} has no Python source to run")
    attributes = {
        "__file__": spec.origin,
        "__cached__": spec.cached,
        "__loader__": spec.loader,
        "__spec__": spec,
        "__package__": spec.parent,
    }
    return _Program(source, spec.origin, attributes, argv0=spec.origin, path0=os.getcwd())


def _execute(program: _Program, program_args: list[str]) -> None:
    from splice.engine.baselines.store import remember_baseline

    main = types.ModuleType("__main__")
    main.__dict__.update(program.attributes)
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    sys.argv = [program.argv0, *program_args]
    sys.path[0] = program.path0
    remember_baseline("__main__", program.source)
    exec(program.code, main.__dict__)


def _run_reporting(program: _Program, program_args: list[str]) -> int:
    """Run the program; report an uncaught exception as ``python`` would, without our frames."""
    try:
        _execute(program, program_args)
    except SystemExit:
        raise
    except BaseException as error:
        traceback = error.__traceback__
        # Skip this frame and _execute's: the user's own code comes next.
        for _ in range(2):
            if traceback is not None and traceback.tb_next is not None:
                traceback = traceback.tb_next
        sys.excepthook(type(error), error.with_traceback(traceback), traceback)
        return 130 if isinstance(error, KeyboardInterrupt) else 1
    return 0


def _start_debugger(address: tuple[str, int]) -> bool:
    """Start debugpy listening in this process; True (after saying why) if it could not."""
    from splice.agent.debug import DebugStartError, start_debugpy

    try:
        host, port = start_debugpy(address)
    except DebugStartError as error:
        print(f"splice run: {error}", file=sys.stderr)
        return True
    # On stderr, as debugpy's own messages: where to attach a debugger.
    print(f"splice run: debugpy listening on {host}:{port}", file=sys.stderr, flush=True)
    return False


def cannot_listen(error: OSError) -> str:
    """Why the agent could not listen or publish its connection file, in one line."""
    from splice.agent import connection

    try:
        directory = connection.runtime_dir(create=False)
    except OSError:
        directory = "the runtime directory"
    reason = error.strerror or str(error)
    return (
        f"cannot publish the kernel's connection file in {directory}: {reason}"
        " (is the disk full or read-only? SPLICE_RUNTIME_DIR=DIR picks another directory)"
    )


def main(argv: list[str]) -> int:
    own, module, target, program_args = split_arguments(argv)
    options = quick_options(own) or _parser().parse_args(own)
    module = module or options.module
    if module is None and target is None:
        _parser().error("give a SCRIPT or -m MODULE")
    if not options.watch and options.watch_path:
        _parser().error("--watch-path needs --watch")
    if options.wait_for_client and not options.debug:
        _parser().error("--wait-for-client needs --debug")
    debug_address = None
    if options.debug:
        from splice.agent.debug import parse_address

        try:
            debug_address = parse_address(options.debug)
        except ValueError as error:
            _parser().error(str(error))

    try:
        program = _module(module) if module else _script(str(target))
    except FileNotFoundError:
        print(f"splice run: no such file: {target}", file=sys.stderr)
        return 2
    except (ImportError, SyntaxError, UnicodeDecodeError) as error:
        print(f"splice run: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2

    from splice.agent import children
    from splice.engine.baselines.store import watch_imports

    watch_imports()
    label = f"-m {module}" if module else os.path.basename(str(target))
    transport = options.transport
    if not options.no_listen:
        import splice
        from splice.agent.process import remove_file_on_sigterm

        # Before listening: a SIGTERM right after the file appears must remove it too.
        remove_file_on_sigterm()
        try:
            splice.listen(
                program=label,
                argv=[program.argv0, *program_args],
                host_kind="run",
                transport=transport,
                children=not options.no_children,
            )
        except UnsafeRuntimeDirectoryError:
            raise  # said in one line by the command line
        except OSError as error:
            print(
                f"splice run: {cannot_listen(error)}; the program was not started", file=sys.stderr
            )
            return 2
    # After the agent listens (an editor may attach while the program waits for a
    # debugger), before children get agents (debugpy's adapter is a child).
    if debug_address is not None and _start_debugger(debug_address):
        return 2
    if options.no_children or options.no_listen:
        children.disable_children()
    else:
        children.enable_children(label, transport)
    if options.watch:
        from splice.agent.watch import start_watching

        start_watching(options.watch_path, listening=not options.no_listen)
    if options.wait_for_client:
        from splice.agent.debug import wait_for_debugger

        wait_for_debugger()

    return _run_reporting(program, program_args)
