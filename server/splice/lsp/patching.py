"""Sending a file's text to every attached kernel that runs it, and what came back.

Plain asyncio and frozen values, no LSP: the server turns a ``PatchReport``
into diagnostics and messages (convert.py). Each kernel is patched
concurrently; one that is gone or busy yields an outcome with an ``error``
instead of a result, so the others are not held up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from splice.engine.result import Finding, PatchResult
from splice.engine.selection import splice_definition
from splice.errors import KernelUnavailableError, RemoteError, SpliceError
from splice.lsp import definitions
from splice.lsp.kernels import Kernel, KernelRegistry
from splice.report import ProcessOutcome

logger = logging.getLogger(__name__)

#: Seconds a kernel gets to answer one patch before we call it busy.
PATCH_TIMEOUT = float(os.environ.get("SPLICE_LSP_PATCH_TIMEOUT", "15"))


@dataclass(frozen=True)
class LineMap:
    """Where lines of the text sent to a kernel sit in the editor's buffer.

    A single-definition reload sends the kernel's baseline with one definition
    replaced; its findings must land on that definition's lines in the buffer.
    """

    start: int  # first line of the definition in the text sent
    end: int
    shift: int  # add to a line in start..end to get the buffer's line
    fallback: int  # the buffer line for findings outside start..end
    #: add to a column in start..end: the engine re-indents the definition it splices
    column_shift: int = 0

    def to_buffer(self, line: int | None) -> int | None:
        if line is None:
            return None
        return line + self.shift if self.start <= line <= self.end else self.fallback

    def column_to_buffer(self, line: int | None, column: int | None) -> int | None:
        """A finding's column in the buffer; None (the whole line) outside the definition."""
        if line is None or column is None or not self.start <= line <= self.end:
            return None
        return max(column + self.column_shift, 1)


@dataclass(frozen=True)
class KernelOutcome(ProcessOutcome):
    """A process's outcome, plus which module got the text and where its lines sit."""

    module: str | None = None
    line_map: LineMap | None = None

    def findings(self) -> list[Finding]:
        """The result's errors and skips, with lines moved to the buffer's."""
        if self.result is None:
            return []
        found = list(self.result.errors) + list(self.result.skipped)
        if self.line_map is None:
            return found
        mapped = []
        for finding in found:
            line = self.line_map.to_buffer(finding.line)
            end_line = self.line_map.to_buffer(finding.end_line)
            mapped.append(
                Finding(
                    finding.code,
                    finding.message,
                    finding.qualname,
                    line,
                    self.line_map.column_to_buffer(finding.line, finding.column),
                    end_line,
                    finding.severity,
                )
            )
        return mapped


Action = Literal["save", "reloadFile", "reloadDefinition", "runStatement", "applyOthers", "undo"]


@dataclass(frozen=True)
class PatchReport:
    """Everything one patch action did, across kernels.

    ``scope`` is the range of buffer lines the action was about (one
    definition or statement), or None for the whole file: diagnostics of
    earlier actions inside the scope are replaced, the others kept.
    """

    action: Action
    uri: str
    path: str
    text: str  # the buffer text the findings' lines refer to
    outcomes: tuple[KernelOutcome, ...] = ()
    duration_ms: float = 0.0
    scope: tuple[int, int] | None = None
    #: said to the user when no kernel was asked (empty: ``describe_outcomes`` words it)
    note: str = ""

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)


ReportHandler = Callable[[PatchReport], Awaitable[None]]


@dataclass
class _PendingSave:
    text: str | None = None
    uri: str = ""
    running: bool = False
    done: list[asyncio.Future[None]] = field(default_factory=list)


