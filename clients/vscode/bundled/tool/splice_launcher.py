"""Run splice from the copy bundled with the editor extension, under any Python.

``python splice_launcher.py lsp`` puts the bundled splice and the language
server's dependencies first on ``sys.path``; every other subcommand (``run``,
``kernel``) gets splice alone, whose agent needs only the standard library, so
the user's program never imports our copies of pygls and its dependencies.
Nothing is installed into the interpreter.

Written for every Python 3 (no f-strings, no annotations) so that a too-old
interpreter gets one clear message instead of a SyntaxError.
"""

import json
import os
import sys

MINIMUM_VERSION = (3, 10)
#: Exit status for "this Python is too old"; the extension recognises it.
TOO_OLD_STATUS = 3
#: When set, the launcher writes its pid and connection file path there (and
#: removes the variable, so the program's own children do not overwrite it):
#: the editor uses it to attach to the kernel the moment it listens.
REPORT_VARIABLE = "SPLICE_LAUNCH_REPORT"

BUNDLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version_text(version):
    return ".".join(str(part) for part in version[:2])


def too_old_message():
    return (
        "splice needs Python "
        + version_text(MINIMUM_VERSION)
        + " or newer, and "
        + sys.executable
        + " is Python "
        + version_text(sys.version_info)
        + ". Choose a Python "
        + version_text(MINIMUM_VERSION)
        + "+ interpreter (in VS Code: 'Python: Select Interpreter' or the"
        + " splice.python setting; in Neovim: the python option of setup())."
    )


def bundled_paths(subcommand):
    """The folders to put on sys.path: splice, and for the language server its dependencies."""
    folders = ["splice", "libs"] if subcommand == "lsp" else ["splice"]
    return [os.path.join(BUNDLE, folder) for folder in folders]


def arrange_path(subcommand):
    """Put the bundle on sys.path, and take this launcher's own folder off it."""
    paths = bundled_paths(subcommand)
    for path in paths:
        if not os.path.isdir(path):
            raise SystemExit(
                "splice: the extension's bundled copy of splice is missing ("
                + path
                + "); reinstall the extension, or build it with `npm run package`."
            )
    own_folder = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == own_folder:
        del sys.path[0]
    if subcommand == "lsp":
        # First, so that files in the workspace never shadow the server's modules.
        sys.path[0:0] = paths
    else:
        # As `python` itself would: the program's folder (run replaces entry 0
        # with it) or the current directory (the REPL), then splice, then the
        # user's packages.
        sys.path[0:0] = [""] + paths


def write_report(path):
    from splice.agent import connection

    try:
        connection_file = connection.connection_path(os.getpid())
    except Exception:
        # The kernel reports a bad runtime directory itself, with its reasons.
        connection_file = None
    report = {"pid": os.getpid(), "connectionFile": connection_file}
    partial = path + ".partial"
    with open(partial, "w") as stream:
        json.dump(report, stream)
    os.replace(partial, path)


def main():
    if sys.version_info[:2] < MINIMUM_VERSION:
        sys.stderr.write(too_old_message() + "\n")
        return TOO_OLD_STATUS
    arguments = sys.argv[1:]
    subcommand = arguments[0] if arguments else ""
    arrange_path(subcommand)
    report = os.environ.pop(REPORT_VARIABLE, None)
    if report and subcommand in ("run", "kernel"):
        write_report(report)
    from splice.cli import main as splice_main

    return splice_main(arguments)


if __name__ == "__main__":
    sys.exit(main())
