"""splice inside a debugged program: debugpy (pydevd) and the agent side by side.

Three ways in, one agent:

- ``splice run --debug [HOST:]PORT [--wait-for-client]`` starts debugpy in
  this process (``start_debugpy``), as ``python -m debugpy --listen`` would,
  then runs the program under splice. debugpy is imported only then, and
  only because the user asked for it.
- An editor's debug session (VS Code's splice extension) puts splice's
  ``bootstrap`` folder on the debugged program's ``PYTHONPATH`` and sets
  ``children.SESSION_VARIABLE``; ``sitecustomize`` then starts an agent at
  start-up (``children.bootstrap``), making the process the root of a splice
  program, so its children get agents as under ``splice run``. debugpy's own
  processes (``is_debugpy_helper``) get none.
- ``splice attach PID`` on a program started with ``python -m debugpy``.

What keeps the agent working while the debugger holds the program stopped
is ``threads.daemon_thread``: pydevd neither traces nor suspends splice's
threads. ``stopped_in_debugger`` lets the engine word its ``function-running``
finding for a frame that the debugger holds (``install``).
"""

from __future__ import annotations

import importlib
import os
import sys
from types import FrameType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "install",
    "is_debugpy_helper",
    "parse_address",
    "program_label",
    "start_debugpy",
    "wait_for_debugger",
]

#: debugpy's own processes, which run none of the program's code: ``python -m
#: debugpy.adapter``, ``python .../debugpy/launcher`` (the program itself runs as
#: ``python .../debugpy/launcher/../../debugpy --connect ... app.py``).
_DEBUGPY_MODULES = ("debugpy.adapter", "debugpy.launcher")
_DEBUGPY_FOLDERS = (os.path.join("debugpy", "adapter"), os.path.join("debugpy", "launcher"))

#: pydevd's function that a suspended thread waits in, and its file.
_WAIT_FUNCTION = "_do_wait_suspend"
_WAIT_FILE = "pydevd.py"


class DebugStartError(Exception):
    """``--debug`` could not start debugpy; the message says why and what to do."""


def parse_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (as ``python -m debugpy --listen`` takes it) -> (host, port)."""
    host, _, port_text = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"--debug needs [HOST:]PORT, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"--debug: port {port} is out of range (0-65535)")
    return host, port


def start_debugpy(address: tuple[str, int]) -> tuple[str, int]:
    """Start debugpy listening on ``address`` in this process; return where it listens.

    Call it before splice puts its bootstrap on ``PYTHONPATH``: debugpy's
    adapter is a child process of ours and must not get an agent.
    """
    try:
        debugpy: Any = importlib.import_module("debugpy")
    except ImportError:
        raise DebugStartError(
            f"--debug needs debugpy, which {sys.executable} cannot import;"
            f" install it (`{sys.executable} -m pip install debugpy`)"
        ) from None
    try:
        host, port = debugpy.listen(address)
    except Exception as error:  # debugpy raises RuntimeError, OSError...
        raise DebugStartError(
            f"--debug: debugpy could not listen on {address[0]}:{address[1]}: {error}"
        ) from None
    return str(host), int(port)


def wait_for_debugger() -> None:
    """Block until a debugger has attached to the debugpy that ``start_debugpy`` started."""
    sys.modules["debugpy"].wait_for_client()


def stopped_in_debugger(top: FrameType) -> bool:
    """Whether the thread whose newest frame is ``top`` waits in pydevd's suspend loop.

    A thread stopped at a breakpoint (or by a pause, a step) sits in pydevd's
    wait loop, called from its trace or monitoring callback, above the user's
    frames; nothing else runs that function.
    """
    frame: FrameType | None = top
    while frame is not None:
        code = frame.f_code
        if code.co_name == _WAIT_FUNCTION and os.path.basename(code.co_filename) == _WAIT_FILE:
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Let the engine's ``function-running`` finding say when a debugger holds the frame."""
    from splice.engine import debugging

    debugging.stopped_in_debugger = stopped_in_debugger


def is_debugpy_helper(command_line: list[str]) -> bool:
    """debugpy's adapter and launcher processes: no agent there."""
    arguments = iter(command_line[1:])
    for argument in arguments:
        if argument == "-m":
            return next(arguments, "") in _DEBUGPY_MODULES
        if argument in ("-X", "-W"):
            next(arguments, None)
        elif not argument.startswith("-"):
            return os.path.normpath(argument).endswith(_DEBUGPY_FOLDERS)
    return False


def program_label(command_line: list[str]) -> str:
    """What the debugged program is, from its command line (``debugpy ... app.py``)."""
    arguments = command_line[1:]
    for index, argument in enumerate(arguments):
        if argument == "-m" and index + 1 < len(arguments):
            return f"-m {arguments[index + 1]}"
        if argument.endswith(".py"):
            return os.path.basename(argument)
    return "debug"
