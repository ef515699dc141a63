"""``splice attach`` to a plain ``python`` process: its unchanged modules get verified baselines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from recovery_support import (
    FIVE_EDITS_AFTER,
    FIVE_EDITS_BEFORE,
    FIVE_EDITS_CHECK,
    MYMOD,
    five_edits,
    settled,
    wait_until,
)

from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")

#: Runs under the base interpreter, where splice is not installed.
APP = """\
import time
import mymod

print("ready", flush=True)
while True:
    time.sleep(0.02)
"""


def _base_python() -> str:
    major, minor = sys.version_info[:2]
    for name in (f"python{major}.{minor}", "python3"):
        path = Path(sys.base_prefix, "bin", name)
        if path.exists():
            return str(path)
    raise RuntimeError(f"no base interpreter under {sys.base_prefix}")


def _splice(*arguments: str, runtime: Path) -> subprocess.CompletedProcess[str]:
    environment = {"SPLICE_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "splice", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


def _pyenv_python(version: str) -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    completed = subprocess.run([pyenv, "prefix", version], capture_output=True, text=True)
    path = Path(completed.stdout.strip(), "bin", "python")
    return str(path) if completed.returncode == 0 and path.exists() else None


def _interpreters() -> list[object]:
    found: list[object] = [
        pytest.param(_base_python(), id=f"{sys.version_info[0]}.{sys.version_info[1]}")
    ]
    for version in ("3.10.13", "3.12.1", "3.13.0"):
        path = _pyenv_python(version)
        marks = [] if path else [pytest.mark.skip(reason=f"pyenv has no CPython {version} here")]
        found.append(pytest.param(path or "", id=version, marks=marks))
    return found


@pytest.mark.timeout(90)
@pytest.mark.parametrize("python", _interpreters())
def test_attach_unchanged_module_gets_a_verified_baseline_and_five_edits_apply(
    tmp_path: Path, python: str
) -> None:
    runtime = tmp_path / "rt"
    runtime.mkdir(mode=0o700)
    (tmp_path / "mymod.py").write_text(MYMOD)
    (tmp_path / "app.py").write_text(APP)
    time.sleep(0.05)  # the target starts clearly after its files were written
    output = tmp_path / "stdout"
    with open(output, "wb") as stdout:
        target = subprocess.Popen(
            [python, "app.py"], cwd=tmp_path, stdout=stdout, env={"PATH": "/usr/bin:/bin"}
        )
    try:
        wait_until(lambda: "ready" in output.read_text(), what="the target")

        attached = _splice("attach", str(target.pid), "--json", runtime=runtime)

        assert attached.returncode == 0, attached
        info = connection.read(json.loads(attached.stdout)["connectionFile"])
        with BlockingKernelClient(info) as client:
            entry = wait_until(lambda: settled(client.modules(), "mymod"), what="mymod")
            assert entry["baseline"] == "verified", entry
            main = wait_until(lambda: settled(client.modules(), "__main__"), what="__main__")
            assert main["baseline"] == "verified", main  # its loop is a statement: file times
            assert client.evaluate(FIVE_EDITS_CHECK) == FIVE_EDITS_BEFORE
        (tmp_path / "mymod.py").write_text(five_edits(MYMOD))

        patched = _splice("patch", str(tmp_path / "mymod.py"), runtime=runtime)

        assert patched.returncode == 0, patched
        assert "not verified" not in patched.stdout, patched.stdout
        with BlockingKernelClient(info) as client:
            assert client.evaluate(FIVE_EDITS_CHECK) == FIVE_EDITS_AFTER
        assert target.poll() is None
    finally:
        target.kill()
        target.wait(timeout=10)
