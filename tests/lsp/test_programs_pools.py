"""A multiprocessing pool (spawn) under ``splice run``: one save patches the parent and every worker once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from programs_support import running_program
from test_programs_servers import attached, save_and_wait_patch, wait_attached

from lsp_support import Session

POOL_APP = """\
import multiprocessing
import os
import sys
import time


def message():
    return "old"


def answer(_):
    time.sleep(0.01)
    return f"{message()} {os.getpid()}"


if __name__ == "__main__":
    out = sys.argv[1]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        while True:
            words = pool.map(answer, range(8), chunksize=1)
            with open(out + ".tmp", "w") as file:
                file.write("\\n".join(words))
            os.replace(out + ".tmp", out)
            time.sleep(0.05)
"""


def answers(out: Path) -> list[tuple[str, int]]:
    while True:
        try:
            text = out.read_text()
        except FileNotFoundError:
            text = ""
        if text:
            return [(word, int(pid)) for word, pid in (line.split() for line in text.splitlines())]
        time.sleep(0.05)


async def wait_for_answers(out: Path, word: str, timeout: float = 20.0) -> set[int]:
    """The workers' pids once a whole round of answers is ``word``."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(answers, out)
        if {each for each, _ in found} == {word}:
            return {pid for _, pid in found}
        if time.monotonic() > deadline:
            raise AssertionError(f"answers: {found}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("lsp", ["neovim"], indirect=True)
async def test_programs_pool_spawned_workers_are_patched_once_each(
    lsp: Session, runtime_dir: str, tmp_path: Path
) -> None:
    (lsp.project / "app.py").write_text(POOL_APP)
    out = tmp_path / "answers.txt"
    with running_program(lsp.project, runtime_dir, "app.py", str(out)) as program:
        workers = program.wait_for_workers(2)
        await wait_for_answers(out, "old", timeout=60)
        await lsp.initialize()
        lsp.open()
        status = await wait_attached(lsp, workers | {program.process.pid})
        assert {k["role"] for k in status["kernels"] if k["pid"] in workers} == {"spawn"}

        status = await save_and_wait_patch(lsp, POOL_APP.replace('"old"', '"new"'))

        last = status["lastPatch"]
        assert last["ok"] is True
        # A spawned worker runs app.py as __mp_main__ and __main__: one outcome per process.
        pids = [kernel["pid"] for kernel in last["kernels"]]
        assert sorted(pids) == sorted(workers | {program.process.pid})
        assert last["summary"].startswith("patched app.py in 3 processes: message changed")
        assert attached(lsp) >= workers
        assert await wait_for_answers(out, "new") <= workers
