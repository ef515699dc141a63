"""``patch_cluster``: one call that patches a file into every worker of a Dask cluster.

It talks to the scheduler only, over Dask's own comms (with the security the
Dask configuration sets): the scheduler fans the patch out to the workers
with ``broadcast`` and hands back each worker's answer, or why there is none.
The latest text of each file is stored on the scheduler first, so a worker
that joins while (or after) the patch is sent gets it at setup.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from distributed.core import rpc
from distributed.protocol.pickle import loads
from distributed.security import Security

from splice.dask.messages import SOURCES_KEY, WORKERS_KEY, outcomes_from_replies, patch_request
from splice.engine.result import ProcessOutcome
from splice.errors import KernelUnavailableError

#: Seconds each worker has to apply a patch (the default of ``timeout``).
DEFAULT_TIMEOUT = 10.0
#: Extra seconds for the scheduler to collect the answers once workers timed out.
_COLLECT_GRACE = 5.0


def patch_cluster(
    address: str,
    path: str,
    text: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    security: Security | None = None,
) -> list[ProcessOutcome]:
    """Patch ``text`` as the new source of ``path`` into every worker of the cluster.

    One ``ProcessOutcome`` per worker and module running ``path`` (all or
    nothing in each), and one per worker that failed to answer; workers that
    have not imported ``path`` yet are not listed (they will import the new
    text). ``security`` is a ``distributed.Security`` (default: the Dask
    configuration's). Raises ``KernelUnavailableError`` when the scheduler is unreachable.
    Blocking: from a running event loop, await ``patch_cluster_async``.
    """
    return asyncio.run(
        patch_cluster_async(
            address, path, text, timeout=timeout, only=only, dry_run=dry_run, security=security
        )
    )


async def patch_cluster_async(
    address: str,
    path: str,
    text: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    security: Security | None = None,
) -> list[ProcessOutcome]:
    """``patch_cluster`` for callers that run an event loop (the language server)."""
    file = os.path.realpath(path)
    remember = not dry_run and only is None
    source_key = [*SOURCES_KEY, file]
    if security is None:
        security = Security()  # type: ignore[no-untyped-call]
    connection_args = security.get_connection_args("client")  # type: ignore[no-untyped-call]
    scheduler = rpc(address, timeout=timeout, connection_args=connection_args)  # type: ignore[no-untyped-call]
    try:
        previous = await scheduler.get_metadata(keys=source_key, default=None)
        if remember:
            await scheduler.set_metadata(keys=source_key, value=text)
        request = patch_request(file, text, only, dry_run, timeout)
        replies: dict[str, Any] = await asyncio.wait_for(
            scheduler.broadcast(msg=request, on_error="return_pickle"),
            timeout + _COLLECT_GRACE,
        )
        pids = await scheduler.get_metadata(keys=list(WORKERS_KEY), default={})
        outcomes = outcomes_from_replies(
            {worker: _unpickled(reply) for worker, reply in replies.items()}, pids or {}
        )
        if remember and outcomes and not any(outcome.ok for outcome in outcomes):
            # Workers that join later follow what the cluster runs, not a text it refused.
            await scheduler.set_metadata(keys=source_key, value=previous)
    except (OSError, asyncio.TimeoutError) as error:
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise KernelUnavailableError(
            f"cannot reach the Dask scheduler at {address}: {detail}"
        ) from None
    finally:
        await scheduler.close_rpc()  # type: ignore[no-untyped-call]
    return outcomes


def _unpickled(reply: Any) -> Any:
    # broadcast(on_error="return_pickle") sends a failed worker's exception pickled.
    if isinstance(reply, bytes):
        try:
            return loads(reply)  # type: ignore[no-untyped-call]
        except Exception as error:
            return error
    return reply
