"""``attach(pid)``: check the target, queue the bootstrap, wait for its result, verify the agent.

Every failure leaves the target as it was: the checks read only ``/proc``;
the injection only queues a call; and when the target never reaches a safe
point the attacher takes the bootstrap's claim, so a late run does nothing.

Root may attach to another user's process. Then nothing root runs or reads
as code is that user's to write: the bootstrap sits in root's workspace
(``workspace.py``), gdb's request is in its environment, a Python for
``sys.remote_exec`` is never the target's (``inject.trusted_python``), and
the result the target writes back is checked against the target process
itself before root lists the kernel in a file of its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import splice
from splice.agent import connection, peers
from splice.agent.connection import ConnectionInfo
from splice.attach import inject, stub
from splice.attach.errors import AttachError
from splice.attach.process import (
    REMOTE_EXEC_VERSION,
    TargetProcess,
    inspect_process,
    main_thread_waits_in,
    state_letter,
)
from splice.attach.workspace import Workspace
from splice.errors import SpliceError

DEFAULT_TIMEOUT = 10.0
_POLL = 0.01
#: Once the target has claimed the bootstrap, seconds it has to finish listen().
_FINISH_GRACE = 10.0


@dataclass(frozen=True)
class AttachResult:
    """A kernel agent running in the target."""

    info: ConnectionInfo
    already: bool  # it was running before this attach
    method: str  # "connection-file" | "gdb" | "remote_exec"
    seconds: float
    #: How long the bootstrap held the target's main thread (0.0 when it did not run).
    target_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.info.pid,
            "connectionFile": self.info.path,
            "already": self.already,
            "method": self.method,
            "seconds": round(self.seconds, 3),
            "targetSeconds": round(self.target_seconds, 4),
        }


def attach(pid: int, timeout: float = DEFAULT_TIMEOUT) -> AttachResult:
    """Start the kernel agent in ``pid`` (idempotent); AttachError says why it could not."""
    began = time.monotonic()
    target = inspect_process(pid)
    running = _running_kernel(pid)
    if running is not None:
        return AttachResult(running, True, "connection-file", time.monotonic() - began)
    same_user = target.uid == os.geteuid()
    runtime_dir = connection.runtime_dir() if same_user else None
    workspace = Workspace(target.uid, target.gid)
    keep_workspace = False
    try:
        script = workspace.write("bootstrap.py", _stub(workspace.output, runtime_dir))
        if target.version >= REMOTE_EXEC_VERSION:
            method = "remote_exec"
            inject.inject_with_remote_exec(target, script)
        else:
            method = "gdb"
            inject.inject_with_gdb(target, script)
        try:
            result = _wait_for_result(target, workspace, began + timeout, method)
        except AttachError as error:
            # sys.remote_exec reads the script when the target gets to it: leave the
            # (claimed, so inert) script there rather than have the target fail to open it.
            keep_workspace = error.reason == "timeout" and method == "remote_exec"
            raise
    finally:
        if not keep_workspace:
            workspace.remove()
    if "error" in result:
        raise AttachError(
            "bootstrap_failed",
            f"the splice agent could not start in pid {pid}: {result['error']}",
        )
    info = _verified_kernel(target, result, same_user)
    return AttachResult(
        info,
        result.get("already") is True,
        method,
        time.monotonic() - began,
        _number(result.get("seconds")),
    )


def _number(value: Any) -> float:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else 0.0


def _running_kernel(pid: int) -> ConnectionInfo | None:
    """This user's live, answering kernel for ``pid``, if there is one."""
    from splice.client.blocking import BlockingKernelClient

    try:
        info = connection.load(pid)
    except SpliceError:
        return None
    try:
        with BlockingKernelClient(info, timeout=5.0):
            return info
    except (SpliceError, OSError):
        return None  # a stale file of a reused pid, or a kernel that no longer answers


def _stub(output: str, runtime_dir: str | None) -> str:
    parameters = {
        "output": output,
        "package": os.path.dirname(os.path.abspath(splice.__file__)),
        "runtimeDir": runtime_dir,
    }
    template = Path(stub.__file__).read_text(encoding="utf-8")
    placeholder = "PARAMETERS: dict[str, Any] = {}\n"
    if placeholder not in template:
        raise RuntimeError("splice/attach/stub.py lost its PARAMETERS line")
    filled = f"PARAMETERS: dict[str, Any] = json.loads({json.dumps(parameters)!r})\n"
    return template.replace(placeholder, filled)


