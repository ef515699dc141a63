"""``SplicePlugin``: the worker plugin that makes every Dask worker patchable.

Registered once by the program (``client.register_plugin(SplicePlugin())``),
it is set up in every worker that is running or joins later. In each it
records baselines of the modules imported from then on, adds one handler,
``splice_patch``, to the worker's own RPC server (the scheduler's
``broadcast`` reaches it: no port of ours), and brings the modules the worker
already runs up to the latest text patched into the cluster, which the
scheduler keeps in its metadata.

Patches run on the plugin's own thread, ``splice-dask``, never on the
worker's event loop (which keeps heartbeating) nor on its task threads: the
engine makes them atomic for the task threads, as for the kernel agent's
thread (docs/architecture.md, "Threads").
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from distributed.diagnostics.plugin import WorkerPlugin

from splice.dask.messages import PATCH_OPERATION, SOURCES_KEY, WORKERS_KEY, patch_reply
from splice.dask.patching import WorkerPatcher
from splice.errors import SpliceError
from splice.logs import get_logger

if TYPE_CHECKING:
    from distributed import Worker

logger = get_logger(__name__)


class SplicePlugin(WorkerPlugin):
    """Lets ``splice.dask.patch_cluster`` patch this worker, and every worker that joins."""

    name = "splice"
    #: Registering it again (a re-run notebook cell) keeps the running plugins.
    idempotent = True

    def __init__(self) -> None:
        self._patcher: WorkerPatcher | None = None
        self._executor: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Sent to the scheduler before any setup: a plugin carries no live state.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._patcher = None
        self._executor = None

    async def setup(self, worker: Worker) -> None:
        patcher = WorkerPatcher()
        patcher.start()
        self._patcher = patcher
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="splice-dask")
        worker.handlers[PATCH_OPERATION] = self.handle_patch
        sources = await worker.scheduler.get_metadata(keys=list(SOURCES_KEY), default={})
        patcher.remember(
            {file: text for file, text in (sources or {}).items() if isinstance(text, str)}
        )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, patcher.apply_latest)
        await worker.scheduler.set_metadata(keys=[*WORKERS_KEY, worker.address], value=os.getpid())

    async def teardown(self, worker: Worker) -> None:
        if worker.handlers.get(PATCH_OPERATION) == self.handle_patch:
            del worker.handlers[PATCH_OPERATION]
        if self._patcher is not None:
            self._patcher.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    async def handle_patch(
        self,
        file: str,
        source: str,
        only: Sequence[str] | None = None,
        dry_run: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The ``splice_patch`` handler: patch ``file``'s modules here, answer with results."""
        pid = os.getpid()
        if self._patcher is None or self._executor is None:
            return patch_reply(pid, error="the splice plugin is not set up on this worker")
        if not isinstance(file, str) or not isinstance(source, str):
            return patch_reply(pid, error="'file' and 'source' must be strings")
        work = functools.partial(
            self._patcher.patch_file,
            file,
            source,
            tuple(only) if only is not None else None,
            dry_run=dry_run,
        )
        running = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            results = await asyncio.wait_for(asyncio.shield(running), timeout)
        except asyncio.TimeoutError:
            return patch_reply(
                pid, error=f"no answer within {timeout:g} s; the patch may still be applying"
            )
        except (SpliceError, TypeError, ValueError) as error:
            return patch_reply(pid, error=f"{type(error).__name__}: {error}")
        return patch_reply(pid, results)
