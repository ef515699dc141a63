"""``%load_ext splice``: the agent inside IPython and Jupyter kernels.

In an ipykernel, patches run on the kernel's main thread through its event
loop, between cell executions; if a cell keeps the loop busy (a long training
loop), the agent applies the patch from its own thread instead, relying on the
engine's atomic commit (docs/architecture.md, "Threads").
"""

from __future__ import annotations

import logging
from typing import Any

from splice.agent import process
from splice.agent.threads import AgentThreadRunner, LoopRunner

logger = logging.getLogger(__name__)


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
        print(f"splice listening (pid {info.pid}); edits to imported modules are patched live.")


def unload_ipython_extension(ipython: Any) -> None:
    process.stop()
