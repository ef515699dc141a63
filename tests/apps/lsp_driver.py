"""Saving edits through ``splice lsp`` (a pytest-lsp client), into a program under ``splice run``.

The live program runs under ``splice run`` without ``--watch``; the language
server attaches to it (``autoAttach: workspace``, as editors use it), and each
save is what an editor sends: the files written, then ``didChange`` and
``didSave`` for each, one right after the other ("save all"). What the user
sees is the diagnostics the server publishes and the ``splice/status``
sentences; those are the findings the oracle reads.

The client lives on an event loop of its own thread, so the sequence (which
is synchronous, like the ``--watch`` driver) calls into it with
``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import pytest_lsp
from lsprotocol import types
from oracle import Finding, Observed
from pytest_lsp.client import make_test_lsp_client
from running import Program, python
from watch_driver import write_files

from lsp_support import Session, serving

#: Seconds to wait for the server to report a save, or to attach a new program.
REPORT_TIMEOUT = 30.0
#: Seconds to wait after the last status for diagnostics published right after it.
TRAILING_SECONDS = 0.3

SEVERITIES = {
    types.DiagnosticSeverity.Error: "error",
    types.DiagnosticSeverity.Warning: "warning",
    types.DiagnosticSeverity.Information: "info",
    types.DiagnosticSeverity.Hint: "hint",
}

T = TypeVar("T")


class LspDriver:
    """The live program under ``splice run``; a save goes through a real ``splice lsp`` session."""

    name = "lsp"

    def __init__(self, project: Path, command: list[str]) -> None:
        self.project = project
        self.command = command
        self.program: Program | None = None
        self.session: Session | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._opened: set[str] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="corpus-lsp", daemon=True
        )
        self._thread.start()

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = REPORT_TIMEOUT + 10) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self, port: int | None, env: Mapping[str, str]) -> Program:
        if self.program is not None:
            self.program.stop()
        command = [arg.format(port=port) for arg in self.command]
        self.program = Program([python(), "-m", "splice", "run", *command], self.project, env, port)
        if self.session is None:
            self._call(self._serve(env["SPLICE_RUNTIME_DIR"]))
        return self.program

    async def _serve(self, runtime_dir: str) -> None:
        client = make_test_lsp_client()
        session = Session(client, pytest_lsp.client_capabilities("neovim"), self.project)
        self._stack = contextlib.AsyncExitStack()
        self.session = await self._stack.enter_async_context(serving(client, session, runtime_dir))
        await self.session.initialize(
            {"autoAttach": "workspace", "liveMarkers": False, "logLevel": "warning"}
        )

    def wait_attached(self, processes: int) -> None:
        """Until the server has attached every process of the live program."""
        assert self.program is not None and self.session is not None
        session, root = self.session, self.program.process.pid

        def attached() -> bool:
            if not session.statuses:
                return False
            kernels = session.statuses[-1]["kernels"]
            mine = [k for k in kernels if k["attached"] and (k.get("rootPid") or k["pid"]) == root]
            return len(mine) >= processes

        self._call(session.wait_until(attached, timeout=REPORT_TIMEOUT))

    def save(self, files: Mapping[str, str], expected: list[str]) -> Observed:
        return self._call(self._save(files, expected))

    async def _save(self, files: Mapping[str, str], expected: list[str]) -> Observed:
        session = self.session
        assert session is not None
        client = session.client
        statuses = len(session.statuses)
        published = dict(client.diagnostics)  # the lists themselves: a new publish is a new list
        write_files(self.project, files)
        for path, text in files.items():
            if path not in self._opened:
                self._opened.add(path)
                session.versions[session.uri(path)] = 0
                client.text_document_did_open(
                    types.DidOpenTextDocumentParams(
                        text_document=types.TextDocumentItem(
                            uri=session.uri(path), language_id="python", version=0, text=text
                        )
                    )
                )
            else:
                session.edit(text, path)
        for path, text in files.items():
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=session.uri(path)), text=text
                )
            )

        def reported() -> list[dict[str, Any]]:
            return [s["lastPatch"] for s in session.statuses[statuses:] if s["lastPatch"]]

        deadline = time.monotonic() + REPORT_TIMEOUT
        while len(reported()) < len(expected) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(TRAILING_SECONDS)
        patches = reported()
        observed = Observed()
        for patch in patches:
            observed.lines.append(patch["summary"])
            kernels = patch.get("kernels", [])
            failed = [kernel for kernel in kernels if not kernel["ok"]]
            if not patch["ok"] and len(failed) == len(kernels):
                observed.refused = True
            elif failed:
                observed.partly_failed = True
        for uri, items in client.diagnostics.items():
            if published.get(uri) is items:
                continue  # published before this save
            for item in items:
                finding = Finding(
                    self._relative(uri),
                    item.range.start.line + 1,
                    SEVERITIES.get(item.severity or types.DiagnosticSeverity.Error, "error"),
                    str(item.code),
                    item.message,
                )
                observed.findings.append(finding)
                observed.lines.append(finding.render())
        reported_files = {Path(self._relative(patch["uri"])).name for patch in patches}
        observed.unreported = [name for name in expected if name not in reported_files]
        return observed

    def _relative(self, uri: str) -> str:
        path = Path(unquote(urlparse(uri).path))
        with contextlib.suppress(ValueError):
            return str(path.relative_to(self.project.resolve()))
        return str(path)

    def close(self) -> None:
        if self.program is not None:
            self.program.stop()
            self.program = None
        if self._stack is not None:
            with contextlib.suppress(Exception):
                self._call(self._stack.aclose(), timeout=20)
            self._stack = None
            self.session = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()
