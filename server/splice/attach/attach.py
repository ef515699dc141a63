"""``attach(pid)``: check the target, queue the bootstrap, wait for the agent's connection file.

Every failure leaves the target as it was: the checks read only ``/proc``;
the injection only queues a call; and when the target never reaches a safe
point the attacher takes the bootstrap's claim, so a late run does nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import splice
from splice.agent import connection
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
    workspace = tempfile.mkdtemp(prefix="splice-attach-")
    keep_workspace = False
    try:
        script = _write_stub(workspace, runtime_dir)
        if not same_user:  # root attaching to another user's process
            for path in (workspace, script):
                os.chown(path, target.uid, target.gid)
        if target.version >= REMOTE_EXEC_VERSION:
            method = "remote_exec"
            inject.inject_with_remote_exec(target, script)
        else:
            method = "gdb"
            inject.inject_with_gdb(target, script, workspace)
        try:
            result = _wait_for_result(target, workspace, began + timeout, method)
        except AttachError as error:
            # sys.remote_exec reads the script when the target gets to it: leave the
            # (claimed, so inert) script there rather than have the target fail to open it.
            keep_workspace = error.reason == "timeout" and method == "remote_exec"
            raise
    finally:
        if not keep_workspace:
            shutil.rmtree(workspace, ignore_errors=True)
    if "error" in result:
        raise AttachError(
            "bootstrap_failed",
            f"the splice agent could not start in pid {pid}: {result['error']}",
        )
    path = str(result["connectionFile"])
    info = connection.read(path) if same_user else _publish_for_this_user(path)
    return AttachResult(
        info,
        bool(result.get("already")),
        method,
        time.monotonic() - began,
        float(result.get("seconds", 0.0)),
    )


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


def _write_stub(workspace: str, runtime_dir: str | None) -> str:
    parameters = {
        "directory": workspace,
        "package": os.path.dirname(os.path.abspath(splice.__file__)),
        "runtimeDir": runtime_dir,
    }
    template = Path(stub.__file__).read_text(encoding="utf-8")
    placeholder = "PARAMETERS: dict[str, Any] = {}\n"
    if placeholder not in template:
        raise RuntimeError("splice/attach/stub.py lost its PARAMETERS line")
    filled = f"PARAMETERS: dict[str, Any] = json.loads({json.dumps(parameters)!r})\n"
    path = os.path.join(workspace, "bootstrap.py")
    Path(path).write_text(template.replace(placeholder, filled), encoding="utf-8")
    os.chmod(path, 0o644)
    return path


def _wait_for_result(
    target: TargetProcess, workspace: str, deadline: float, method: str
) -> dict[str, Any]:
    """The bootstrap's result, or AttachError ``timeout`` after cancelling it."""
    result_path = os.path.join(workspace, "result.json")
    claim_path = os.path.join(workspace, "claim")
    finish_by: float | None = None
    while True:
        result = _read_result(result_path)
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
            if _cancel(claim_path):
                raise AttachError("timeout", _timeout_message(target, method))
            finish_by = now + _FINISH_GRACE  # it claimed the bootstrap just now: let it finish
        time.sleep(_POLL)


def _read_result(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _cancel(claim_path: str) -> bool:
    """Take the bootstrap's claim; False when the target took it first."""
    try:
        descriptor = os.open(claim_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def _timeout_message(target: TargetProcess, method: str) -> str:
    waiting = main_thread_waits_in(target.pid)
    where = f" (it waits in the kernel in {waiting})" if waiting else ""
    return (
        f"pid {target.pid} did not reach a safe point within the timeout: its main thread "
        f"ran no Python code{where}, e.g. it is blocked in a C call, a long sleep() or a "
        "join(). Nothing was changed: the queued bootstrap was cancelled and the process "
        "runs on as before. Try again with a longer --timeout, or when the program is busy "
        "in Python"
        + (" (the gdb injection left one unused 4 KiB page in it)" if method == "gdb" else "")
    )


def _publish_for_this_user(path: str) -> ConnectionInfo:
    """Root attached to another user's process: list its kernel in root's directory too.

    The target's own file belongs to its user, which ``connection.read`` rightly
    refuses to trust for anyone else; root copies it into a 0600 file of its own.
    """
    with open(path, encoding="utf-8") as stream:
        data = json.load(stream)
    info = ConnectionInfo.from_json(data, connection.connection_path(int(data["pid"])))
    connection.write(info)
    return info
