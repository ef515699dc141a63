"""Real servers of several processes under ``splice run`` (no --watch): the language server patches them all.

gunicorn (2 sync workers, forked) and uvicorn ``--workers 2`` (spawned), from
PyPI, serving on 127.0.0.1; a pytest-lsp session saves app.py and real
requests show which code every worker runs. The sessions use Neovim's client
capabilities only: the clients' difference is covered elsewhere, and these
programs are heavy on a small machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from programs_support import (
    free_port,
    get,
    responses,
    running_program,
    wait_for_http,
)

from lsp_support import Session
from server_apps import ASGI_APP, WSGI_APP

pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn")

NEOVIM_ONLY = pytest.mark.parametrize("lsp", ["neovim"], indirect=True)


def attached(lsp: Session) -> set[int]:
    if not lsp.statuses:
        return set()
    return {kernel["pid"] for kernel in lsp.statuses[-1]["kernels"] if kernel["attached"]}


async def wait_attached(lsp: Session, pids: set[int], timeout: float = 30.0) -> dict[str, Any]:
    await lsp.wait_until(lambda: pids <= attached(lsp), timeout)
    return lsp.statuses[-1]


async def save_and_wait_patch(lsp: Session, text: str) -> dict[str, Any]:
    """Save; the status of that save's patch (attach statuses may come first)."""
    count = len(lsp.statuses)
    await lsp.save(text)
    await lsp.wait_until(
        lambda: any(status["lastPatch"] for status in lsp.statuses[count:]), timeout=30
    )
    return next(status for status in lsp.statuses[count:] if status["lastPatch"])


