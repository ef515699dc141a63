"""The MCP server: five tools over the kernels of this user, on stdio only.

The only module that imports the MCP SDK (``mcp``) and pydantic. Each tool
is a thin handler: unpack the arguments, await ``patching``, ``values`` or
``kernels``, return a typed dictionary from ``shapes``. A mistake of the
caller's (no such kernel, an unreadable file) is a tool error whose text
says what to do; a patch the kernel refuses is a result (``ok: false``,
with its findings), not an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from splice import __version__
from splice.agent import connection
from splice.agent.connection import UnsafeRuntimeDirectoryError
from splice.mcp import kernels, shapes, values
from splice.mcp.kernels import ToolInputError
from splice.mcp.patching import Patcher

T = TypeVar("T")

INSTRUCTIONS = """\
splice patches running Python programs in place, function by function, \
keeping their state. After you edit a .py file that a running program has \
imported (a program started with `splice run`, or one that called \
`splice.listen()`), call patch_file with the file's path: every process \
running it takes the new code, or the result says precisely why not \
(findings with a code, a line and what to do). Top-level statements other \
than imports and literal assignments are not re-run; they come back as \
skipped findings. list_kernels shows the running programs; evaluate runs \
code in one process and read_value reads a live value without running any; \
undo_patch makes the processes run the text they ran before the last patch."""

File = Annotated[
    str,
    Field(description="path of the Python file (absolute, or relative to the server's directory)"),
]
Pid = Annotated[
    int | None,
    Field(description="the process (from list_kernels); may be left out when only one kernel runs"),
]
Module = Annotated[str, Field(description="the module whose namespace to use")]


async def answer(work: Awaitable[T]) -> T:
    """The tool's result, or a tool error whose text says what to do."""
    try:
        return await work
    except (ToolInputError, UnsafeRuntimeDirectoryError) as error:
        raise ToolError(str(error)) from None


def build_server(patcher: Patcher) -> MCPServer:
    """The server with its tools; ``patcher`` keeps what was sent to which program."""

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        poller = asyncio.create_task(patcher.poll_forever())
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    server: MCPServer = MCPServer(
        "splice", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan
    )
    reads = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    writes = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)

    @server.tool(annotations=reads)
    async def list_kernels(
        file: Annotated[
            str | None,
            Field(
                description="also say which processes run this Python file, and as which modules"
            ),
        ] = None,
    ) -> shapes.KernelListing:
        """The running programs that splice can patch, each with its processes (pid, parent,
        role, command line, uptime); with `file`, which processes run that file."""

        async def work() -> shapes.KernelListing:
            directory = connection.runtime_dir(create=False)
            found = connection.scan()
            modules = {}
            if file is not None:
                path = os.path.abspath(file)
                modules = await kernels.modules_by_process(list(found.kernels), path, 10.0)
            return shapes.kernel_listing(directory, found, modules, patcher.take_late())

        return await answer(work())

    @server.tool(annotations=writes)
    async def patch_file(
        file: File,
        dry_run: Annotated[
            bool, Field(description="report what would change, change nothing")
        ] = False,
        only: Annotated[
            list[str] | None,
            Field(description="patch only these definitions (qualified names, e.g. Cart.total)"),
        ] = None,
    ) -> shapes.PatchReport:
        """Make every running process that has imported `file` run its current text (as on
        disk), in place: changed functions keep their identity, nothing is half applied.
        `ok` is true when every process applied it; `findings` say what was refused, skipped
        or needs attention, each with a code, a line and a message."""
        report = await answer(patcher.patch(file, dry_run=dry_run, only=only))
        return shapes.patch_report(report, patcher.take_late())

    @server.tool(annotations=writes)
    async def undo_patch(file: File) -> shapes.PatchReport:
        """Make every process that runs `file` run the text it ran before its last patch
        (identity kept, all or nothing). The file on disk is not changed."""
        report = await answer(patcher.undo(file))
        return shapes.patch_report(report, patcher.take_late())

    @server.tool(annotations=writes)
    async def evaluate(
        code: Annotated[
            str,
            Field(
                description="Python to run: an expression, or statements whose last one, "
                "if an expression, gives the value"
            ),
        ],
        pid: Pid = None,
        module: Module = "__main__",
        timeout_seconds: Annotated[
            float, Field(gt=0, description="interrupt the code after this long")
        ] = 30.0,
    ) -> shapes.Evaluation:
        """Run Python in a live process, in a module's namespace, and return the value's repr
        and what it printed. It really runs, with the program's state: a call can change it."""
        return await answer(values.evaluate(code, pid, module, timeout_seconds))

    @server.tool(annotations=reads)
    async def read_value(
        name: Annotated[str, Field(description="a module-level name or dotted chain: cfg.lr")],
        pid: Pid = None,
        module: Module = "__main__",
        attributes: Annotated[bool, Field(description="also list the value's attributes")] = False,
    ) -> shapes.LiveValue:
        """Read a live value without running the program's code (properties are not called):
        its type, repr, and for a function its signature and docstring."""
        return await answer(values.read_value(name, pid, module, attributes))

    return server


def serve(timeout: float) -> int:
    """Serve on stdin/stdout until the client closes them."""
    build_server(Patcher(timeout=timeout)).run("stdio")
    return 0
