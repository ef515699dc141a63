"""``splice.attachProcess``: list the user's Python processes, attach to one, follow its kernel.

With no argument the command answers the processes to choose from (the
editor shows them in a picker); with a pid it runs ``splice attach PID``
(``splice.attach``, in a worker thread: gdb takes about a second) and then
attaches the server to the kernel the process now runs.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import asdict, dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from splice.agent import connection
from splice.attach.attach import DEFAULT_TIMEOUT, AttachResult, attach
from splice.attach.errors import AttachError
from splice.attach.process import inspect_process
from splice.errors import SpliceError

#: Characters of a command line shown in the picker.
MAX_COMMAND = 200


@dataclass(frozen=True)
class PythonProcess:
    """One process the user could attach to, as the picker shows it."""

    pid: int
    command: str
    python: str
    #: It already runs a splice agent (attaching only connects the editor).
    kernel: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def python_processes() -> list[PythonProcess]:
    """This user's CPython 3.10+ processes (every user's, for root), except this one."""
    found = []
    ours = {os.getpid(), os.getppid()}
    kernels = {info.pid for info in connection.discover()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in ours:
            continue
        pid = int(entry)
        try:
            if os.geteuid() != 0 and os.stat(f"/proc/{pid}").st_uid != os.geteuid():
                continue
            target = inspect_process(pid)
            command = _command_line(pid)
        except (AttachError, OSError):
            continue  # not Python, too old, stopped, gone meanwhile
        found.append(PythonProcess(pid, command, target.version_text, pid in kernels))
    found.sort(key=lambda process: process.pid)
    return found


async def attach_process(pid: int, timeout: float = DEFAULT_TIMEOUT) -> AttachResult:
    """Start the agent in ``pid`` (``splice attach``); AttachError says why it could not."""
    return await asyncio.to_thread(attach, pid, timeout)


async def attach_process_command(ls: Any, target: int | str | None) -> list[dict[str, Any]] | None:
    """The command: the processes to pick from, or attach to ``target`` and list the kernels.

    ``ls`` is the ``SpliceServer`` (its ``registry`` and ``show``).
    """
    if target is None:
        return [process.to_json() for process in await asyncio.to_thread(python_processes)]
    if not isinstance(target, int):
        raise JsonRpcInvalidParams.of(TypeError(f"expected a process id, got {target!r}"))
    try:
        await attach_process(target)
        kernel = await ls.registry.attach(target)
    except SpliceError as error:  # AttachError included: its message says what to do
        ls.show(types.MessageType.Error, f"splice: cannot attach: {error}")
        return None
    ls.show(types.MessageType.Info, f"splice: attached to {kernel.describe()}")
    listing: list[dict[str, Any]] = ls.registry.listing()
    return listing


def _command_line(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as stream:
        arguments = stream.read().rstrip(b"\0").split(b"\0")
    text = " ".join(os.fsdecode(argument) for argument in arguments)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MAX_COMMAND else text[: MAX_COMMAND - 1] + "…"
