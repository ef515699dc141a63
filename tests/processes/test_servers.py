"""Real servers from PyPI under ``splice run --watch``: every worker serves the saved code."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processes_support import Program, free_port, get, save, wait_for_http

from server_apps import ASGI_APP, WSGI_APP

pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn")


def responses(url: str, workers: set[int], attempts: int = 200) -> dict[int, set[str]]:
    """What each worker answers, asking until every one of ``workers`` has answered."""
    seen: dict[int, set[str]] = {}
    for _ in range(attempts):
        word, pid = get(url).split()
        seen.setdefault(int(pid), set()).add(word)
        if workers <= set(seen):
            break
    return seen


def worker_pids(program: Program) -> set[int]:
    return {info.pid for info in program.kernels() if info.role != "main"}


def wait_for_workers(
    program: Program, count: int, excluded: frozenset[int] = frozenset()
) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = worker_pids(program) - excluded
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"workers: {worker_pids(program)}; stderr: {program.stderr[-20:]}")


@pytest.mark.parametrize("preload", [False, True], ids=["workers-import", "preload"])
def test_gunicorn_every_worker_serves_the_saved_code_and_so_does_a_respawned_one(
    run_program: Callable[..., Program], tmp_path: Path, preload: bool
) -> None:
    (tmp_path / "app.py").write_text(WSGI_APP)
    port = free_port()
    options = ["--preload"] if preload else []
    program = run_program(
        "--watch", "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", *options, "app:app"
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url)
    workers = wait_for_workers(program, 2)
    before = responses(url, workers)
    assert set(before) == workers
    assert all(words == {"old"} for words in before.values())

    save(tmp_path / "app.py", WSGI_APP.replace('"old"', '"new"'))
    # Without --preload the master never imports app.py: only the workers run it.
    processes = 3 if preload else 2
    program.wait_for_stderr(f"patched app.py in {processes} processes: message changed")
    after = [get(url).split() for _ in range(30)]
    assert {word for word, _ in after} == {"new"}
    assert {int(pid) for _, pid in after} <= workers

    killed = min(workers)
    os.kill(killed, signal.SIGKILL)
    [respawned] = wait_for_workers(program, 1, excluded=frozenset(workers))
    answers = responses(url, {respawned})
    assert answers[respawned] == {"new"}
    assert all(words == {"new"} for words in answers.values())


def test_gunicorn_lists_as_one_program_of_a_master_and_its_forked_workers(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(WSGI_APP)
    port = free_port()
    program = run_program("-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app")
    kernels = program.wait_for_processes(3)
    [master] = [info for info in kernels if info.role == "main"]
    workers = [info for info in kernels if info.role != "main"]
    assert [info.role for info in workers] == ["fork", "fork"]
    assert {info.parent_pid for info in workers} == {master.pid}
    assert {info.root_pid for info in kernels} == {master.pid}
    command = ("-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app")
    assert master.command_line[-len(command) :] == command
    assert master.argv[1:] == command[2:]


def test_uvicorn_every_spawned_worker_serves_the_saved_code(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(ASGI_APP)
    port = free_port()
    program = run_program(
        "--watch",
        *("-m", "uvicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)),
        *("--lifespan", "off", "app:app"),
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url)
    workers = wait_for_workers(program, 2)
    assert {info.role for info in program.kernels() if info.pid in workers} == {"spawn"}
    before = responses(url, workers)
    assert all(words == {"old"} for words in before.values())

    save(tmp_path / "app.py", ASGI_APP.replace('"old"', '"new"'))
    program.wait_for_stderr("patched app.py in 2 processes: message changed")
    after = [get(url).split() for _ in range(30)]
    assert {word for word, _ in after} == {"new"}
    assert {int(pid) for _, pid in after} == workers


def test_run_passes_options_after_the_module_to_http_server(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "hello.txt").write_text("hello from disk\n")
    program = run_program("-m", "http.server", "--bind", "127.0.0.1", "0")
    line = program.wait_for_stdout("Serving HTTP on 127.0.0.1 port ")
    port = int(line.split(" port ")[1].split()[0])
    assert get(f"http://127.0.0.1:{port}/hello.txt") == "hello from disk\n"
    [kernel] = program.wait_for_processes(1)
    assert kernel.argv[1:] == ("--bind", "127.0.0.1", "0")
