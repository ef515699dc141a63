"""Live markers: does each definition of a buffer match what the kernels run?

The kernels' baselines are fetched once and cached until something changes
them (a patch, an attach, a detach); the buffer side is recomputed from its
text, which is cheap. Definitions are compared by code (comments and layout
do not count), through parso, so markers stay right while the buffer has a
half-typed line elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from splice.errors import SpliceError
from splice.lsp import definitions
from splice.lsp.kernels import KernelRegistry

logger = logging.getLogger(__name__)

#: Seconds of quiet typing before markers are recomputed and the editor told.
DEBOUNCE = 0.3


MarkerState = Literal["live", "differs", "new", "broken"]


@dataclass(frozen=True)
class Marker:
    """``state`` is ``live``, ``differs``, ``new`` (not in the kernel) or ``broken``."""

    qualname: str
    line: int  # 1-based: the def/class line (after decorators)
    first_line: int  # 1-based: where the definition (its decorators) starts
    state: MarkerState


class LiveMarkers:
    def __init__(self, registry: KernelRegistry) -> None:
        self.registry = registry
        #: (pid, module) -> qualname -> fingerprint of what the kernel runs
        self._baselines: dict[tuple[int, str], dict[str, str | None]] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}

    def invalidate(self, pid: int | None = None) -> None:
        """Forget cached baselines (of one kernel, or all): they may have changed."""
        if pid is None:
            self._baselines.clear()
        else:
            for key in [key for key in self._baselines if key[0] == pid]:
                del self._baselines[key]

    async def _baseline(self, pid: int, module: str) -> dict[str, str | None] | None:
        key = (pid, module)
        cached = self._baselines.get(key)
        if cached is not None:
            return cached
        kernel = self.registry.attached.get(pid)
        if kernel is None:
            return None
        try:
            source = await kernel.client.baseline(module)
        except SpliceError as error:
            logger.debug("no baseline of %s from pid %s: %s", module, pid, error)
            return None
        if source is None:
            return None
        fingerprints = definitions.fingerprints(source)
        self._baselines[key] = fingerprints
        return fingerprints

    async def markers(self, path: str, text: str) -> list[Marker]:
        """One marker per definition of ``text``; none when no kernel runs ``path``."""
        running = []
        for kernel, modules in self.registry.kernels_running(path):
            for module in modules:
                baseline = await self._baseline(kernel.pid, module)
                if baseline is not None:
                    running.append(baseline)
        if not running:
            return []
        found = []
        state: MarkerState
        for item in definitions.find_definitions(text):
            mine = definitions.fingerprint(item)
            if mine is None:
                state = "broken"
            elif any(item.qualname not in baseline for baseline in running):
                state = "new"
            elif all(baseline[item.qualname] == mine for baseline in running):
                state = "live"
            else:
                state = "differs"
            found.append(Marker(item.qualname, item.header_line, item.line, state))
        return found

    def schedule(self, uri: str, refresh: Callable[[], Awaitable[None]]) -> None:
        """Call ``refresh`` once typing in ``uri`` pauses for DEBOUNCE seconds."""
        previous = self._pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE)
            self._pending.pop(uri, None)
            await refresh()

        self._pending[uri] = asyncio.create_task(later())

    async def close(self) -> None:
        for task in self._pending.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pending.clear()
