"""Programs of several processes: list_kernels shows them, patch_file reaches every one,
and a process that shows up after a patch is brought to the same text."""

from __future__ import annotations

import asyncio
import json
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_support import call, edit, serving

from kernel_support import RunningKernel, running_kernel
from splice.agent import connection
from splice.client.blocking import BlockingKernelClient
from splice.mcp.patching import Patcher

#: The root forks WORKERS children at start, and one more each time ``fork-now`` appears;
#: that one's agent publishes its connection file only after PUBLISH_DELAY seconds.
PROGRAM = textwrap.dedent(
    """
    import os
    import sys
    import time

    import splice.agent.process

    import work

    root = os.getpid()


    def child():
        print(f"child {os.getpid()} runs {work.compute(1)}", flush=True)
        while os.getppid() == root:  # ends with the root
            time.sleep(0.05)
        os._exit(0)


    for _ in range(int(sys.argv[1])):
        if os.fork() == 0:
            child()
    print("root ready", flush=True)
    while True:
        if os.path.exists("fork-now"):
            os.remove("fork-now")
            splice.agent.process.CHILD_PUBLISH_DELAY = float(sys.argv[2])
            if os.fork() == 0:
                child()
        time.sleep(0.02)
    """
)

WORK = "def compute(x):\n    return x + 1\n"


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "program"
    folder.mkdir()
    (folder / "program.py").write_text(PROGRAM)
    (folder / "work.py").write_text(WORK)
    return folder


def start(program_dir: Path, runtime_dir: Path, workers: int, publish_delay: float = 0.1):
    return running_kernel(
        program_dir,
        "program.py",
        args=[str(workers), str(publish_delay)],
        runtime_dir=str(runtime_dir),
        ready="root ready",
    )


def wait_for_kernels(runtime_dir: Path, count: int, timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [info.pid for info in connection.discover(str(runtime_dir))]
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} kernels after {timeout} s")


def compute_in(runtime_dir: Path, pid: int) -> str:
    info = connection.read(connection.connection_path(pid, str(runtime_dir)))
    with BlockingKernelClient(info) as client:
        return client.evaluate("work.compute(1)")


@pytest.fixture
def two_workers(program_dir: Path, runtime_dir: Path) -> Iterator[RunningKernel]:
    with start(program_dir, runtime_dir, workers=2) as root:
        wait_for_kernels(runtime_dir, 3)
        yield root


async def test_mcp_list_kernels_shows_each_program_as_a_tree(
    program_dir: Path, runtime_dir: Path, two_workers: RunningKernel
) -> None:
    root = two_workers.info.pid
    async with serving(runtime_dir) as client:
        listing = await call(client, "list_kernels", file=str(program_dir / "work.py"))

    assert listing["runtimeDirectory"] == str(runtime_dir)
    [program] = listing["programs"]
    assert (program["rootPid"], program["program"]) == (root, "program.py")
    first, *workers = program["processes"]
    assert (first["pid"], first["role"], first["depth"]) == (root, "main", 0)
    assert [(w["role"], w["depth"], w["parentPid"]) for w in workers] == [("fork", 1, root)] * 2
    assert all(process["modules"] == ["work"] for process in program["processes"])
    assert first["commandLine"][-3:] == ["program.py", "2", "0.1"]
    # The token stays in the connection file: the agent reading this cannot reuse it.
    assert two_workers.info.token not in json.dumps(listing)


async def test_mcp_patch_file_patches_every_process_of_a_program(
    program_dir: Path, runtime_dir: Path, two_workers: RunningKernel
) -> None:
    pids = wait_for_kernels(runtime_dir, 3)
    edit(program_dir / "work.py", "x + 1", "x + 100")

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(program_dir / "work.py"))

    assert report["ok"], report
    assert report["summary"].startswith("patched work.py in 3 processes: compute changed in ")
    assert sorted(process["pid"] for process in report["processes"]) == sorted(pids)
    assert [compute_in(runtime_dir, pid) for pid in pids] == ["101"] * 3


async def test_mcp_process_published_after_a_patch_is_brought_to_the_same_text(
    program_dir: Path, runtime_dir: Path
) -> None:
    with start(program_dir, runtime_dir, workers=0, publish_delay=5.0) as root:
        async with serving(runtime_dir) as client:
            # A child forked before the edit, running the old text, not listed yet.
            (program_dir / "fork-now").write_text("")
            output = root.wait_for_output("child ")
            late_pid = int(output.split("child ")[1].split()[0])
            assert "runs 2" in output
            edit(program_dir / "work.py", "x + 1", "x + 100")

            report = await call(client, "patch_file", file=str(program_dir / "work.py"))
            assert [process["pid"] for process in report["processes"]] == [root.info.pid]
            late: list[dict[str, object]] = list(report["lateProcesses"])
            deadline = time.monotonic() + 60
            while not late and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                late += (await call(client, "list_kernels"))["lateProcesses"]

        assert len(late) == 1, f"pid {late_pid} was not brought to the new text: {late}"
        caught_up = late[0]
        assert caught_up["file"] == str((program_dir / "work.py").resolve())
        process = caught_up["process"]
        assert isinstance(process, dict)
        assert (process["pid"], process["ok"], process["changed"]) == (late_pid, True, ["compute"])
        assert compute_in(runtime_dir, late_pid) == "101"


async def test_mcp_late_process_reported_when_taken_while_catching_up(
    program_dir: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's own Patcher, in this process: the answers taken while a look is still
    # talking to the late process must not be lost.
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(runtime_dir))
    patcher = Patcher(timeout=30)
    with start(program_dir, runtime_dir, workers=0, publish_delay=2.0) as root:
        (program_dir / "fork-now").write_text("")
        output = root.wait_for_output("child ")
        late_pid = int(output.split("child ")[1].split()[0])
        edit(program_dir / "work.py", "x + 1", "x + 100")
        report = await patcher.patch(str(program_dir / "work.py"))
        assert [answer.info.pid for answer in report.answers] == [root.info.pid]
        wait_for_kernels(runtime_dir, 2)

        looking = asyncio.create_task(patcher.catch_up())
        taken = []
        while not looking.done():
            taken += patcher.take_late()
            await asyncio.sleep(0)
        await looking
        taken += patcher.take_late()

    assert [(answer.info.pid, answer.ok) for _, answer in taken] == [(late_pid, True)]
