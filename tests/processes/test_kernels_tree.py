"""``splice kernels``: a program and its processes as one tree, with roles and parents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from processes_support import Program

PARENT = """\
import subprocess
import sys
import time

if len(sys.argv) < 2:
    subprocess.Popen([sys.executable, "app.py", "child"])
print("running", flush=True)
time.sleep(60)
"""


def kernels(program: Program, *options: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "splice", "kernels", *options],
        env={**os.environ, "SPLICE_RUNTIME_DIR": str(program.runtime_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_kernels_shows_children_under_their_parent_with_role_and_python(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(PARENT)
    program = run_program("app.py")
    found = program.wait_for_processes(2)
    [parent] = [info for info in found if info.role == "main"]
    [child] = [info for info in found if info.role == "subprocess"]
    header, first, second = kernels(program).splitlines()
    assert header.split()[:4] == ["PID", "PARENT", "ROLE", "PROGRAM"]
    python = ".".join(str(part) for part in sys.version_info[:3])
    assert first.split()[:5] == [str(parent.pid), str(parent.parent_pid), "main", "app.py", python]
    assert second.startswith(f"  {child.pid} ")
    assert second.split()[:5] == [str(child.pid), str(parent.pid), "subprocess", "app.py", python]
    assert second.rstrip().endswith("app.py child")


def test_kernels_json_gives_the_tree_fields_and_no_token(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(PARENT)
    program = run_program("app.py")
    program.wait_for_processes(2)
    rows = {row["role"]: row for row in json.loads(kernels(program, "--json"))}
    assert set(rows) == {"main", "subprocess"}
    assert rows["subprocess"]["parentPid"] == rows["main"]["pid"]
    assert rows["subprocess"]["rootPid"] == rows["main"]["pid"] == rows["main"]["rootPid"]
    assert rows["subprocess"]["commandLine"][-2:] == ["app.py", "child"]
    assert rows["main"]["uptime"] >= 0
    assert all("token" not in row for row in rows.values())
