"""Hand the bootstrap to the target: ``sys.remote_exec`` (3.14+) or gdb (3.10-3.13).

Both only *queue* the bootstrap: the target's main thread runs it at its next
safe point. Whether and when it ran is for the caller to learn from the
bootstrap's result file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from splice.attach import gdb_script
from splice.attach.errors import PTRACE_HINT, AttachError
from splice.attach.process import TargetProcess, state_letter

#: Seconds for gdb to attach, make its two calls and detach (about 1 s here).
GDB_TIMEOUT = 20.0
#: After a Ctrl-C, seconds gdb has to restore the registers and detach.
_GDB_GRACE = 5.0

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


def inject_with_gdb(target: TargetProcess, script: str, workspace: str) -> dict[str, object]:
    """Queue ``script`` as a pending call in the target through gdb; return gdb's report."""
    gdb = find_gdb()
    request = Path(workspace, "gdb-request.json")
    code = pending_call_code(script).encode("utf-8")
    request.write_text(json.dumps({"pid": target.pid, "code": code.hex()}), encoding="utf-8")
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
    environment = dict(os.environ, SPLICE_ATTACH_REQUEST=str(request))
    environment.pop("PYTHONPATH", None)  # gdb's embedded Python must not see ours
    environment.pop("PYTHONHOME", None)
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
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
    """PEP 768: ``sys.remote_exec`` from an interpreter of the target's own version."""
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
    # remote_exec needs the target's own major.minor: ask the target's interpreter to do it.
    helper = [
        target.executable,
        "-I",
        "-c",
        "import sys; sys.remote_exec(int(sys.argv[1]), sys.argv[2])",
        str(target.pid),
        script,
    ]
    try:
        completed = subprocess.run(
            helper, capture_output=True, text=True, timeout=GDB_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AttachError(
            "gdb_failed", f"could not run {target.executable} for sys.remote_exec: {error}"
        ) from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        reason = "ptrace_not_permitted" if "PermissionError" in last else "gdb_failed"
        hint = f": {PTRACE_HINT}" if reason == "ptrace_not_permitted" else ""
        raise AttachError(reason, f"sys.remote_exec on pid {target.pid} failed: {last}{hint}")
