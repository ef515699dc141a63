"""Agents for every Python process a program under ``splice run`` starts, however it starts them.

A forked child gets its agent from ``os.register_at_fork`` (``process``).
Every other child is a new interpreter: ``spawn`` and ``forkserver``
multiprocessing workers, ``ProcessPoolExecutor``'s, uvicorn ``--workers``,
``subprocess.run([sys.executable, ...])``. For those, as coverage.py does,
the root process leaves two things in its environment, which children
inherit: ``SPLICE_ROOT_PID`` (and the program's name and transport), and
``PYTHONPATH`` led by splice's ``bootstrap`` folder, whose ``sitecustomize``
calls ``bootstrap()`` at interpreter start-up, before any user import.
Processes started with ``-I``, ``-E`` or ``-S``, or with an environment of
their own (``env={...}`` without these variables), get no agent.
"""

from __future__ import annotations

import os
import sys

from splice.logs import get_logger

logger = get_logger(__name__)

ROOT_VARIABLE = "SPLICE_ROOT_PID"
PROGRAM_VARIABLE = "SPLICE_PROGRAM"
TRANSPORT_VARIABLE = "SPLICE_TRANSPORT"
#: Set (to any value) by an editor in the environment of a program it debugs, with
#: the bootstrap folder on ``PYTHONPATH``: the program gets an agent (splice.agent.debug).
SESSION_VARIABLE = "SPLICE_DEBUG_SESSION"
BOOTSTRAP_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")
#: multiprocessing's helper processes that never run the program's code.
_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.semaphore_tracker")


def enable_children(program: str, transport: str = "auto") -> None:
    """In the root process: make every Python child of this program start an agent."""
    os.environ[ROOT_VARIABLE] = str(os.getpid())
    os.environ[PROGRAM_VARIABLE] = program
    os.environ[TRANSPORT_VARIABLE] = transport
    entries = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    if BOOTSTRAP_DIRECTORY not in entries:
        os.environ["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIRECTORY, *entries])


def disable_children() -> None:
    """Undo ``enable_children`` (``--no-children``, or a nested ``splice run``)."""
    for name in (ROOT_VARIABLE, PROGRAM_VARIABLE, TRANSPORT_VARIABLE):
        os.environ.pop(name, None)
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    kept = [entry for entry in entries if entry and entry != BOOTSTRAP_DIRECTORY]
    if kept:
        os.environ["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        os.environ.pop("PYTHONPATH", None)


def child_role(command_line: list[str]) -> str | None:
    """``spawn`` for a multiprocessing worker or forkserver, ``subprocess`` otherwise.

    None for multiprocessing's helper processes, which run none of the program's code.
    """
    text = " ".join(command_line)
    if any(helper in text for helper in _HELPERS):
        return None
    if "--multiprocessing-fork" in command_line or "multiprocessing.forkserver" in text:
        return "spawn"
    return "subprocess"


def bootstrap() -> None:
    """In a child interpreter, at start-up: the baseline recorder, then the agent.

    Never raises: a child that cannot get an agent runs as it would have.
    """
    try:
        root = int(os.environ.get(ROOT_VARIABLE, ""))
    except ValueError:
        if os.environ.get(SESSION_VARIABLE):
            _bootstrap_debug_session()
        return
    if root == os.getpid():
        return
    role = child_role(list(getattr(sys, "orig_argv", sys.argv)))
    if role is None:
        return
    try:
        from splice.agent.process import listen
        from splice.engine.baselines.store import watch_imports

        # First, so every module the child imports from here on has its baseline.
        watch_imports()
        if role == "spawn":
            from splice.agent.spawned_main import run_main_in_its_module

            # Before multiprocessing runs the main script: its functions must read the
            # namespace that patches of __mp_main__ change.
            run_main_in_its_module()
        listen(
            program=os.environ.get(PROGRAM_VARIABLE) or None,
            host_kind="run",
            transport=os.environ.get(TRANSPORT_VARIABLE) or "auto",
            role=role,
            root_pid=root,
            parent_pid=os.getppid(),
        )
    except Exception:
        logger.debug("no splice agent in child %s", os.getpid(), exc_info=True)


def _bootstrap_debug_session() -> None:
    """At start-up of a program an editor debugs: its agent, and its children's.

    The process becomes the root of a splice program, as under ``splice run``.
    debugpy's adapter and launcher get no agent. Never raises.
    """
    from splice.agent.debug import is_debugpy_helper, program_label

    command_line = list(getattr(sys, "orig_argv", sys.argv))
    os.environ.pop(SESSION_VARIABLE, None)
    if is_debugpy_helper(command_line):
        return
    try:
        from splice.agent.process import listen
        from splice.engine.baselines.store import watch_imports

        watch_imports()
        label = program_label(command_line)
        listen(program=label, host_kind="debug")
        enable_children(label)
    except Exception:
        disable_children()
        logger.debug("no splice agent in debugged program %s", os.getpid(), exc_info=True)
