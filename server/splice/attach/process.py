"""What ``/proc`` says about the target: who owns it, whether it runs, which Python it is.

Read before anything touches the process, so every refusal here leaves it
exactly as it was.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from splice.agent import peers
from splice.attach.errors import PTRACE_HINT, AttachError

MINIMUM_VERSION = (3, 10)
#: ``sys.remote_exec`` (PEP 768) replaces gdb from this version on.
REMOTE_EXEC_VERSION = (3, 14)

_LIBRARY = re.compile(r"/libpython(\d+)\.(\d+)[^/]*\.so")
_EXECUTABLE = re.compile(r"^python(\d+)\.(\d+)")


@dataclass(frozen=True)
class TargetProcess:
    """A running process as seen from outside it."""

    pid: int
    uid: int
    gid: int
    state: str  # the letter of /proc/PID/status State: R, S, D, T, t, Z ...
    executable: str
    version: tuple[int, int]
    #: ``peers.process_start``: the same pid later with another start is another process.
    started: str | None = None

    @property
    def label(self) -> str:
        return f"pid {self.pid} ({os.path.basename(self.executable)}, Python {self.version_text})"

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


def read_status(pid: int) -> dict[str, str]:
    """``/proc/PID/status`` as a dict; AttachError ``no_such_process`` when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as stream:
            lines = stream.read().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        raise AttachError("no_such_process", f"no process with pid {pid}") from None
    status = {}
    for line in lines:
        key, _, value = line.partition(":")
        status[key] = value.strip()
    return status


def state_letter(pid: int) -> str:
    """The one-letter state of a process, or "" once it is gone."""
    try:
        return read_status(pid).get("State", " ")[:1]
    except AttachError:
        return ""


def inspect_process(pid: int) -> TargetProcess:
    """Check that ``pid`` is a live CPython 3.10+ process this user may attach to."""
    if pid <= 0:
        raise AttachError("no_such_process", f"no process with pid {pid}")
    status = read_status(pid)
    uid = int(status.get("Uid", "-1").split()[0])
    gid = int(status.get("Gid", "-1").split()[0])
    state = status.get("State", " ")[:1]
    if state in ("Z", "X"):
        raise AttachError("no_such_process", f"pid {pid} has exited (it is a zombie)")
    if uid != os.geteuid() and os.geteuid() != 0:
        raise AttachError("ptrace_not_permitted", _other_user_message(pid, uid))
    executable = _executable(pid)
    version = _version(pid, executable)
    if version is None:
        raise AttachError(
            "not_python",
            f"pid {pid} ({os.path.basename(executable) or status.get('Name', '?')}) is not a "
            "Python process: neither its executable nor a loaded library is CPython",
        )
    if version < MINIMUM_VERSION:
        found = ".".join(str(part) for part in version)
        raise AttachError(
            "python_too_old",
            f"pid {pid} runs Python {found}; splice attach needs CPython 3.10 or newer "
            "(restart the program with a newer Python, under 'splice run')",
        )
    tracer = int(status.get("TracerPid", "0") or 0)
    if tracer:
        raise AttachError("already_traced", already_traced_message(pid, tracer))
    if state in ("T", "t"):
        raise AttachError(
            "process_stopped",
            f"pid {pid} is stopped (State {status.get('State')}); it cannot run the agent: "
            f"continue it first (kill -CONT {pid}, or detach its debugger)",
        )
    return TargetProcess(pid, uid, gid, state, executable, version, peers.process_start(pid))


def already_traced_message(pid: int, tracer: int) -> str:
    name = process_name(tracer)
    return (
        f"pid {pid} is already being traced by process {tracer}{f' ({name})' if name else ''}:"
        " a debugger, strace, or another splice attach; a process has one tracer at a time,"
        " so try again once it has detached"
    )


def process_name(pid: int) -> str:
    """The command name of a process (``/proc/PID/comm``), or "" when it cannot be read."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as stream:
            return stream.read().strip()
    except OSError:
        return ""


def _other_user_message(pid: int, uid: int) -> str:
    return (
        f"pid {pid} belongs to another user (uid {uid}); ptrace is not permitted: "
        "attach as the same user, or as root (or with CAP_SYS_PTRACE)"
    )


def _executable(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except PermissionError:
        raise AttachError(
            "ptrace_not_permitted",
            f"ptrace of pid {pid} is not permitted (permission denied on /proc/{pid}/exe; "
            f"a process that made itself non-dumpable refuses even its own user): {PTRACE_HINT}",
        ) from None
    except FileNotFoundError:
        raise AttachError("no_such_process", f"no process with pid {pid}") from None
    except OSError:
        return ""  # a kernel thread has no executable


def _version(pid: int, executable: str) -> tuple[int, int] | None:
    """CPython's major.minor from a mapped libpython, else from the executable's name."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as stream:
            maps = stream.read()
    except OSError:
        maps = ""
    match = _LIBRARY.search(maps)
    if match is None:
        name = os.path.basename(os.path.realpath(executable)) if executable else ""
        match = _EXECUTABLE.match(name.removesuffix(" (deleted)"))
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def main_thread_waits_in(pid: int) -> str:
    """Where the main thread sleeps in the kernel (``/proc/PID/wchan``), for messages."""
    try:
        with open(f"/proc/{pid}/wchan", encoding="utf-8") as stream:
            where = stream.read().strip()
    except OSError:
        return ""
    return "" if where in ("", "0") else where
