"""multiprocessing pools and ProcessPoolExecutor under ``splice run --watch``: one save, every worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processes_support import Program, save

HELPER = """\
import os


def label():
    return "alpha"


def answer(_):
    return f"{label()}:{os.getpid()}"
"""

POOL = """\
import multiprocessing
import sys
import time

import helper

if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    with context.Pool(2, maxtasksperchild=int(sys.argv[2]) or None) as pool:
        for _ in range(600):
            started = time.time()
            print(started, *pool.map(helper.answer, range(4), chunksize=1), flush=True)
            time.sleep(0.05)
"""

EXECUTOR = """\
import concurrent.futures
import time

import helper

if __name__ == "__main__":
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        for _ in range(600):
            started = time.time()
            print(started, *executor.map(helper.answer, range(4)), flush=True)
            time.sleep(0.05)
"""


def labels(line: str) -> set[str]:
    return {word.split(":")[0] for word in line.split()[1:]}


def pids(line: str) -> set[int]:
    return {int(word.split(":")[1]) for word in line.split()[1:]}


def lines_after(program: Program, start: int, count: int) -> list[str]:
    program.wait_for_stdout("", start=start + count - 1)
    return program.stdout[start : start + count]


def lines_started_after(program: Program, moment: float, count: int) -> list[str]:
    """``count`` lines whose tasks were handed out after ``moment`` (``time.time()``).

    A line printed after a report may hold answers of tasks that ran before the
    patch (and stdout and stderr reach the test through separate pipes), so
    only the program's own clock says which tasks came after.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        later = [line for line in list(program.stdout) if float(line.split()[0]) > moment]
        if len(later) >= count:
            return later[:count]
        time.sleep(0.05)
    raise AssertionError(f"too few lines after the save: {program.stdout[-5:]}")


def wait_for_workers(program: Program, count: int) -> None:
    """Until ``count`` workers answered: each has imported helper (the old text) by then."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(set().union(*(pids(line) for line in list(program.stdout)))) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} workers answered: {program.stdout[-5:]}")


def patched_processes(program: Program) -> int:
    """How many processes the reports say ``label`` changed in, with catch-ups of late ones."""
    count = 0
    for line in program.stderr:
        assert "failed" not in line and "not patched" not in line, program.stderr
        if "which started before the save: label changed" in line:
            count += 1
        elif line.startswith("patched helper.py in ") and "label changed" in line:
            count += int(line.split(" in ")[1].split()[0])
        elif line.startswith("patched helper.py: label changed"):
            count += 1
    return count


def patch_and_check(program: Program, tmp_path: Path, processes: int) -> list[str]:
    """Save a new ``label``; the reports name every process; later tasks all run it."""
    # Every worker runs the old text (a worker that imports helper after the save
    # runs the new one and is rightly not reported).
    wait_for_workers(program, processes - 1)
    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    program.wait_for_stderr("patched helper.py in ")
    reported = time.time()
    after = lines_started_after(program, reported, 15)
    assert all(labels(line) == {"beta"} for line in after), (after, program.stderr)
    # A worker met after the save is caught up and reported on a line of its own.
    assert patched_processes(program) == processes, program.stderr
    return after


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pool_workers_run_the_saved_code(
    run_program: Callable[..., Program], tmp_path: Path, method: str
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(POOL)
    program = run_program("--watch", "app.py", method, "0")
    kernels = program.wait_for_processes(3)
    roles = sorted(info.role for info in kernels if info.role != "main")
    # forkserver: the server is spawned, the workers are forked from it.
    expected = {"fork": ["fork", "fork"], "spawn": ["spawn", "spawn"]}.get(method)
    if expected is not None:
        assert roles == expected
    else:
        program.wait_for_processes(4)
        assert sorted(info.role for info in program.kernels()) == ["fork", "fork", "main", "spawn"]
    after = patch_and_check(program, tmp_path, processes=3)
    assert all(len(pids(line)) >= 1 for line in after)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_workers_started_after_a_save_run_the_saved_code(
    run_program: Callable[..., Program], tmp_path: Path, method: str
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(POOL)
    # One task per worker: the pool keeps replacing its workers with new ones.
    program = run_program("--watch", "app.py", method, "1")
    program.wait_for_stdout("alpha")
    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    program.wait_for_stderr("patched helper.py")
    # Workers spawned before the save may finish a task meanwhile: two lines of grace.
    start = len(program.stdout) + 2
    after = lines_after(program, start, 6)
    assert all(labels(line) == {"beta"} for line in after), after
    workers = set().union(*(pids(line) for line in after))
    assert len(workers) >= 6  # new processes, every one of them started after the save


def test_process_pool_executor_workers_run_the_saved_code(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(EXECUTOR)
    program = run_program("--watch", "app.py")
    program.wait_for_stdout("alpha")
    program.wait_for_processes(3)
    patch_and_check(program, tmp_path, processes=3)


EARLY_FORKS = """\
import multiprocessing
import sys
import time

