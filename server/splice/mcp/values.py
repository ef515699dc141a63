"""Evaluating code in a chosen process, and reading a live value without running any.

An evaluation gets a connection of its own and an id; when its time runs
out, or the agent cancels the tool call, the kernel is asked over a second
connection to interrupt it (the agent's ``cancel``), as the language server
does, so the user's program is not left running an abandoned evaluation.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from typing import Any

from splice.agent.connection import ConnectionInfo
from splice.errors import RemoteError, SpliceError, describe_kernel_error
from splice.mcp.kernels import ToolInputError, choose, connected, discover, who
from splice.mcp.shapes import Evaluation, LiveValue

#: Characters of a value's text sent back: enough to read, small enough for a model's context.
MAX_REPR = 20_000

#: The agent's error code for an evaluation that raised or was cancelled (docs/protocol.md).
RAISED = SpliceError.rpc_code

_ids = itertools.count(1)


def _kernel(pid: int | None) -> ConnectionInfo:
    return choose(discover(), pid)


async def evaluate(
    code: str, pid: int | None, module: str, timeout: float, max_repr: int = MAX_REPR
) -> Evaluation:
    """Run ``code`` (statements; the last one's value is the result) in ``module`` of one process."""
    info = _kernel(pid)
    evaluation_id = f"mcp-{os.getpid()}-{next(_ids)}"
    params = {
        "module": module,
        "expression": code,
        "statements": True,
        "id": evaluation_id,
        "maxRepr": max_repr,
    }
    answer: Evaluation = {
        "pid": info.pid,
        "process": who(info),
        "module": module,
        "ok": True,
        "value": None,
        "type": None,
        "truncated": False,
        "output": "",
        "error": None,
        "exception": None,
        "traceback": None,
    }
    try:
        async with connected(info, "evaluate", None) as client:
            try:
                result = await asyncio.wait_for(client.request("evaluate", params), timeout)
            except (asyncio.TimeoutError, asyncio.CancelledError) as stopped:
                await asyncio.shield(_cancel(info, evaluation_id))
                if isinstance(stopped, asyncio.CancelledError):
                    raise
                answer["ok"] = False
                answer["exception"] = "EvaluationCancelled"
                answer["error"] = (
                    f"the evaluation did not finish within {timeout:g} s; it was interrupted"
                    " (code stuck in C is interrupted when it returns to Python)"
                )
                return answer
    except RemoteError as error:
        if error.code != RAISED:
            raise ToolInputError(f"{who(info)}: {error}") from None  # not Python, no such module
        data = error.data if isinstance(error.data, dict) else {}
        message = str(error)
        if message.startswith("evaluation raised "):
            message = message[len("evaluation raised ") :]
        answer["ok"] = False
        answer["error"] = message
        answer["output"] = str(data.get("output") or "")
        answer["exception"] = str(data["exception"]) if data.get("exception") else None
        answer["traceback"] = str(data.get("traceback") or "")
        return answer
    except SpliceError as error:
        raise ToolInputError(describe_kernel_error(error, info.path)) from None
    value = result.get("value")
    answer["value"] = value if isinstance(value, str) else None
    answer["type"] = result.get("type")
    answer["truncated"] = bool(result.get("truncated"))
    answer["output"] = str(result.get("output") or "")
    return answer


async def read_value(
    name: str, pid: int | None, module: str, attributes: bool, max_repr: int = MAX_REPR
) -> LiveValue:
    """What a module-level name or dotted chain is now: the agent's ``inspect``, which runs
    no code of the program but the value's ``__repr__``."""
    info = _kernel(pid)
    params = {"module": module, "expression": name, "maxRepr": max_repr, "attributes": attributes}
    try:
        async with connected(info, "read", 30.0) as client:
            result: dict[str, Any] = await client.request("inspect", params)
    except RemoteError as error:
        raise ToolInputError(f"{who(info)}: {error}") from None
    except SpliceError as error:
        raise ToolInputError(describe_kernel_error(error, info.path)) from None
    found = bool(result.get("found"))
    listed = result.get("attributes") or []
    return {
        "pid": info.pid,
        "process": who(info),
        "module": module,
        "name": name,
        "found": found,
        "reason": None if found else str(result.get("reason", "")),
        "kind": result.get("kind"),
        "type": result.get("type"),
        "value": result.get("value"),
        "truncated": bool(result.get("truncated")),
        "signature": result.get("signature"),
        "doc": result.get("doc"),
        "attributes": [str(item["name"]) for item in listed] if attributes else None,
    }


async def _cancel(info: ConnectionInfo, evaluation_id: str) -> None:
    with contextlib.suppress(SpliceError, OSError):
        async with connected(info, "cancel", 2.0) as client:
            await client.request("cancel", {"id": evaluation_id})
