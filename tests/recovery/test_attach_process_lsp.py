"""``splice.attachProcess`` in a real language server (pytest-lsp) against a plain ``python`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client
from recovery_support import MYMOD, wait_until

from lsp_support import Session, serving
from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

requires_gdb = pytest.mark.skipif(
    not any(Path(d, "gdb").exists() for d in os.environ.get("PATH", "").split(":")),
    reason="gdb is not installed",
)

APP = "import time\nimport mymod\n\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.02)\n"


def _base_python() -> str:
    major, minor = sys.version_info[:2]
    path = Path(sys.base_prefix, "bin", f"python{major}.{minor}")
    return str(path) if path.exists() else str(Path(sys.base_prefix, "bin", "python3"))


@pytest.fixture
def runtime_dir(tmp_path: Path) -> str:
    path = tmp_path / "runtime"
    path.mkdir(mode=0o700)
    return str(path)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A plain Python program, never under splice, running app.py in tmp_path/project."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "mymod.py").write_text(MYMOD)
    (project / "app.py").write_text(APP)
    time.sleep(0.05)
    output = project / "stdout"
    with open(output, "wb") as stdout:
        process = subprocess.Popen(
            [_base_python(), "app.py", "--marker", "attach-process-test"],
            cwd=project,
            stdout=stdout,
            env={"PATH": "/usr/bin:/bin"},
        )
    try:
        wait_until(lambda: "ready" in output.read_text(), what="the target")
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(params=["neovim", "visual_studio_code"])
async def lsp(
    request: pytest.FixtureRequest, tmp_path: Path, runtime_dir: str
) -> AsyncIterator[Session]:
    client = make_test_lsp_client()
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    session = Session(client, pytest_lsp.client_capabilities(request.param), project)

    async with serving(client, session, runtime_dir) as served:
        yield served


@requires_gdb
@pytest.mark.timeout(90)
async def test_attach_process_lists_python_processes_with_their_command_lines(
    lsp: Session, target: subprocess.Popen[bytes]
) -> None:
    await lsp.initialize({"autoAttach": "off"})

    listed = await lsp.command("splice.attachProcess")

    entry = next(item for item in listed if item["pid"] == target.pid)
    assert entry["command"].endswith("app.py --marker attach-process-test")
    assert entry["python"] == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert entry["kernel"] is False
    assert os.getpid() not in {item["pid"] for item in listed}  # the editor: the server's parent
    assert all(item["python"] >= "3.10" for item in listed)


@requires_gdb
@pytest.mark.timeout(90)
async def test_attach_process_starts_the_agent_and_attaches_the_server(
    lsp: Session, target: subprocess.Popen[bytes], runtime_dir: str
) -> None:
    await lsp.initialize({"autoAttach": "off"})

    kernels = await lsp.command("splice.attachProcess", target.pid)

    assert [k["pid"] for k in kernels if k["attached"]] == [target.pid], kernels
    shown = [m.message for m in lsp.client.messages]
    assert any(f"attached to pid {target.pid}" in message for message in shown), shown
    info = connection.read(connection.connection_path(target.pid, runtime_dir))
    with BlockingKernelClient(info) as client:
        assert client.evaluate("mymod.greet()") == "'hello world'"
    listed = await lsp.command("splice.attachProcess")
    assert next(item for item in listed if item["pid"] == target.pid)["kernel"] is True
    assert target.poll() is None


@pytest.mark.timeout(60)
async def test_attach_process_to_a_process_that_is_not_python_says_so(lsp: Session) -> None:
    await lsp.initialize({"autoAttach": "off"})
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        answer = await lsp.command("splice.attachProcess", sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()

    assert answer is None
    [error] = [m for m in lsp.client.messages if m.type == types.MessageType.Error]
    assert f"pid {sleeper.pid} (sleep) is not a Python process" in error.message


@pytest.mark.timeout(60)
async def test_attach_process_refuses_an_argument_that_is_not_a_pid(lsp: Session) -> None:
    await lsp.initialize({"autoAttach": "off"})

    with pytest.raises(Exception) as raised:
        await lsp.command("splice.attachProcess", "/tmp/kernel-1.json")

    assert "expected a process id" in str(raised.value)