import helper

sys.path.insert(0, "modules")
for index in range(40):
    __import__(f"module_{index}")

import splice


def work():
    while True:
        time.sleep(0.05)


if __name__ == "__main__":
    splice.listen()
    # Forked at once, while splice's baseline check of the modules above runs on its thread.
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=work) for _ in range(8)]
    for worker in workers:
        worker.start()
    print("started", flush=True)
    time.sleep(120)
"""


def test_workers_forked_while_splice_starts_up_can_be_patched(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "modules").mkdir()
    for index in range(40):
        (tmp_path / "modules" / f"module_{index}.py").write_text(f"def f():\n    return {index}\n")
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(EARLY_FORKS)
    program = run_program("app.py", under_splice_run=False)
    program.wait_for_stdout("started")
    program.wait_for_processes(9)
    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    finished = subprocess.run(
        [sys.executable, "-m", "splice", "patch", "helper.py", "--timeout", "5"],
        cwd=tmp_path,
        env={**os.environ, "SPLICE_RUNTIME_DIR": str(program.runtime_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert finished.stdout.count("patched helper.py: label changed") == 9


def test_a_worker_that_cannot_answer_is_reported_as_failed_and_the_others_patched(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(POOL)
    program = run_program("--watch", "app.py", "fork", "0")
    program.wait_for_stdout("alpha")
    workers = [info.pid for info in program.wait_for_processes(3) if info.role == "fork"]
    time.sleep(1.0)  # the watcher has met both workers
    stopped = workers[0]
    os.kill(stopped, signal.SIGSTOP)
    try:
        save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
        line = program.wait_for_stderr("1 process failed", timeout=40)
    finally:
        os.kill(stopped, signal.SIGCONT)
    assert line.startswith("patched helper.py in 2 processes: label changed in ")
    assert f"1 process failed: pid {stopped} (app.py, fork): " in line


def test_a_worker_that_runs_other_text_than_the_watcher_thinks_gets_the_whole_text(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    # The watcher sends each save as an edit of the text a process runs; a process
    # that runs another text refuses the edit and is sent the whole text instead.
    from splice.client.blocking import BlockingKernelClient

    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(POOL)
    program = run_program("--watch", "app.py", "fork", "0")
    program.wait_for_stdout("alpha")
    workers = [info for info in program.wait_for_processes(3) if info.role == "fork"]
    time.sleep(1.0)  # the watcher has met both workers
    with BlockingKernelClient(workers[0]) as client:
        result = client.patch("helper", HELPER.replace('"alpha"', '"gamma"'))
    assert result.ok and result.changed == ("label",)
    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    program.wait_for_stderr("patched helper.py in ")
    start = len(program.stdout)
    after = lines_after(program, start, 10)
    assert all(labels(line) == {"beta"} for line in after), after
    assert patched_processes(program) == 3
    assert not any("refused" in line for line in program.stderr), program.stderr
