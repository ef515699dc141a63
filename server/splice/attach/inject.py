"""Hand the bootstrap to the target: ``sys.remote_exec`` (3.14+) or gdb (3.10-3.13).

Both only *queue* the bootstrap: the target's main thread runs it at its next
safe point. Whether and when it ran is for the caller to learn from the
bootstrap's result file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys

from splice.attach import gdb_script
from splice.attach.errors import PTRACE_HINT, AttachError
from splice.attach.process import TargetProcess, already_traced_message, state_letter

#: Seconds for gdb to attach, make its two calls and detach (about 1 s here).
GDB_TIMEOUT = 20.0
#: After a Ctrl-C, seconds gdb has to restore the registers and detach.
_GDB_GRACE = 5.0
#: gdb's word when another tracer holds the process (two attaches at once).
_TRACED = re.compile(r"already traced by process (\d+)")

GDB_INSTALL_HINT = "install it with: apt-get install gdb (Debian, Ubuntu) or dnf install gdb"


def pending_call_code(script: str) -> str:
    """What ``PyRun_SimpleString`` runs in ``__main__``: exec the script in a fresh namespace.

    It binds no name in ``__main__``, and it swallows every exception: an error
    escaping a pending call would surface in the user's code, and a
    ``SystemExit`` would end their process.
    """
    inner = (
        f"with open({script!r}, 'rb') as stream:\n"
        f"    source = stream.read()\n"
        f"exec(compile(source, {script!r}, 'exec'), {{'__name__': '__splice_attach__'}})\n"
    )
    return (
        "try:\n"
        f"    __import__('builtins').exec({inner!r}, {{'__name__': '__splice_attach__'}})\n"
        "except BaseException:\n"
        "    pass\n"
    )


def find_gdb() -> str:
    """``$SPLICE_GDB``, else gdb on ``PATH``; AttachError ``gdb_missing`` otherwise."""
    override = os.environ.get("SPLICE_GDB")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise AttachError(
            "gdb_missing",
            f"gdb not found at {override} ($SPLICE_GDB); splice attach needs gdb for Python "
            f"3.10-3.13: {GDB_INSTALL_HINT}, or point SPLICE_GDB at it",
        )
    found = shutil.which("gdb")
    if found is None:
        raise AttachError(
            "gdb_missing",
            f"gdb is not installed (not on PATH); splice attach needs it for Python 3.10-3.13: "
            f"{GDB_INSTALL_HINT}",
        )
    return found


def inject_with_gdb(target: TargetProcess, script: str) -> dict[str, object]:
    """Queue ``script`` as a pending call in the target through gdb; return gdb's report.

    What gdb's script reads (the pid and the code) goes in its environment,
    never in a file: a file another user could write between this process
    writing it and gdb reading it would choose what root's gdb runs, and where.
    """
    gdb = find_gdb()
    code = pending_call_code(script).encode("utf-8")
    request = json.dumps({"pid": target.pid, "code": code.hex()})
    command = [
        gdb,
        "-batch",
        "-nx",
        "-iex",
        "set auto-load off",
        "-iex",
        "set debuginfod enabled off",
        "-x",
        gdb_script.__file__,
    ]
    environment = dict(os.environ, SPLICE_ATTACH_REQUEST=request)
    environment.pop("PYTHONPATH", None)  # gdb's embedded Python must not see ours
    environment.pop("PYTHONHOME", None)
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd="/",
        text=True,
    )
    try:
        output, errors = process.communicate(timeout=GDB_TIMEOUT)
    except subprocess.TimeoutExpired:
        output, errors = _stop_gdb(process)
    finally:
        _never_leave_stopped(target.pid)
    return _parse_gdb_output(target, output, errors, process.returncode)


def _stop_gdb(process: subprocess.Popen[str]) -> tuple[str, str]:
    # Ctrl-C first: gdb interrupts the call, our script restores registers and detaches.
    # Killing gdb outright could leave the target inside a call with nowhere to return.
    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(stop)
        try:
            return process.communicate(timeout=_GDB_GRACE)
        except subprocess.TimeoutExpired:
            continue
    return process.communicate()


def _never_leave_stopped(pid: int) -> None:
    """A tracer that died can leave its tracee in group stop: continue it."""
    if state_letter(pid) == "T":
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)


def _parse_gdb_output(
    target: TargetProcess, output: str, errors: str, status: int | None
) -> dict[str, object]:
    report: dict[str, object] | None = None
    for line in output.splitlines():
        if line.startswith(gdb_script.MARKER):
            with contextlib.suppress(ValueError):
                report = json.loads(line[len(gdb_script.MARKER) :])
    if report is None:
        detail = (errors or output).strip().splitlines()[-3:]
        raise AttachError(
            "gdb_failed",
            f"gdb could not attach to pid {target.pid} (exit status {status}): "
            + (" / ".join(detail) or "no output"),
        )
    kind = report.get("status")
    message = str(report.get("message", ""))
    if kind == "queued":
        return report
    if kind == "attach_failed":
        traced = _TRACED.search(errors + "\n" + message)
        if traced is not None:
            tracer = int(traced.group(1))
            raise AttachError("already_traced", already_traced_message(target.pid, tracer))
        if "not permitted" in message or "Operation not permitted" in errors:
            raise AttachError(
                "ptrace_not_permitted",
                f"ptrace of pid {target.pid} is not permitted ({message.strip()}): {PTRACE_HINT}",
            )
        if "No such process" in message:
            raise AttachError("no_such_process", f"pid {target.pid} exited while attaching")
        raise AttachError("gdb_failed", f"gdb could not attach to pid {target.pid}: {message}")
    if kind == "no_symbols":
        raise AttachError(
            "not_python",
            f"{target.label}: CPython's C API symbols are not visible to gdb ({message}); "
            "is it a CPython built with its symbols exported?",
        )
    raise AttachError(
        "gdb_failed",
        f"gdb could not queue the bootstrap in pid {target.pid}: {message}; "
        "the process was left as it was",
    )


def inject_with_remote_exec(target: TargetProcess, script: str) -> None:
    """PEP 768: ``sys.remote_exec`` from an interpreter of the target's own version.

    That is this interpreter when its version matches; otherwise another one
    (``trusted_python``), which never is a file the target's user could have
    written: the target's own executable would run that user's code (its
    ``site`` imports, ``.pth`` files) with this process's rights, root's.
    """
    if sys.version_info[:2] == target.version and hasattr(sys, "remote_exec"):
        try:
            sys.remote_exec(target.pid, script)
        except PermissionError as error:
            raise AttachError(
                "ptrace_not_permitted",
                f"sys.remote_exec on pid {target.pid} is not permitted ({error}): {PTRACE_HINT}",
            ) from None
        except (OSError, RuntimeError) as error:
            raise AttachError(
                "gdb_failed", f"sys.remote_exec on pid {target.pid} failed: {error}"
            ) from None
        return
    python = trusted_python(target)
    helper = [
        python,
        "-I",
        "-S",
        "-c",
        "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])",
        str(target.pid),
        script,
    ]
    try:
        completed = subprocess.run(
            helper,
            capture_output=True,
            text=True,
            timeout=GDB_TIMEOUT,
            check=False,
            cwd="/",
            env={"PATH": os.defpath},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AttachError(
            "gdb_failed", f"could not run {python} for sys.remote_exec: {error}"
        ) from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        reason = "ptrace_not_permitted" if "PermissionError" in last else "gdb_failed"
        hint = f": {PTRACE_HINT}" if reason == "ptrace_not_permitted" else ""
        raise AttachError(reason, f"sys.remote_exec on pid {target.pid} failed: {last}{hint}")


def trusted_python(target: TargetProcess) -> str:
    """A Python of the target's version that only this user (or root) can have changed.

    The target's own executable when the target is this user's (running it
    crosses no boundary); else ``python3.X`` on ``PATH``, each directory and
    the file owned by root or this user and writable by nobody else.
    AttachError ``no_trusted_python`` when there is none.
    """
    if target.uid == os.geteuid() and target.executable:
        return target.executable
    name = f"python{target.version_text}"
    tried = []
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if not os.path.isfile(candidate) or not os.access(candidate, os.X_OK):
            continue
        problem = unsafe_path_problem(os.path.realpath(candidate), target.uid)
        if problem is None:
            return os.path.realpath(candidate)
        tried.append(f"{candidate} ({problem})")
    found = f"; found but not trusted: {', '.join(tried)}" if tried else ""
    raise AttachError(
        "no_trusted_python",
        f"{target.label}: sys.remote_exec must be called from a Python {target.version_text},"
        f" and no {name} on PATH is one that only root or you can change{found}. Its own"
        f" executable ({target.executable}) belongs to its user, so running it here would run"
        f" that user's code with your rights: install {name} (or put a trusted one on PATH),"
        f" or run: {name} -m splice attach {target.pid}",
    )


def unsafe_path_problem(path: str, untrusted_uid: int) -> str | None:
    """Why another user might have written ``path`` (the file or a folder above it), or None."""
    trusted = {0, os.geteuid()} - {untrusted_uid}
    current = path
    while True:
        try:
            info = os.lstat(current)
        except OSError as error:
            return f"cannot check {current}: {error.strerror}"
        if info.st_uid not in trusted:
            return f"{current} belongs to uid {info.st_uid}"
        if info.st_mode & 0o022 and not (stat.S_ISDIR(info.st_mode) and info.st_mode & 0o1000):
            return f"{current} is writable by others"
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
