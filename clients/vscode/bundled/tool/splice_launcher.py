"""Run splice from the copy bundled with the editor extension, under any Python.

``python splice_launcher.py lsp`` puts the bundled splice and the language
server's dependencies first on ``sys.path``; every other subcommand (``run``,
``kernel``) gets splice alone, whose agent needs only the standard library, so
the user's program never imports our copies of pygls and its dependencies.
Nothing is installed into the interpreter.

Both come in one archive, ``bundled/python.tar.gz``, unpacked on first use into
``bundled/python-<digest>`` (or, when the extension's folder is read-only, the
same name in the user's cache folder) and used from there ever after.

Written for every Python 3 (no f-strings, no annotations) so that a too-old
interpreter gets one clear message instead of a SyntaxError.
"""

import hashlib
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
#: splice and the server's dependencies, built by scripts/bundle_python.py.
ARCHIVE = os.path.join(BUNDLE, "python.tar.gz")


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


def user_cache_folder():
    """Where to unpack when the extension's own folder is read-only: the platform's per-user cache."""
    home = os.path.expanduser("~")
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "splice")


def archive_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def unpack(archive, parent, target):
    """Unpack into a private folder beside ``target``, then rename it: all there, or not at all."""
    # Here, not at the top: `run` executes the user's program in this process,
    # which should not find modules it did not import in sys.modules.
    import shutil
    import tarfile
    import tempfile

    if not os.path.isdir(parent):
        os.makedirs(parent)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(target) + "-", dir=parent)
    try:
        with tarfile.open(archive, "r:gz") as members:
            if hasattr(tarfile, "data_filter"):
                members.extractall(staging, filter="data")
            else:  # Python 3.10.0-3.10.11, 3.11.0-3.11.3: our own archive, nothing to filter
                members.extractall(staging)
        # mkdtemp's 0700 would lock out other users of a shared extensions folder.
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        # Another launcher (a second window, a program started at the same
        # time) unpacked the same archive first: its copy is as good as ours.
        if os.path.isdir(target):
            return
        raise


def unpacked_bundle():
    """The folder holding splice/ and libs/, unpacked from the archive on first use."""
    if not os.path.isfile(ARCHIVE):
        raise SystemExit(
            "splice: the extension's bundled copy of splice is missing ("
            + ARCHIVE
            + "); reinstall the extension, or build it with `npm run package`."
        )
    # Named by content: a rebuilt or updated archive never meets an old copy.
    name = "python-" + archive_digest(ARCHIVE)
    failures = []
    # Beside the archive first: it goes when the extension is updated or removed.
    for parent in (BUNDLE, user_cache_folder()):
        target = os.path.join(parent, name)
        if os.path.isdir(target):
            return target
        try:
            unpack(ARCHIVE, parent, target)
            return target
        except Exception as error:
            failures.append(parent + " (" + str(error) + ")")
    raise SystemExit(
        "splice: cannot unpack the extension's bundled copy of splice ("
        + ARCHIVE
        + ") into "
        + " or ".join(failures)
        + "; make one of these folders writable."
    )


def bundled_paths(subcommand, folder):
    """The folders to put on sys.path: splice, and for the language server its dependencies."""
    names = ["splice", "libs"] if subcommand == "lsp" else ["splice"]
    return [os.path.join(folder, name) for name in names]


def arrange_path(subcommand):
    """Put the bundle on sys.path, and take this launcher's own folder off it."""
    paths = bundled_paths(subcommand, unpacked_bundle())
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
