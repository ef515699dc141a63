"""``splice patch --undo FILE`` against a real kernel: the earlier text runs again, in place."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kernel_support import RunningKernel, kernel_env, running_kernel

APP = """\
import time


def greet():
    return "v1"


ready = True
while True:
    time.sleep(0.02)
"""


def splice_command(
    kernel: RunningKernel, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", *args],
        env=kernel_env(kernel.runtime_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def save(path: Path, version: str, kernel: RunningKernel) -> None:
    path.write_text(APP.replace('"v1"', f'"{version}"'))
    done = splice_command(kernel, "patch", str(path), cwd=path.parent)
    assert done.returncode == 0, done.stdout + done.stderr


def test_patch_undo_steps_back_through_earlier_patches_keeping_identity(tmp_path: Path):
    app = tmp_path / "app.py"
    app.write_text(APP)
    with running_kernel(tmp_path) as kernel:
        deadline = time.monotonic() + 10
        while kernel.evaluate("'ready' in globals()") != "True":
            assert time.monotonic() < deadline, kernel.stderr()
            time.sleep(0.02)
        kernel.evaluate("globals().setdefault('original', greet) and 1")
        save(app, "v2", kernel)
        save(app, "v3", kernel)
        assert kernel.evaluate("greet()") == "'v3'"

        first = splice_command(kernel, "patch", "--undo", "app.py", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert kernel.evaluate("greet()") == "'v2'"
        second = splice_command(kernel, "patch", "--undo", "app.py", cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert kernel.evaluate("greet()") == "'v1'"
        assert kernel.evaluate("greet is original") == "True"

        third = splice_command(kernel, "patch", "--undo", "app.py", cwd=tmp_path)
        assert third.returncode == 1
        assert "nothing to undo" in third.stdout + third.stderr
        assert kernel.evaluate("greet()") == "'v1'"


def test_patch_undo_refuses_only_and_dry_run(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    done = subprocess.run(
        [sys.executable, "-m", "splice", "patch", "--undo", "--dry-run", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "--undo takes no --only, --dry-run or --dask" in done.stderr