@NEOVIM_ONLY
async def test_programs_gunicorn_one_save_patches_every_worker_and_a_respawned_one(
    lsp: Session, runtime_dir: str
) -> None:
    (lsp.project / "app.py").write_text(WSGI_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    gunicorn = ("-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app")
    with running_program(lsp.project, runtime_dir, *gunicorn) as program:
        wait_for_http(url, program)
        workers = program.wait_for_workers(2)
        # Only the master is named: its workers, and later ones, are followed because
        # they are processes of its program.
        await lsp.initialize({"autoAttach": "off", "kernels": [program.process.pid]})
        lsp.open()
        status = await wait_attached(lsp, workers | {program.process.pid})

        # One program of three processes, not three kernels.
        [group] = status["programs"]
        assert group["rootPid"] == program.process.pid
        assert group["processes"] == 3
        assert group["program"] == "-m gunicorn"
        roles = {kernel["pid"]: kernel["role"] for kernel in status["kernels"]}
        assert {roles[pid] for pid in workers} == {"fork"}
        assert all(
            kernel["rootPid"] == program.process.pid and kernel["parentPid"] == program.process.pid
            for kernel in status["kernels"]
            if kernel["pid"] in workers
        )

        status = await save_and_wait_patch(lsp, WSGI_APP.replace('"old"', '"new"'))
        last = status["lastPatch"]
        assert last["ok"] is True
        # Without --preload the master never imports app.py: only the workers run it.
        assert {kernel["pid"] for kernel in last["kernels"]} == workers
        assert last["summary"].startswith("patched app.py in 2 processes: message changed")
        after = [(await asyncio.to_thread(get, url)).split() for _ in range(30)]
        assert {word for word, _ in after} == {"new"}

        # A killed worker is respawned: routine, no warning; the new one is followed too.
        killed = min(workers)
        before_kill = len(lsp.client.messages)
        os.kill(killed, signal.SIGKILL)
        [respawned] = await asyncio.to_thread(program.wait_for_workers, 1, frozenset(workers))
        await wait_attached(lsp, {respawned})
        await lsp.wait_until(lambda: killed not in attached(lsp))
        assert [m.message for m in lsp.client.messages[before_kill:]] == []
        serving = (workers - {killed}) | {respawned}
        seen = await asyncio.to_thread(responses, url, serving)
        assert seen[respawned] == {"new"}

        status = await save_and_wait_patch(lsp, WSGI_APP.replace('"old"', '"newer"'))
        assert {kernel["pid"] for kernel in status["lastPatch"]["kernels"]} == serving
        seen = await asyncio.to_thread(responses, url, serving)
        assert set(seen) == serving
        assert all(words == {"newer"} for words in seen.values()), seen


@NEOVIM_ONLY
async def test_programs_uvicorn_spawned_workers_all_serve_the_saved_code(
    lsp: Session, runtime_dir: str
) -> None:
    (lsp.project / "app.py").write_text(ASGI_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    uvicorn = ("-m", "uvicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port))
    with running_program(lsp.project, runtime_dir, *uvicorn, "app:app") as program:
        wait_for_http(url, program)
        workers = program.wait_for_workers(2)
        await lsp.initialize()
        lsp.open()
        status = await wait_attached(lsp, workers)
        assert {k["role"] for k in status["kernels"] if k["pid"] in workers} == {"spawn"}
        assert [group["processes"] for group in status["programs"]] == [len(attached(lsp))]
        before = await asyncio.to_thread(responses, url, workers)
        assert all(words == {"old"} for words in before.values())

        status = await save_and_wait_patch(lsp, ASGI_APP.replace('"old"', '"new"'))

        last = status["lastPatch"]
        assert last["ok"] is True
        assert workers <= {kernel["pid"] for kernel in last["kernels"]}
        assert "message changed" in last["summary"]
        seen = await asyncio.to_thread(responses, url, workers)
        assert set(seen) == workers
        assert all(words == {"new"} for words in seen.values()), seen


@NEOVIM_ONLY
@pytest.mark.server_env(SPLICE_LSP_PATCH_TIMEOUT="2")
async def test_programs_a_worker_that_does_not_answer_is_on_the_files_diagnostics(
    lsp: Session, runtime_dir: str
) -> None:
    (lsp.project / "app.py").write_text(WSGI_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    gunicorn = ("-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app")
    with running_program(lsp.project, runtime_dir, *gunicorn) as program:
        wait_for_http(url, program)
        workers = program.wait_for_workers(2)
        await lsp.initialize()
        lsp.open()
        await wait_attached(lsp, workers)
        stopped, running = min(workers), max(workers)
        os.kill(stopped, signal.SIGSTOP)
        try:
            published = lsp.wait_diagnostics()
            status = await save_and_wait_patch(lsp, WSGI_APP.replace('"old"', '"new"'))
            diagnostics = (await asyncio.wait_for(published, 15)).diagnostics
        finally:
            os.kill(stopped, signal.SIGCONT)

        last = status["lastPatch"]
        assert last["ok"] is False
        assert "1 process failed" in last["summary"]
        assert f"pid {stopped} (-m gunicorn, fork)" in last["summary"]
        [failed] = [kernel for kernel in last["kernels"] if not kernel["ok"]]
        assert failed["pid"] == stopped
        [diagnostic] = diagnostics
        assert diagnostic.code == "process-not-patched"
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        assert f"pid {stopped} (-m gunicorn, fork): did not answer" in diagnostic.message
        assert (await asyncio.to_thread(responses, url, {running}))[running] == {"new"}


@NEOVIM_ONLY
async def test_programs_a_worker_seen_after_the_save_is_sent_the_saved_text(
    lsp: Session, runtime_dir: str, tmp_path: Path
) -> None:
    """No silent miss: a worker running the old text that the server finds only after a save.

    Its connection file is held back until after the save, as when a worker is
    seen in the instant after the others were patched.
    """
    (lsp.project / "app.py").write_text(WSGI_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    gunicorn = ("-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app")
    with running_program(lsp.project, runtime_dir, *gunicorn) as program:
        wait_for_http(url, program)
        workers = program.wait_for_workers(2)
        late, early = max(workers), min(workers)
        [late_info] = [info for info in program.kernels() if info.pid == late]
        held = tmp_path / "held.json"
        shutil.move(late_info.path, held)
        await lsp.initialize()
        lsp.open()
        await wait_attached(lsp, {early})
        assert late not in attached(lsp)

        status = await save_and_wait_patch(lsp, WSGI_APP.replace('"old"', '"new"'))
        assert [kernel["pid"] for kernel in status["lastPatch"]["kernels"]] == [early]
        assert (await asyncio.to_thread(responses, url, {late}))[late] == {"old"}

        count = len(lsp.statuses)
        shutil.move(held, late_info.path)

        def catch_up(status: dict[str, Any]) -> bool:
            last = status["lastPatch"]
            return bool(last) and [kernel["pid"] for kernel in last["kernels"]] == [late]

        await lsp.wait_until(lambda: any(map(catch_up, lsp.statuses[count:])), timeout=30)
        caught_up = next(filter(catch_up, lsp.statuses[count:]))
        assert caught_up["message"].startswith(
            f"patched app.py in pid {late} (-m gunicorn, fork), which started before the save:"
            " message changed"
        )
        seen = await asyncio.to_thread(responses, url, workers)
        assert all(words == {"new"} for words in seen.values()), seen
