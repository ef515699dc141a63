"""``%load_ext splice``: the agent inside IPython and Jupyter kernels.

In an ipykernel, patches run on the kernel's main thread through its event
loop, between cell executions; if a cell keeps the loop busy (a long training
loop), the agent applies the patch from its own thread instead, relying on the
engine's atomic commit (docs/architecture.md, "Threads").

``%splice watch`` patches the modules the notebook imported whenever their
files are saved, without an editor: ``splice run --watch``'s watcher
(``splice.agent.watch.Watcher``) on its own thread. ``%splice watch off``
stops it.

A cell that defines again a function or class an earlier cell defined
updates it in place (``splice.agent.cells``, an AST transformer);
``%splice cells off`` turns that off.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from splice.agent import cells, process
from splice.agent.threads import AgentThreadRunner, LoopRunner
from splice.logs import get_logger

logger = get_logger(__name__)

_USAGE = "usage: %splice watch [on|off] | %splice cells [on|off]"
_watcher: Any = None
_transformer = cells.CellTransformer()


def _runner_for(ipython: Any) -> tuple[Any, str]:
    kernel = getattr(ipython, "kernel", None)
    if kernel is None or not hasattr(kernel, "start"):
        return AgentThreadRunner(), "ipython"

    def schedule(callback: Any) -> None:
        # ``--ext=splice`` loads us before the kernel creates its loop: look it up each time.
        kernel.io_loop.add_callback(callback)

    return LoopRunner(schedule), "ipykernel"


def load_ipython_extension(ipython: Any) -> None:
    runner, host_kind = _runner_for(ipython)
    running = process.current()
    if running is not None:
        # splice.listen() ran before the extension: keep its socket, use the loop.
        running.runner = runner
        running.host_kind = host_kind
        info = running.info
    else:
        info = process.listen(runner=runner, host_kind=host_kind, program=host_kind)
    if info is not None:
        # Saving a file patches nothing by itself: something must send the new text.
        print(
            f"splice listening (pid {info.pid}): a save patches the modules this kernel "
            "imported when an editor with splice is attached, after %splice watch, or with: "
            "splice patch FILE"
        )
    transformers = getattr(ipython, "ast_transformers", None)
    if isinstance(transformers, list) and _transformer not in transformers:
        transformers.append(_transformer)
    user_module = getattr(ipython, "user_module", None)
    if isinstance(user_module, ModuleType):
        cells.add_module(user_module)
    register = getattr(ipython, "register_magic_function", None)
    if register is not None:
        register(splice_magic, magic_kind="line", magic_name="splice")


def splice_magic(line: str) -> None:
    """``%splice watch [on|off]``: patch imported modules when their files are saved;
    ``%splice cells [on|off]``: cells update the definitions earlier cells made."""
    global _watcher
    words = line.split()
    if (
        not words
        or words[0] not in ("watch", "cells")
        or len(words) > 2
        or words[1:] not in ([], ["on"], ["off"])
    ):
        print(_USAGE, file=sys.stderr)
        return
    if words[0] == "cells":
        cells.enabled = words[1:] != ["off"]
        if cells.enabled:
            print("splice: cells update the functions and classes earlier cells defined, in place")
        else:
            print("splice: cells rebind the names they define, as IPython does")
        return
    if words[1:] == ["off"]:
        if _watcher is None:
            print("splice: not watching", file=sys.stderr)
            return
        _watcher.stop()
        _watcher = None
        print("splice: stopped watching", file=sys.stderr)
        return
    if _watcher is not None:
        print(f"splice: already watching; {_watcher.describe()}", file=sys.stderr)
        return
    from splice.agent.watch import start_watching

    _watcher = start_watching(listening=process.current() is not None)


def unload_ipython_extension(ipython: Any) -> None:
    global _watcher
    transformers = getattr(ipython, "ast_transformers", None)
    if isinstance(transformers, list) and _transformer in transformers:
        transformers.remove(_transformer)
    if _watcher is not None:
        _watcher.stop()
        _watcher = None
    process.stop()
