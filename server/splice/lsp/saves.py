"""Saves, as the language server patches them: folded per file, batched across files.

A burst of saves of one file is patched once, with its latest text (every
patch is diffed against what the kernel runs, so nothing is lost). Saves of
several files that arrive together ("Save All", a checkout, a rename and its
importers) are one batch, patched as ``--watch`` patches one poll
(``splice.agent.batch``): in import order, and a file whose patch failed
because running its new text raised is patched once more after the rest of
the batch, reporting only that second answer.

Editors send "Save All" as separate notifications, which the server reads
one at a time, so a batch holds what arrived before it started. A file that
failed last in its batch is therefore not reported at once: when a save of
another file applies within ``REPORT_DELAY``, the failed file is patched
again after it and only that answer is reported; otherwise its failure is
reported then (a patch is all or nothing: the failure changed nothing
meanwhile). Until ``RETRY_WINDOW``, a save of another file that applies
still brings a retry of a failure already reported. Only failures cost the
wait; a save that applies is reported at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from splice.agent.batch import SavedFile, applied, import_order, needs_retry
from splice.lsp.kernels import real_path
from splice.lsp.outcomes import PatchReport

#: Seconds a failure (running its new text raised) waits before it is reported.
REPORT_DELAY = 0.3
#: Seconds during which a failed file is retried after another file's save applies.
RETRY_WINDOW = 2.0

PatchFile = Callable[[str, str, str], Awaitable[PatchReport]]
ReportHandler = Callable[[PatchReport], Awaitable[None]]


@dataclass
class _Pending:
    uri: str
    path: str
    text: str
    done: list[asyncio.Future[None]] = field(default_factory=list)


@dataclass
class _Failed:
    uri: str
    path: str
    text: str
    since: float
    #: The failure's report, until it is reported (after ``REPORT_DELAY``).
    unreported: PatchReport | None = None


class SaveQueue:
    """Patches saved files in batches; ``save`` returns once its text was patched."""

    def __init__(
        self,
        patch_file: PatchFile,
        modules_of: Callable[[str], tuple[str, ...]],
        on_report: ReportHandler,
    ) -> None:
        self._patch_file = patch_file
        self._modules_of = modules_of
        self._on_report = on_report
        self._pending: dict[str, _Pending] = {}  # real path -> its latest unpatched save
        self._running = False
        self._failed: dict[str, _Failed] = {}  # real path -> failed last in its batch

    async def save(self, uri: str, path: str, text: str) -> None:
        key = real_path(path)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = _Pending(uri, path, text, [waiter])
        else:
            pending.uri, pending.path, pending.text = uri, path, text
            pending.done.append(waiter)
        self._failed.pop(key, None)  # a newer text replaces one that failed
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._run())
        await waiter

    async def _run(self) -> None:
        try:
            # One turn of the loop: saves that arrived with this one join its batch.
            await asyncio.sleep(0)
            while self._pending:
                batch, self._pending = self._pending, {}
                try:
                    await self._patch_batch(list(batch.values()))
                finally:
                    for pending in batch.values():
                        for waiter in pending.done:
                            if not waiter.done():
                                waiter.set_result(None)
        finally:
            self._running = False

    async def _patch_batch(self, batch: list[_Pending]) -> None:
        by_path = {pending.path: pending for pending in batch}
        files = import_order(
            [SavedFile(item.path, item.text, self._modules_of(item.path)) for item in batch]
        )
        reports: list[PatchReport] = []
        held: list[tuple[_Pending, PatchReport]] = []
        for position, file in enumerate(files):
            pending = by_path[file.path]
            report = await self._patch_file(pending.uri, pending.path, pending.text)
            if needs_retry(report.outcomes):
                if position < len(files) - 1:
                    held.append((pending, report))  # reported after its second try
                    continue
                self._hold_failure(pending, report)
                continue
            await self._on_report(report)
            reports.append(report)
        cured = any(applied(report.outcomes) for report in reports)
        for pending, report in held:
            if cured:
                report = await self._patch_file(pending.uri, pending.path, pending.text)
                cured = cured or applied(report.outcomes)
            if needs_retry(report.outcomes):
                self._hold_failure(pending, report)
            else:
                await self._on_report(report)
        if cured:
            await self._retry_failed(exclude=set(by_path))

    def _hold_failure(self, pending: _Pending, report: PatchReport) -> None:
        """Report a failure a moment later, unless a save that cures it comes first."""
        key = real_path(pending.path)
        failed = _Failed(pending.uri, pending.path, pending.text, time.monotonic(), report)
        self._failed[key] = failed
        asyncio.get_running_loop().create_task(self._report_later(key, failed))

    async def _report_later(self, key: str, failed: _Failed) -> None:
        await asyncio.sleep(REPORT_DELAY)
        report, failed.unreported = failed.unreported, None
        if report is not None and self._failed.get(key) is failed:
            await self._on_report(report)

    async def _retry_failed(self, exclude: set[str]) -> None:
        """Files that failed last in an earlier batch, just before this one applied."""
        now = time.monotonic()
        for key, failed in list(self._failed.items()):
            if failed.path in exclude:
                continue
            del self._failed[key]
            if now - failed.since > RETRY_WINDOW:
                continue
            failed.unreported = None  # its second answer is the one reported
            await self._on_report(await self._patch_file(failed.uri, failed.path, failed.text))