class Patcher:
    """Runs patch actions against the registry's kernels and hands each report on."""

    def __init__(self, registry: KernelRegistry, on_report: ReportHandler) -> None:
        self.registry = registry
        self._on_report = on_report
        self._saves: dict[str, _PendingSave] = {}

    # Saves ------------------------------------------------------------------------

    async def save(self, uri: str, path: str, text: str) -> None:
        """Patch a saved file; saves that arrive while one runs are folded into one.

        Every patch is diffed against what the kernel runs, so patching only the
        latest text of a burst of saves loses nothing and gives one coherent result.
        """
        pending = self._saves.setdefault(path, _PendingSave())
        pending.text, pending.uri = text, uri
        if pending.running:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            pending.done.append(waiter)
            await waiter
            return
        pending.running = True
        try:
            while pending.text is not None:
                text, pending.text = pending.text, None
                waiters, pending.done = pending.done, []
                report = await self.patch_file("save", pending.uri, path, text)
                await self._on_report(report)
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            pending.running = False
            for waiter in pending.done:
                if not waiter.done():
                    waiter.set_result(None)
            pending.done = []

    # Actions ----------------------------------------------------------------------

    async def patch_file(
        self, action: Action, uri: str, path: str, text: str, delete_removed: bool | None = None
    ) -> PatchReport:
        """Send the whole text to every kernel running ``path``."""
        if delete_removed is None:
            delete_removed = self.registry.settings.delete_removed

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            result = await self._request(
                kernel, kernel.client.patch(module, text, delete_removed=delete_removed)
            )
            return _outcome(kernel, module, result)

        return await self._each_kernel(action, uri, path, text, one)

    async def reload_definition(self, uri: str, path: str, text: str, line: int) -> PatchReport:
        """Patch only the definition around 1-based ``line``, taken from the buffer text."""
        target = definitions.definition_at(text, line)
        if target is None:
            return PatchReport(
                "reloadDefinition", uri, path, text, note=f"no function or class at line {line}"
            )

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            baseline = await kernel.client.baseline(module)
            if baseline is None:
                # Nothing recorded to splice into: the buffer itself must parse.
                source, line_map = text, None
            else:
                try:
                    source = splice_definition(baseline, target.qualname, target.text)
                except (LookupError, SyntaxError) as error:
                    return _outcome(kernel, module, error=str(error))
                sent = {d.qualname: d for d in definitions.find_definitions(source)}
                placed = sent[target.qualname]
                line_map = LineMap(
                    placed.line,
                    placed.end_line,
                    target.line - placed.line,
                    target.line,
                    target.indent - placed.indent,
                )
            result = await self._request(
                kernel, kernel.client.patch(module, source, only=[target.qualname])
            )
            return _outcome(kernel, module, result, line_map=line_map)

        report = await self._each_kernel("reloadDefinition", uri, path, text, one)
        return _scoped(report, (target.line, target.end_line))

    async def run_statement(self, uri: str, path: str, text: str, line: int) -> PatchReport:
        """Run the top-level statement at 1-based ``line`` of the buffer text."""

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            result = await self._request(kernel, kernel.client.run_statement(module, line, text))
            return _outcome(kernel, module, result)

        report = await self._each_kernel("runStatement", uri, path, text, one)
        return _scoped(report, (line, line))

    async def apply_others(
        self, uri: str, path: str, text: str, refused: frozenset[str]
    ) -> PatchReport:
        """Patch every changed definition of the buffer except the refused ones."""

        def keep(qualname: str) -> bool:
            return not any(qualname == name or qualname.startswith(name + ".") for name in refused)

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            baseline = await kernel.client.baseline(module)
            if baseline is None:
                return _outcome(
                    kernel,
                    module,
                    error="the kernel has no record of this module's source to compare with",
                )
            changes = definitions.compare(text, baseline)
            others = [name for name in changes.patchable if keep(name)]
            if self.registry.settings.delete_removed:
                others += [name for name in changes.deleted if keep(name)]
            if not others:
                return _outcome(kernel, module, error="no other changed definitions")
            result = await self._request(kernel, kernel.client.patch(module, text, only=others))
            return _outcome(kernel, module, result)

        return await self._each_kernel("applyOthers", uri, path, text, one)

    async def undo(self, uri: str, path: str, text: str) -> PatchReport:
        """Every kernel running ``path`` goes back to the text it ran before its last patch."""

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            result = await self._request(kernel, kernel.client.undo(module))
            if not result.ok:
                return _outcome(kernel, module, error=result.summary())
            # Its findings are about the older text, not the buffer's: the log has them.
            return _outcome(kernel, module, dataclasses.replace(result, skipped=()))

        return await self._each_kernel("undo", uri, path, text, one)

    # Plumbing ---------------------------------------------------------------------

    async def _each_kernel(
        self,
        action: Action,
        uri: str,
        path: str,
        text: str,
        patch_one: Callable[[Kernel, str], Awaitable[KernelOutcome]],
    ) -> PatchReport:
        started = time.perf_counter()
        targets = self.registry.kernels_running(path)
        if not targets:
            # A module imported since our last look: ask again once before giving up.
            for kernel in list(self.registry.attached.values()):
                with contextlib.suppress(SpliceError):
                    await kernel.refresh_modules()
            targets = self.registry.kernels_running(path)
        if not targets:
            # With kernels attached, report.py words it: "no process runs app.py".
            note = "" if self.registry.attached else "no kernel attached"
            return PatchReport(action, uri, path, text, note=note)

        async def guarded(kernel: Kernel, module: str) -> KernelOutcome:
            try:
                return await patch_one(kernel, module)
            except _Failed as failure:
                return _outcome(kernel, module, error=str(failure))
            except SpliceError as error:
                return _outcome(kernel, module, error=str(error))

        jobs = [guarded(kernel, module) for kernel, modules in targets for module in modules]
        outcomes = await asyncio.gather(*jobs)
        elapsed = (time.perf_counter() - started) * 1000
        return PatchReport(action, uri, path, text, tuple(outcomes), elapsed)

    async def _request(self, kernel: Kernel, call: Awaitable[PatchResult]) -> PatchResult:
        """Await one kernel request, turning "gone" and "busy" into a clear reason."""
        try:
            return await asyncio.wait_for(call, PATCH_TIMEOUT)
        except asyncio.TimeoutError:
            raise _Failed(
                f"{kernel.describe()} did not answer within {PATCH_TIMEOUT:g} s (busy?); "
                "nothing is lost: your changes will be sent with the next save"
            ) from None
        except KernelUnavailableError as error:
            await self.registry.lost(kernel, error)
            raise _Failed(f"{kernel.describe()} is gone ({error}); it was detached") from None
        except RemoteError as error:
            raise _Failed(f"{kernel.describe()} refused the request: {error}") from None


class _Failed(Exception):
    """A kernel could not answer; the message says why, for the user."""


def _scoped(report: PatchReport, scope: tuple[int, int]) -> PatchReport:
    return dataclasses.replace(report, scope=scope)


def _outcome(
    kernel: Kernel,
    module: str,
    result: PatchResult | None = None,
    *,
    error: str | None = None,
    line_map: LineMap | None = None,
) -> KernelOutcome:
    return KernelOutcome(
        pid=kernel.pid,
        program=kernel.program,
        result=result,
        error=error,
        module=module,
        line_map=line_map,
    )