def _wait_for_result(
    target: TargetProcess, workspace: Workspace, deadline: float, method: str
) -> dict[str, Any]:
    """The bootstrap's result, or AttachError ``timeout`` after cancelling it."""
    finish_by: float | None = None
    while True:
        result = workspace.read_result()
        if result is not None:
            return result
        if not state_letter(target.pid):
            raise AttachError("no_such_process", f"pid {target.pid} exited while attaching")
        now = time.monotonic()
        if finish_by is not None and now > finish_by:
            raise AttachError(
                "bootstrap_failed",
                f"pid {target.pid} started the splice bootstrap but did not finish it "
                f"within {_FINISH_GRACE:g} s",
            )
        if finish_by is None and now > deadline:
            if workspace.cancel():
                raise AttachError("timeout", _timeout_message(target, method))
            finish_by = now + _FINISH_GRACE  # it claimed the bootstrap just now: let it finish
        time.sleep(_POLL)


def _timeout_message(target: TargetProcess, method: str) -> str:
    waiting = main_thread_waits_in(target.pid)
    where = f" (it waits in the kernel in {waiting})" if waiting else ""
    if method == "gdb":
        left = (
            "gdb queued the bootstrap as a pending call and left it, and the page holding"
            " its code (4 KiB), in the process"
        )
    else:
        left = "sys.remote_exec's request stays queued in the process"
    return (
        f"pid {target.pid} did not reach a safe point within the timeout: its main thread "
        f"ran no Python code{where}, e.g. it is blocked in a C call, a long sleep() or a "
        f"join(). The bootstrap was cancelled before it started: {left}; if the process runs "
        "Python code again, the queued call finds the bootstrap cancelled and does nothing. "
        "Try again with a longer --timeout, or when the program is busy in Python"
    )


def _verified_kernel(
    target: TargetProcess, result: dict[str, Any], same_user: bool
) -> ConnectionInfo:
    """The kernel the bootstrap started, once it has shown that it is the target process.

    ``result`` comes from a folder the target's user can write: it is taken as
    a claim to check, never as a fact. The kernel it names must be held by the
    target's pid, as the target's user, since the target's start (the socket's
    holder, ``authentication.verify_peer``), and prove the token it names.
    Root then lists it in a file of its own named for the target's pid, so it
    never replaces another kernel's file.
    """
    described = result.get("connection")
    # Root lists it under the pid it attached to; the user's own file is wherever it is.
    path = connection.connection_path(target.pid)
    if same_user and isinstance(result.get("connectionFile"), str):
        path = result["connectionFile"]
    try:
        if not isinstance(described, dict):
            raise ValueError("no connection")
        claimed = ConnectionInfo.from_json(described, path)
    except (ValueError, TypeError) as error:
        raise AttachError(
            "unverified", f"the attach result for pid {target.pid} is malformed ({error})"
        ) from None
    started = peers.process_start(target.pid)
    if started is None or started != target.started:
        raise AttachError(
            "unverified", f"pid {target.pid} is not the process this attach began with"
        )
    info = dataclasses.replace(claimed, pid=target.pid, uid=target.uid, process_start=started)
    if same_user:
        _check_own_file(info, target)
    _prove(info, target)
    if not same_user:
        connection.write(info)
    return info


def _check_own_file(claimed: ConnectionInfo, target: TargetProcess) -> None:
    """The target wrote its own connection file (this user's): it must say what the result says."""
    try:
        written = connection.read(claimed.path)
    except (OSError, ValueError) as error:
        raise AttachError(
            "unverified", f"the connection file of pid {target.pid} cannot be used: {error}"
        ) from None
    if written.pid != target.pid or written.token != claimed.token:
        raise AttachError(
            "unverified",
            f"{claimed.path} is not the connection file of pid {target.pid}'s agent (it names"
            f" pid {written.pid})",
        )


def _prove(info: ConnectionInfo, target: TargetProcess) -> None:
    """Connect as a client would; AttachError ``unverified`` unless it is the target's agent."""
    from splice.client.blocking import BlockingKernelClient

    try:
        with BlockingKernelClient(info, timeout=5.0, require_peer=True) as client:
            answered = client.kernel.get("pid")
    except SpliceError as error:
        raise AttachError(
            "unverified",
            f"the agent named in pid {target.pid}'s attach result is not that process's: {error}",
        ) from None
    if answered != target.pid:
        raise AttachError(
            "unverified", f"the agent there says it is pid {answered}, not {target.pid}"
        )
