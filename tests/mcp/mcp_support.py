"""Driving ``splice mcp`` with the MCP SDK's own stdio client (importable as ``mcp_support``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult


@contextlib.asynccontextmanager
async def serving(runtime_dir: Path, *arguments: str) -> AsyncIterator[Client]:
    """``python -m splice mcp`` in a subprocess, through the SDK's stdio client.

    The stdio client passes on only a few variables (PATH, HOME...); the
    server finds the test's kernels through ``SPLICE_RUNTIME_DIR``.
    """
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "splice", "mcp", *arguments],
        env={"SPLICE_RUNTIME_DIR": str(runtime_dir)},
    )
    async with Client(parameters, read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool's structured result; fails the test if the tool answered with an error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """The text of a tool error (fails the test if the tool succeeded)."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return text_of(result)


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
