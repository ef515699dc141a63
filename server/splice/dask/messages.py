"""The messages between ``patch_cluster`` and the workers' plugins, and their conversion.

A worker answers ``splice_patch`` with ``{"pid", "results", "error"}``
(``results``: ``PatchResult.to_dict()`` per module that runs the file). The
scheduler's ``broadcast`` hands back, for a worker it could not reach or that
died before answering, the pickled exception instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from splice.engine.result import PatchResult, ProcessOutcome

#: The worker handler the plugin adds (Dask's own RPC: no port of ours).
PATCH_OPERATION = "splice_patch"
#: Scheduler metadata: the latest text patched into each file, by real path.
SOURCES_KEY = ("splice", "sources")
#: Scheduler metadata: the pid of each worker whose plugin is set up, by address.
WORKERS_KEY = ("splice", "workers")

NOT_SET_UP = (
    "the splice plugin is not set up on this worker "
    "(register it: client.register_plugin(splice.dask.SplicePlugin()))"
)


def patch_request(
    file: str, source: str, only: Sequence[str] | None, dry_run: bool, timeout: float
) -> dict[str, Any]:
    return {
        "op": PATCH_OPERATION,
        "file": file,
        "source": source,
        "only": list(only) if only is not None else None,
        "dry_run": dry_run,
        "timeout": timeout,
    }


def patch_reply(
    pid: int, results: Sequence[PatchResult] = (), error: str | None = None
) -> dict[str, Any]:
    return {"pid": pid, "results": [result.to_dict() for result in results], "error": error}


def worker_label(address: str) -> str:
    return f"dask worker {address}"


def outcomes_from_replies(
    replies: Mapping[str, Any], pids: Mapping[str, int]
) -> list[ProcessOutcome]:
    """One outcome per worker and module that runs the file, failures included, by address."""
    outcomes: list[ProcessOutcome] = []
    for address in sorted(replies):
        outcomes.extend(outcomes_from_reply(address, replies[address], pids.get(address, 0)))
    return outcomes


def outcomes_from_reply(address: str, reply: Any, pid: int) -> list[ProcessOutcome]:
    program = worker_label(address)
    if isinstance(reply, BaseException):
        return [ProcessOutcome(pid, program, error=describe_failure(reply))]
    if not isinstance(reply, dict) or "results" not in reply:
        return [ProcessOutcome(pid, program, error=NOT_SET_UP)]
    pid = int(reply.get("pid") or pid)
    if reply.get("error"):
        return [ProcessOutcome(pid, program, error=str(reply["error"]))]
    return [
        ProcessOutcome(pid, program, result=PatchResult.from_dict(data))
        for data in reply["results"]
    ]


def describe_failure(error: BaseException) -> str:
    """Why a worker gave no answer: it died, or the scheduler could not reach it."""
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    # distributed.comm.CommClosedError is an OSError.
    if isinstance(error, (OSError, EOFError)):
        return f"the worker died or closed the connection before answering ({detail})"
    return f"the worker could not be patched ({detail})"
