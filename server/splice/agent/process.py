"""The one agent of this process: started by ``listen()``, stopped at exit, renewed after fork.

A forked child inherits the parent's agent object but none of its threads:
it lets go of the parent's sockets and starts an agent (and connection file)
of its own. ``atexit`` and, for hosts that own the process, SIGTERM remove the
connection file.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading

from splice.agent.agent import Agent
from splice.agent.connection import ConnectionInfo
from splice.agent.options import AgentOptions
from splice.engine.locking import PATCH_LOCK, reset_after_fork
from splice.logs import get_logger
from splice.records import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = get_logger(__name__)

#: A forked child publishes its connection file only if it still runs Python
#: this much later (``fork`` + ``exec``, as in a subprocess, must leave none).
CHILD_PUBLISH_DELAY = 0.1

#: Seconds a fork waits for a patch in progress to finish (``_hold_engine_for_fork``).
FORK_WAIT = 2.0

_state_lock = threading.Lock()
_fork_holds: list[Any] = []
_agent: Agent | None = None
_hooks_installed = False


def listen(**options: Any) -> ConnectionInfo:
    """Start the agent in this process, or return the running one's connection info.

    The options are the fields of ``AgentOptions``; a misspelt one is a TypeError.
    """
    return _listen(AgentOptions(**options))


def _listen(options: AgentOptions, publish_delay: float = 0.0) -> ConnectionInfo:
    global _agent, _hooks_installed
    with _state_lock:
        if _agent is not None and _agent.pid == os.getpid() and _agent.running and _agent.info:
            return _agent.info
        _load_typing()
        _watch_imports()
        _name_debugger_stops()
        agent = Agent(options)
        # Published before it writes its file, so a SIGTERM or exit from now on removes it.
        _agent = agent
        try:
            info = agent.start(publish_delay)
        except BaseException:
            _agent = None
            raise
        if not _hooks_installed:
            atexit.register(_stop_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(
                    before=_hold_engine_for_fork,
                    after_in_parent=_release_engine_after_fork,
                    after_in_child=_restart_in_child,
                )
            _hooks_installed = True
        _recover_baselines()
        logger.debug("splice agent listening on %s (connection file %s)", info.address, info.path)
        return info


def current() -> Agent | None:
    """The agent running in this process, if any."""
    agent = _agent
    return agent if agent is not None and agent.pid == os.getpid() and agent.running else None


def stop() -> None:
    """Stop this process's agent (a later ``listen()`` starts a new one)."""
    global _agent
    with _state_lock:
        agent, _agent = _agent, None
    if agent is not None and agent.pid == os.getpid():
        agent.stop()


def remove_file_on_sigterm() -> None:
    """For hosts that own the process (``splice run``, ``splice kernel``): clean up on SIGTERM too.

    Only when SIGTERM still has its default action; the process then dies of
    the same signal as before, so its exit status does not change.
    """
    import signal  # here: only hosts that own the process (``splice run``) need it

    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(number: int, frame: Any) -> None:
        _stop_at_exit()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def _load_typing() -> None:
    """Import ``typing`` here, in the program's thread, if the program has not.

    splice's threads import it later (the request handlers, the engine), and a
    module being imported is in ``sys.modules`` half made: ``dataclasses`` looks
    ``typing`` up there without importing it, so a ``@dataclass`` of the program
    that ran meanwhile failed (``typing`` has no attribute ``ClassVar``).
    """
    import typing  # noqa: F401


def _watch_imports() -> None:
    from splice.engine.baselines.store import watch_imports

    watch_imports()


def _name_debugger_stops() -> None:
    # A debugger may attach at any time: function-running findings then say so.
    from splice.agent.debug import install

    install()


def _recover_baselines() -> None:
    # Modules imported before the agent get their files as baselines where provably what runs.
    from splice.engine.baselines.recovery import start_recovery

    start_recovery()


def _stop_at_exit() -> None:
    agent = _agent
    # A forked child inherits this handler; it must not remove its parent's file.
    if agent is not None and agent.pid == os.getpid():
        with contextlib.suppress(Exception):
            agent.stop()


def _hold_engine_for_fork() -> None:
    """Before fork: wait for a patch (or baseline check) that splice's threads are making.

    Those threads import modules as they go (framework adapters, metadata); a
    fork in the middle of an import leaves the child that module's import
    lock held by a thread it does not have, and any import of it there waits
    forever. Bounded, so that a fork never waits long on splice.
    """
    _fork_holds.append(PATCH_LOCK if PATCH_LOCK.acquire(timeout=FORK_WAIT) else None)


def _release_engine_after_fork() -> None:
    lock = _fork_holds.pop() if _fork_holds else None
    if lock is not None:
        lock.release()


def _restart_in_child() -> None:
    """After fork: the child gets an agent and connection file of its own."""
    global _agent, _state_lock
    _fork_holds.clear()  # the engine's locks are new in the child (reset_after_fork)
    # Another thread may have held these at the moment of the fork.
    _state_lock = threading.Lock()
    reset_after_fork()
    parent = _agent
    if parent is None:
        return
    parent.abandon()
    _agent = None
    if not parent.options.children:
        return
    # The parent's event-loop runner belongs to a loop that does not run here.
    options = replace(
        parent.options,
        runner=None,
        role="fork",
        parent_pid=parent.pid,
        root_pid=parent.options.root_pid or parent.pid,
    )
    try:
        _listen(options, publish_delay=CHILD_PUBLISH_DELAY)
    except Exception:
        logger.debug(
            "could not start the splice agent in forked child %s", os.getpid(), exc_info=True
        )
