"""Patching a file into every process that runs it, undoing, and catching up late processes.

What a save in the editor does, for a file an agent has written: the text
goes to every live kernel of this user that has the file loaded (every
process of every program, concurrently), and each answers with its
``PatchResult``. As in the language server, the server remembers the text
it sent to each program; a process of that program that shows up later
(a worker forked just before the patch, published just after) is brought to
the same text by the next look, which comes right after the patch, then
every half second, and is reported with the next tool call
(``lateProcesses``), only when that changed something or failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.agent.watch import one_per_process
from splice.client.client import KernelClient
from splice.engine.result import PatchResult, ProcessOutcome
from splice.errors import KernelTimeoutError, SpliceError, describe_kernel_error
from splice.mcp.kernels import (
    ToolInputError,
    connected,
    discover,
    modules_running,
    no_kernels,
    real_path,
)
from splice.report import describe_catch_up, describe_outcomes

logger = logging.getLogger(__name__)

#: Seconds a process whose connection failed has to be gone, to count as exited.
EXIT_GRACE = 0.5

Work = Callable[[KernelClient, str], Awaitable[PatchResult]]
#: A process as the server remembers it: a pid may be reused, its start time is not.
ProcessKey = tuple[int, float]


@dataclass(frozen=True)
class ProcessAnswer:
    """One process's answer for one file: a result per module name it runs the file as, or why none."""

    info: ConnectionInfo
    modules: tuple[str, ...] = ()
    results: tuple[PatchResult, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(result.ok for result in self.results)

    @property
    def fully_applied(self) -> bool:
        return self.error is None and all(result.fully_applied for result in self.results)

    @property
    def changed_something(self) -> bool:
        return any(result.patched_count or result.statements_applied for result in self.results)

    def outcomes(self) -> list[ProcessOutcome]:
        """What ``splice.report`` words: one outcome per module (folded per process there)."""
        program = self.info.program
        if self.error is not None or not self.results:
            return [ProcessOutcome(self.info.pid, program, error=self.error or "no answer")]
        return [ProcessOutcome(self.info.pid, program, result) for result in self.results]


@dataclass(frozen=True)
class FileReport:
    """Everything one ``patch_file`` or ``undo_patch`` call did, across processes."""

    action: str  # "patch" | "undo"
    path: str
    answers: tuple[ProcessAnswer, ...]
    kernels_checked: int
    duration_ms: float
    dry_run: bool = False
    #: processes reached after the others and brought to the same text (this call's look)
    late: tuple[ProcessAnswer, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.answers) and all(answer.ok for answer in self.answers)

    @property
    def fully_applied(self) -> bool:
        return bool(self.answers) and all(answer.fully_applied for answer in self.answers)

    def summary(self) -> str:
        name = os.path.basename(self.path)
        if not self.answers:
            return (
                f"no process runs {name} ({self.kernels_checked} kernel"
                f"{'' if self.kernels_checked == 1 else 's'} checked): nothing was patched; "
                "a program that imports it later gets the file as it is on disk"
            )
        outcomes = one_per_process([o for answer in self.answers for o in answer.outcomes()])
        sentence = describe_outcomes(name, outcomes)
        if self.action == "undo":
            return (
                f"undo: {sentence}. The file on disk still has the edit: change it back too, "
                "or the next patch_file sends it again"
            )
        return sentence


@dataclass(frozen=True)
class _Latest:
    """The whole text last patched into the programs that run a file."""

    text: str
    programs: frozenset[int]


@dataclass
class Patcher:
    """Patches files into live kernels and keeps every process of a program on the same text."""

    #: Seconds each kernel gets to answer one request.
    timeout: float = 60.0
    _latest: dict[str, _Latest] = field(default_factory=dict)
    #: (process, real path) pairs already brought to ``_latest`` (or found not to run the file)
    _seen: set[tuple[ProcessKey, str]] = field(default_factory=set)
    _late: list[tuple[str, ProcessAnswer]] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def patch(
        self, path: str, *, dry_run: bool = False, only: list[str] | None = None
    ) -> FileReport:
        """Send the file's text, as it is on disk now, to every process that runs it."""
        file, text = read_source(path)

        async def work(client: KernelClient, module: str) -> PatchResult:
            return await client.patch(module, text, only=only, dry_run=dry_run)

        async with self._lock:
            report, asked = await self._each_process("patch", file, work, dry_run)
            if not dry_run and only is None and any(a.ok for a in report.answers):
                self._remember(file, text, report.answers, asked)
                late = await self._catch_up()
                report = dataclasses.replace(report, late=tuple(a for _, a in late))
        return report

    async def undo(self, path: str) -> FileReport:
        """Every process that runs the file goes back to the text it ran before its last patch."""
        file = real_path(os.path.abspath(path))

        async def work(client: KernelClient, module: str) -> PatchResult:
            answer = await client.request("undo", {"module": module})
            return PatchResult.from_dict(answer)

        async with self._lock:
            # The processes go back to texts of their own: no later one is brought to ours.
            self._latest.pop(file, None)
            self._seen = {item for item in self._seen if item[1] != file}
            report, _ = await self._each_process("undo", file, work, False)
            return report

    async def catch_up(self) -> None:
        """One look for processes that run a patched file but were not sent its text yet."""
        async with self._lock:
            found = await self._catch_up()
        # Not ``self._late.extend(await ...)``: that would bind the list before the await,
        # and a ``take_late`` meanwhile would leave these in a list nobody reads.
        self._late.extend(found)

    def take_late(self) -> list[tuple[str, ProcessAnswer]]:
        """The late processes brought up to date since the last call, worth telling: (file, answer)."""
        late, self._late = self._late, []
        return late

    async def poll_forever(self, interval: float = 0.5) -> None:
        while True:
            await asyncio.sleep(interval)
            if not self._latest:
                continue
            try:
                await self.catch_up()
            except Exception:
                logger.exception("looking for late processes failed")

    # Plumbing ---------------------------------------------------------------------

    async def _each_process(
        self, action: str, file: str, work: Work, dry_run: bool
    ) -> tuple[FileReport, list[ConnectionInfo]]:
        """The report, and the kernels that were asked."""
        started = time.perf_counter()
        kernels = discover()
        if not kernels:
            raise ToolInputError(no_kernels())
        answers = await asyncio.gather(*(self._ask(info, file, work) for info in kernels))
        report = FileReport(
            action,
            file,
            tuple(answer for answer in answers if answer is not None),
            len(kernels),
            (time.perf_counter() - started) * 1000,
            dry_run,
        )
        return report, kernels

    async def _ask(self, info: ConnectionInfo, file: str, work: Work) -> ProcessAnswer | None:
        """The process's answer, or None when it does not run the file or has exited."""
        try:
            async with connected(info, "patch", self.timeout) as client:
                names = await modules_running(client, file)
                if not names:
                    return None
                results: list[PatchResult] = []
                for name in names:
                    try:
                        results.append(await work(client, name))
                    except KernelTimeoutError as error:
                        message = (
                            f"{describe_kernel_error(error, info.path)}; the patch of {name} was sent with a "
                            "deadline, so a kernel that resumes after it does not apply it"
                        )
                        return ProcessAnswer(info, tuple(names), tuple(results), message)
                return ProcessAnswer(info, tuple(names), tuple(results))
        except (SpliceError, OSError) as error:
            if await _exited(info.pid):
                return None  # it runs no code at all, old or new
            return ProcessAnswer(info, error=describe_kernel_error(error, info.path))

    def _remember(
        self,
        file: str,
        text: str,
        answers: tuple[ProcessAnswer, ...],
        asked: list[ConnectionInfo],
    ) -> None:
        programs = frozenset(answer.info.program_pid for answer in answers)
        self._latest[file] = _Latest(text, programs)
        self._seen = {item for item in self._seen if item[1] != file}
        self._seen.update((_key(info), file) for info in asked)

    async def _catch_up(self) -> list[tuple[str, ProcessAnswer]]:
        if not self._latest:
            return []
        kernels = discover()
        live = {_key(info) for info in kernels}
        self._seen = {item for item in self._seen if item[0] in live}
        jobs = []
        for info in kernels:
            for file, latest in self._latest.items():
                if info.program_pid in latest.programs and (_key(info), file) not in self._seen:
                    self._seen.add((_key(info), file))
                    jobs.append(self._bring(info, file, latest.text))
        found = await asyncio.gather(*jobs)
        return [(file, answer) for file, answer in found if answer is not None]

    async def _bring(
        self, info: ConnectionInfo, file: str, text: str
    ) -> tuple[str, ProcessAnswer | None]:
        async def work(client: KernelClient, module: str) -> PatchResult:
            return await client.patch(module, text)

        answer = await self._ask(info, file, work)
        if answer is None or (answer.ok and not answer.changed_something):
            return file, None  # it already ran the text (forked from a patched parent, say)
        for outcome in one_per_process(answer.outcomes()):
            logger.info("%s", describe_catch_up(os.path.basename(file), outcome))
        return file, answer


def read_source(path: str) -> tuple[str, str]:
    """The file's real path and its text, decoded as Python decodes source files."""
    absolute = os.path.abspath(path)
    try:
        with open(absolute, "rb") as stream:
            text = importlib.util.decode_source(stream.read())
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        raise ToolInputError(f"cannot read {absolute}: {error}") from None
    return real_path(absolute), text


def _key(info: ConnectionInfo) -> ProcessKey:
    return (info.pid, info.started_at)


async def _exited(pid: int) -> bool:
    deadline = time.monotonic() + EXIT_GRACE
    while connection.pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
