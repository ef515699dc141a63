"""What the language server's end-to-end tests share: the app, a session wrapper, helpers.

A plain module (not a conftest) so that test files import it by name whatever
other conftest modules pytest has loaded (tests/engine and tests/agent have their
own). The fixtures that build on it are in tests/lsp/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import typing
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from kernel_support import RunningKernel
from splice.errors import SpliceError

APP = """\
import time


def total(x):
    return x * 2


class Base:
    pass


class Other:
    pass


class Cart(Base):
    def __init__(self):
        self.items = [1, 2]

    def count(self):
        return len(self.items)


ready = True
while True:
    time.sleep(0.02)
"""


KernelFactory = Callable[..., RunningKernel]


def wait_ready(kernel: RunningKernel, timeout: float = 10.0) -> None:
    """The connection file appears before the program has run its definitions."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = kernel.evaluate("'ready' in globals()")
            if last == "True":
                return
        except SpliceError as error:
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel never got ready ({last!r}): {kernel.stderr()}")
        time.sleep(0.02)


class Session:
    """A pytest-lsp client plus the helpers the tests share."""

    def __init__(
        self, client: LanguageClient, capabilities: types.ClientCapabilities, project: Path
    ):
        self.client = client
        self.capabilities = capabilities
        self.project = project
        self.statuses: list[dict[str, Any]] = []
        self.versions: dict[str, int] = {}
        self.initialize_result: types.InitializeResult | None = None

    def uri(self, name: str = "app.py") -> str:
        return (self.project / name).as_uri()

    async def initialize(
        self, settings: dict[str, Any] | None = None, folder: bool = True
    ) -> dict[str, Any]:
        """Initialize; return the first ``splice/status`` (the readiness signal)."""
        ready = self.wait_status()
        folders = (
            [types.WorkspaceFolder(uri=self.project.as_uri(), name="project")] if folder else None
        )
        self.initialize_result = await self.client.initialize_session(
            types.InitializeParams(
                capabilities=self.capabilities,
                root_uri=self.project.as_uri() if folder else None,
                workspace_folders=folders,
                initialization_options=settings,
            )
        )
        return await self.within(ready)

    def wait_status(self) -> asyncio.Future[Any]:
        """A future for the next ``splice/status``: take it before acting (no race)."""
        return self.client.protocol.wait_for_notification_async("splice/status")

    def wait_diagnostics(self) -> asyncio.Future[Any]:
        return self.client.protocol.wait_for_notification_async(
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
        )

    @staticmethod
    async def within(future: Any, timeout: float = 15.0) -> Any:
        return plain(await asyncio.wait_for(future, timeout))

    def open(self, name: str = "app.py") -> str:
        uri = self.uri(name)
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=(self.project / name).read_text()
                )
            )
        )
        return uri

    def edit(self, text: str, name: str = "app.py") -> None:
        """Replace the buffer's text without saving."""
        uri = self.uri(name)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def save(self, text: str, name: str = "app.py") -> dict[str, Any]:
        """Write, edit and save the file; return the status that follows the patch."""
        (self.project / name).write_text(text)
        self.edit(text, name)
        done = self.wait_status()
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri(name)), text=text
            )
        )
        status = await self.within(done)
        await self.settled()
        return status

    async def settled(self) -> None:
        """Every notification the server sent so far has arrived: the status comes first,
        the diagnostics just after it; a request's answer follows them all."""
        await self.within(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="splice.listKernels", arguments=[])
            )
        )

    async def command(self, name: str, *arguments: Any) -> Any:
        return plain(
            await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=name, arguments=list(arguments))
            )
        )

    async def code_actions(
        self,
        line: int,
        character: int = 4,
        diagnostics: list[Any] | None = None,
        name: str = "app.py",
    ) -> list[Any]:
        position = types.Position(line=line, character=character)
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri(name)),
                range=types.Range(start=position, end=position),
                context=types.CodeActionContext(diagnostics=diagnostics or []),
            )
        )
        return list(result or [])

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)


def fix_code_action_structure(client: LanguageClient) -> None:
    """lsprotocol's client side turns a CodeAction with a command into a bare Command.

    Pick Command only when ``command`` is a string (a real Command's shape).
    """
    converter = client.protocol._converter

    def structure(value: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, structure)
    converter.register_structure_hook(typing.Union[types.Command, types.CodeAction], structure)  # noqa: UP007


def plain(value: Any) -> Any:
    """pygls hands custom notifications over as attrs-like objects; make them dicts."""
    if hasattr(value, "_asdict"):
        return plain(value._asdict())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {key: plain(item) for key, item in vars(value).items()}
    return value


def errors(diagnostics: Any) -> list[types.Diagnostic]:
    """The error diagnostics (a refused edit), without the warnings beside them."""
    return [item for item in diagnostics if item.severity == types.DiagnosticSeverity.Error]


def line_of(text: str, needle: str) -> int:
    """The 0-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


@contextlib.asynccontextmanager
async def serving(
    client: LanguageClient, session: Session, runtime_dir: str, env: dict[str, str] | None = None
) -> AsyncIterator[Session]:
    """``python -m splice lsp`` for ``session``'s client, sharing ``runtime_dir`` with kernels."""

    @client.feature("splice/status")
    def on_status(params: Any) -> None:
        session.statuses.append(plain(params))

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_code_lens_refresh(params: Any) -> None:
        return None

    server_env = dict(os.environ, SPLICE_RUNTIME_DIR=runtime_dir, **(env or {}))
    await client.start_io(sys.executable, "-m", "splice", "lsp", env=server_env)
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 10)
        server = client._server
        if server is not None and server.returncode is None:
            # Never initialized (the test failed early), or stuck: do not hang the run.
            try:
                await asyncio.wait_for(server.wait(), 3)
            except asyncio.TimeoutError:
                server.kill()
        await client.stop()
