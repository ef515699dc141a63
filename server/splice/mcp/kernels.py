"""Which kernels a tool talks to: the connection files of this user's runtime directory.

Every tool call looks again (a directory listing), so a process that started
since the last call is there, and opens connections of its own that it
closes before answering: the server holds nothing open between calls. The
token in each connection file is presented on every connection, exactly as
the language server and ``splice patch`` do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.client.client import KernelClient
from splice.errors import SpliceError

#: Seconds to reach a kernel and present the token.
CONNECT_TIMEOUT = 5.0


class ToolInputError(Exception):
    """A tool was called with something that names no kernel or file: said to the agent as is."""


def real_path(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def discover() -> list[ConnectionInfo]:
    """The live kernels of this user, oldest first (stale files are removed, untrusted ones skipped)."""
    return connection.discover()


def who(info: ConnectionInfo) -> str:
    """``pid 4242 (app.py)``: how results name a process."""
    return f"pid {info.pid} ({info.program or 'python'})"


def choose(kernels: list[ConnectionInfo], pid: int | None) -> ConnectionInfo:
    """The kernel ``pid`` names, or the only one there is; ToolInputError otherwise."""
    if pid is not None:
        for info in kernels:
            if info.pid == pid:
                return info
        raise ToolInputError(f"no splice kernel with pid {pid}; {_choices(kernels)}")
    if len(kernels) == 1:
        return kernels[0]
    if not kernels:
        raise ToolInputError(no_kernels())
    raise ToolInputError(f"several kernels run; pass pid: {_choices(kernels)}")


def no_kernels() -> str:
    return (
        f"no live splice kernel (looked in {connection.runtime_dir(create=False)}); start the program with "
        "'splice run app.py', or 'splice attach PID' for one already running"
    )


def _choices(kernels: list[ConnectionInfo]) -> str:
    if not kernels:
        return no_kernels()
    return "the kernels are " + ", ".join(who(info) for info in kernels)


@contextlib.asynccontextmanager
async def connected(
    info: ConnectionInfo, purpose: str, request_timeout: float | None
) -> AsyncIterator[KernelClient]:
    """An authenticated connection to one kernel, closed on the way out."""
    client = await KernelClient.connect(
        info,
        client_name=f"splice mcp {purpose}",
        timeout=CONNECT_TIMEOUT,
        request_timeout=request_timeout,
    )
    try:
        yield client
    finally:
        await client.close()


async def modules_running(client: KernelClient, path: str) -> list[str]:
    """The names under which the kernel has loaded the file ``path`` (``__main__`` first)."""
    wanted = real_path(path)
    names = [
        str(entry["name"])
        for entry in await client.modules()
        if entry.get("file") and real_path(str(entry["file"])) == wanted
    ]
    return sorted(names, key=lambda name: (name != "__main__", name))


async def modules_by_process(
    kernels: list[ConnectionInfo], path: str, timeout: float
) -> dict[int, list[str] | None]:
    """pid -> the names each kernel runs ``path`` as (None: the kernel did not answer)."""

    async def one(info: ConnectionInfo) -> list[str] | None:
        try:
            async with connected(info, "list", timeout) as client:
                return await modules_running(client, path)
        except (SpliceError, OSError):
            return None

    found = await asyncio.gather(*(one(info) for info in kernels))
    return {info.pid: names for info, names in zip(kernels, found, strict=True)}
