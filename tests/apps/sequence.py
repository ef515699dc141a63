"""Running an app's script of edits against the live program and fresh starts, and the whole corpus.

For each edit, in order: write the files (the live program's client patches
it), start the edited program afresh beside it, probe both the same way,
judge (``oracle.judge``). When the live program no longer behaves as its
text would (named, refused, missed), it is restarted from the current text
before the next edit, as the finding tells the user to, so that each edit is
judged on its own; a text a fresh start cannot run is kept instead, and the
next edit (which finishes it) is patched into it.

Apps are independent: ``run_corpus`` runs them on threads, each in its own
folder and runtime directory, since most of the time goes to waiting for
processes to start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from oracle import (
    DOWN,
    MISS,
    SAME,
    Edit,
    EditOutcome,
    EditScriptError,
    Observed,
    judge,
    naming_ranges,
)
from running import (
    Probes,
    Program,
    Ticks,
    free_port,
    fresh_answers,
    probe,
    python,
    wait_until_up,
)
from running import labels as probe_labels

from splice.agent import connection

#: Apps run at once: they mostly wait on processes, but 2 cores start them.
PARALLEL = 4


@dataclass(frozen=True)
class App:
    """A program of the corpus and its script of edits.

    ``command`` is what follows ``python`` (``{port}`` is replaced by a free
    port, also given as ``$PORT``); ``processes`` is how many processes of
    it run splice's agent once it is up (pool workers, a forkserver).
    """

    name: str
    folder: Path
    command: tuple[str, ...]
    probes: Probes
    edits: tuple[Edit, ...]
    processes: int = 1
    drivers: tuple[str, ...] = ("watch",)
    #: Seconds to let background loops run once more after a patch, before probing.
    settle: float = 0.0

    @property
    def serves(self) -> bool:
        return not isinstance(self.probes, Ticks)


class Driver(Protocol):
    """How edits reach the live program: ``splice run --watch``, or ``splice lsp``."""

    name: str

    def start(self, port: int | None, env: Mapping[str, str]) -> Program:
        """Start the live program (stopping the one before, if any)."""

    def wait_attached(self, processes: int) -> None:
        """Return once the client can patch every process of the live program."""

    def save(self, files: Mapping[str, str], expected: list[str]) -> Observed:
        """Save ``files``; what the client said once each of ``expected`` was reported."""

    def close(self) -> None: ...


def make_driver(name: str, project: Path, command: list[str]) -> Driver:
    if name == "watch":
        from watch_driver import WatchDriver

        return WatchDriver(project, command)
    from lsp_driver import LspDriver

    return LspDriver(project, command)


def program_env(workdir: Path, app: App, port: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "SPLICE_RUNTIME_DIR": str(workdir / "runtime"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": str(workdir / "home"),
    }
    env.pop("PYTHONSTARTUP", None)
    if port is not None:
        env["PORT"] = str(port)
    return env


class Sequence:
    """One app through one client: the live program, its folder, its edits' outcomes."""

    def __init__(self, app: App, driver_name: str, workdir: Path) -> None:
        self.app = app
        self.driver_name = driver_name
        self.workdir = workdir
        self.project = workdir / "program"
        shutil.copytree(app.folder, self.project, ignore=shutil.ignore_patterns("__pycache__"))
        (workdir / "runtime").mkdir(mode=0o700)
        (workdir / "home").mkdir()
        self.driver = make_driver(driver_name, self.project, list(app.command))
        self.live: Program | None = None
        self.outcomes: list[EditOutcome] = []

    def start_live(self) -> dict[str, str]:
        """(Re)start the live program; its answers once it is up and its processes are attached."""
        port = free_port() if self.app.serves else None
        self.live = self.driver.start(port, program_env(self.workdir, self.app, port))
        if not wait_until_up(self.live, self.app.probes):
            raise RuntimeError(f"the live program did not come up: {self.live.why_down()}")
        self._wait_for_processes()
        self.driver.wait_attached(self.app.processes)
        return probe(self.live, self.app.probes)

    def _wait_for_processes(self, timeout: float = 40.0) -> None:
        """Until every process of the live program listens (killed programs' files do not count)."""
        assert self.live is not None
        root = self.live.process.pid
        deadline = time.monotonic() + timeout
        while True:
            mine = [
                info
                for info in connection.discover(str(self.workdir / "runtime"))
                if info.program_pid == root
            ]
            if len(mine) >= self.app.processes:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(mine)} of {self.app.processes} processes listen")
            time.sleep(0.05)
        if self.app.processes > 1:
            time.sleep(0.7)  # --watch looks for new processes of the program every 0.5 s

    def start_fresh(self) -> Program:
        port = free_port() if self.app.serves else None
        command = [python(), *(arg.format(port=port) for arg in self.app.command)]
        env = program_env(self.workdir, self.app, port)
        env.pop("SPLICE_RUNTIME_DIR")
        return Program(command, self.project, env, port)

    def texts(self, paths: Iterable[str]) -> dict[str, str]:
        return {
            path: (self.project / path).read_text()
            for path in paths
            if (self.project / path).exists()
        }

    def run(self) -> list[EditOutcome]:
        try:
            before = self.start_live()
        except Exception as error:  # the program itself is broken: every edit says so
            return [
                self._not_run(index, edit, error) for index, edit in enumerate(self.app.edits, 1)
            ]
        for index, edit in enumerate(self.app.edits, 1):
            try:
                before = self.run_edit(index, edit, before)
            except Exception as error:
                self.outcomes.append(self._not_run(index, edit, error))
                try:
                    before = self.start_live()
                except Exception:
                    break
        done = len(self.outcomes)
        for index, edit in list(enumerate(self.app.edits, 1))[done:]:
            self.outcomes.append(
                self._not_run(index, edit, RuntimeError("an earlier edit broke the run"))
            )
        return self.outcomes

    def run_edit(self, index: int, edit: Edit, before: dict[str, str]) -> dict[str, str]:
        spot_files = [spot.file for spot in edit.stale]
        current = self.texts([*edit.changes, *spot_files])
        files = edit.apply(current)
        after = {**current, **files}
        ranges = naming_ranges(edit, current, after)
        expected = [os.path.basename(path) for path in files if path in current]
        assert self.live is not None
        if not self.live.alive:
            raise RuntimeError(f"the live program was down before the save: {self.live.why_down()}")
        fresh_program: Program | None = None
        try:
            observed = self.driver.save(files, expected)
            fresh_program = self.start_fresh()
            if self.app.settle:
                time.sleep(self.app.settle)
            live = probe(self.live, self.app.probes)
            fresh = fresh_answers(fresh_program, self.app.probes)
        finally:
            if fresh_program is not None:
                fresh_program.stop()
        verdict = judge(observed, before, live, fresh, ranges)
        self.outcomes.append(
            EditOutcome(
                self.app.name,
                self.driver_name,
                index,
                edit,
                verdict,
                before,
                live,
                fresh,
                observed,
                ranges,
            )
        )
        fresh_runs = not all(answer.startswith(DOWN) for answer in fresh.values())
        if (verdict != SAME or not self.live.alive) and fresh_runs:
            return self.start_live()
        return live

    def _not_run(self, index: int, edit: Edit, error: BaseException) -> EditOutcome:
        detail = (
            str(error)
            if isinstance(error, EditScriptError | RuntimeError)
            else "".join(traceback.format_exception(error)).strip()
        )
        empty = dict.fromkeys(probe_labels(self.app.probes), "")
        return EditOutcome(
            self.app.name,
            self.driver_name,
            index,
            edit,
            MISS,
            empty,
            empty,
            empty,
            Observed(),
            [],
            detail,
        )

    def close(self) -> None:
        self.driver.close()


def run_app(app: App, driver: str) -> list[EditOutcome]:
    workdir = Path(tempfile.mkdtemp(prefix=f"splice-app-{app.name}-"))
    sequence = Sequence(app, driver, workdir)
    try:
        return sequence.run()
    finally:
        sequence.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run_corpus(jobs: Iterable[tuple[App, str]], parallel: int = PARALLEL) -> list[EditOutcome]:
    """Every (app, driver) job, ``parallel`` at a time; outcomes in the jobs' order."""
    listed = list(jobs)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="corpus") as pool:
        results = list(pool.map(lambda job: run_app(*job), listed))
    return [outcome for outcomes in results for outcome in outcomes]
