"""Sending a file's text to every attached kernel that runs it, and what came back.

Plain asyncio and frozen values, no LSP: the server turns a ``PatchReport``
into diagnostics and messages (convert.py). Each kernel is patched
concurrently; one that is gone or busy yields an outcome with an ``error``
instead of a result, so the others are not held up.

A program of several processes (a gunicorn master and its workers) is
patched in every process: before a whole-file patch the runtime directory
is looked at again, so a worker that started since is patched too, and a
worker seen only later (or that imports the file later) is sent the text
the others run ("catch-up"). A worker that exits mid-patch is dropped, not
reported: it runs no code at all. With ``dask.scheduler`` set, whole-file
patches also go to every worker of that Dask cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
import typing
from collections.abc import Awaitable, Callable, Iterable

from splice.agent.watch_output import one_per_process
from splice.engine.outline.selection import splice_definition
from splice.engine.result import PatchResult, ProcessOutcome
from splice.errors import KernelUnavailableError, RemoteError, SpliceError
from splice.lsp import definitions
from splice.lsp.kernels import Kernel, KernelRegistry, real_path
from splice.lsp.outcomes import Action, KernelOutcome, LineMap, PatchReport
from splice.lsp.saves import SaveQueue

logger = logging.getLogger(__name__)

#: Seconds a kernel gets to answer one patch before we call it busy.
PATCH_TIMEOUT = float(os.environ.get("SPLICE_LSP_PATCH_TIMEOUT", "15"))


ReportHandler = Callable[[PatchReport], Awaitable[None]]


class Patcher:
    """Runs patch actions against the registry's kernels and hands each report on."""

    def __init__(self, registry: KernelRegistry, on_report: ReportHandler) -> None:
        self.registry = registry
        self._on_report = on_report
        self._saves = SaveQueue(self._save_file, self._modules_of, on_report)
        #: real path -> (uri, the whole text last patched into some process of it)
        self._saved: dict[str, tuple[str, str]] = {}
        #: (pid, real path) -> the whole text last sent to that process
        self._sent: dict[tuple[int, str], str] = {}
        #: real path -> held while a patch action or a catch-up of that file runs
        self._locks: dict[str, asyncio.Lock] = {}
        registry.add_listener(self._catch_up)

    # Saves ------------------------------------------------------------------------

    async def save(self, uri: str, path: str, text: str) -> None:
        """Patch a saved file, in a batch with the saves that arrive with it (``saves.py``)."""
        await self._saves.save(uri, path, text)

    def _save_file(self, uri: str, path: str, text: str) -> Awaitable[PatchReport]:
        return self.patch_file("save", uri, path, text)

    def _modules_of(self, path: str) -> tuple[str, ...]:
        names = {name for _, modules in self.registry.kernels_running(path) for name in modules}
        return tuple(sorted(names))

    # Actions ----------------------------------------------------------------------

    async def patch_file(
        self, action: Action, uri: str, path: str, text: str, delete_removed: bool | None = None
    ) -> PatchReport:
        """Send the whole text to every kernel running ``path``."""
        if delete_removed is None:
            delete_removed = self.registry.settings.delete_removed

        file = real_path(path)

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            # What it was last sent: then only the edit of it goes (agent/deltas.py).
            sent = self._sent.get((kernel.pid, file))
            call = kernel.client.patch(module, text, delete_removed=delete_removed, baseline=sent)
            result = await self._request(kernel, call)
            return _outcome(kernel, module, result)

        async def cluster() -> list[KernelOutcome]:
            return await self._patch_cluster(path, text)

        report = await self._each_kernel(
            action, uri, path, text, one, cluster=cluster, whole_text=True
        )
        return report

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

        # The processes go back to texts of their own: no later one is brought to ours.
        file = real_path(path)
        self._saved.pop(file, None)
        for key in [key for key in self._sent if key[1] == file]:
            del self._sent[key]
        return await self._each_kernel("undo", uri, path, text, one)

    # Plumbing ---------------------------------------------------------------------

    async def _each_kernel(
        self,
        action: Action,
        uri: str,
        path: str,
        text: str,
        patch_one: Callable[[Kernel, str], Awaitable[KernelOutcome]],
        *,
        cluster: Callable[[], Awaitable[list[KernelOutcome]]] | None = None,
        whole_text: bool = False,
    ) -> PatchReport:
        started = time.perf_counter()
        file = real_path(path)
        async with self._lock(file):
            if self.registry.attached:
                # Workers of an attached program that started since the last poll.
                await self._look_for_processes()
            targets = self.registry.kernels_running(path)
            if not targets:
                # A module imported since our last look: ask again once before giving up.
                for kernel in list(self.registry.attached.values()):
                    with contextlib.suppress(SpliceError):
                        await kernel.refresh_modules()
                targets = self.registry.kernels_running(path)
            wants_cluster = cluster is not None and bool(self.registry.settings.dask_scheduler)
            if not targets and not wants_cluster:
                # With kernels attached, report.py words it: "no process runs app.py".
                note = "" if self.registry.attached else "no kernel attached"
                return PatchReport(action, uri, path, text, note=note)

            async def on_cluster() -> list[KernelOutcome]:
                return await cluster() if cluster is not None and wants_cluster else []

            jobs = [
                self._guarded(patch_one, kernel, module)
                for kernel, modules in targets
                for module in modules
            ]
            # The cluster's workers at the same time as the kernels.
            answers, cluster_outcomes = await asyncio.gather(asyncio.gather(*jobs), on_cluster())
            outcomes = fold(answer for answer in answers if answer is not None)
            outcomes += cluster_outcomes
            if whole_text:
                self._remember(uri, file, text, outcomes)
        elapsed = (time.perf_counter() - started) * 1000
        return PatchReport(action, uri, path, text, tuple(outcomes), elapsed)

    async def _guarded(
        self,
        patch_one: Callable[[Kernel, str], Awaitable[KernelOutcome]],
        kernel: Kernel,
        module: str,
    ) -> KernelOutcome | None:
        """One kernel's outcome, named as results name it; None if its process exited."""
        try:
            outcome = await patch_one(kernel, module)
        except _Exited:
            return None
        except _Failed as failure:
            outcome = _outcome(kernel, module, error=str(failure))
        except SpliceError as error:
            outcome = _outcome(kernel, module, error=str(error))
        return dataclasses.replace(outcome, program=self.registry.label(kernel))

    def _lock(self, file: str) -> asyncio.Lock:
        return self._locks.setdefault(file, asyncio.Lock())

    async def _look_for_processes(self) -> None:
        try:
            await self.registry.refresh()
        except Exception:
            logger.exception("looking for new processes failed")

    def _remember(self, uri: str, file: str, text: str, outcomes: list[KernelOutcome]) -> None:
        """What each process now runs, so that a process seen later is sent the same text."""
        for outcome in outcomes:
            if outcome.result is not None and outcome.module is not None:
                self._sent[(outcome.pid, file)] = text
        # A text every process refused runs nowhere: later processes follow the others.
        if any(outcome.ok for outcome in outcomes):
            self._saved[file] = (uri, text)

    # Late processes ---------------------------------------------------------------

    async def _catch_up(self, kernel: Kernel, files: list[str] | None) -> None:
        """A process attached (``files`` None) or imported ``files``: bring it to the saved text."""
        for file in list(files if files is not None else self._saved):
            saved = self._saved.get(file)
            if saved is None:
                continue
            uri, text = saved
            async with self._lock(file):
                if self.registry.attached.get(kernel.pid) is not kernel:
                    return
                saved = self._saved.get(file)
                if saved is None or saved[1] != text or self._sent.get((kernel.pid, file)) == text:
                    continue
                report = await self._catch_up_file(kernel, uri, file, text)
            if report is not None:
                await self._on_report(report)

    async def _catch_up_file(
        self, kernel: Kernel, uri: str, file: str, text: str
    ) -> PatchReport | None:
        modules = kernel.module_names(file)
        if not modules:
            return None
        started = time.perf_counter()
        delete_removed = self.registry.settings.delete_removed

        async def one(kernel: Kernel, module: str) -> KernelOutcome:
            result = await self._request(
                kernel, kernel.client.patch(module, text, delete_removed=delete_removed)
            )
            return _outcome(kernel, module, result)

        answers = await asyncio.gather(*(self._guarded(one, kernel, name) for name in modules))
        outcomes = fold(answer for answer in answers if answer is not None)
        if not outcomes:
            return None
        [outcome] = outcomes
        if outcome.result is not None:
            self._sent[(kernel.pid, file)] = text
        logger.info(
            "pid %s, seen after the save of %s, was sent the saved text: %s",
            kernel.pid,
            os.path.basename(file),
            "ok" if outcome.ok else outcome.error or "refused",
        )
        if outcome.ok and not _changed(outcome.result):
            return None  # it already ran the saved text (a spawned worker imported it)
        elapsed = (time.perf_counter() - started) * 1000
        return PatchReport("save", uri, file, text, (outcome,), elapsed, catch_up=True)

    # Dask -------------------------------------------------------------------------

    async def _patch_cluster(self, path: str, text: str) -> list[KernelOutcome]:
        """The text into every worker of the ``dask.scheduler`` cluster, one outcome each."""
        address = self.registry.settings.dask_scheduler
        if not address:
            return []
        label = f"dask scheduler {address}"
        try:
            from splice import dask as splice_dask

            patch_cluster_async = splice_dask.patch_cluster_async
        except ImportError as error:
            return [KernelOutcome(0, label, error=f"{error} (the setting dask.scheduler is set)")]
        try:
            outcomes = await patch_cluster_async(address, path, text, timeout=PATCH_TIMEOUT)
        except SpliceError as error:
            return [KernelOutcome(0, label, error=str(error))]
        return [KernelOutcome(item.pid, item.program, item.result, item.error) for item in outcomes]

    async def _request(self, kernel: Kernel, call: Awaitable[PatchResult]) -> PatchResult:
        """Await one kernel request, turning "gone" and "busy" into a clear reason."""
        try:
            return await asyncio.wait_for(call, PATCH_TIMEOUT)
        except asyncio.TimeoutError:
            raise _Failed(
                f"did not answer within {PATCH_TIMEOUT:g} s (busy?); "
                "nothing is lost: your changes will be sent with the next save"
            ) from None
        except KernelUnavailableError as error:
            if not await self.registry.lost(kernel, error):
                raise _Failed(f"cannot be reached: {error}") from None
            if kernel.role != "main":
                # A worker that ended (respawned, recycled) runs no code: drop it quietly.
                raise _Exited from None
            raise _Failed(f"is gone ({error}); it was detached") from None
        except RemoteError as error:
            raise _Failed(f"refused the request: {error}") from None


class _Failed(Exception):
    """A kernel could not answer; the message says why, for the user."""


class _Exited(Exception):
    """The kernel's process exited: it runs no code, old or new, so nothing to report."""


def fold(outcomes: Iterable[KernelOutcome]) -> list[KernelOutcome]:
    """One outcome per process (``__main__`` and ``__mp_main__`` answer twice), as ``--watch`` does."""
    chosen: list[ProcessOutcome] = list(outcomes)
    return typing.cast("list[KernelOutcome]", one_per_process(chosen))


def _changed(result: PatchResult | None) -> bool:
    return result is not None and bool(
        result.changed or result.added or result.deleted or result.rebound
    )


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
