"""Python subprocesses of a program under ``splice run``: an agent each, the user's sitecustomize kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from processes_support import Program, save

HELPER = """\
def label():
    return "alpha"
"""

CHILD = """\
import time

import helper

for _ in range(600):
    print("child", helper.label(), flush=True)
    time.sleep(0.05)
"""

PARENT = """\
import subprocess
import sys

import helper

print("parent", helper.label(), flush=True)
subprocess.run([sys.executable, "child.py"], check=True)
"""

SPAWNING = """\
import multiprocessing
import sys
import time


def work(_):
    import builtins

    return getattr(builtins, "USER_SITECUSTOMIZE", "missing")


if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        print("worker", pool.map(work, [0])[0], flush=True)
        time.sleep(60)
"""

USER_SITECUSTOMIZE = """\
import builtins

builtins.USER_SITECUSTOMIZE = "ran"
"""


def test_python_subprocess_gets_an_agent_and_runs_the_saved_code(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "app.py").write_text(PARENT)
    program = run_program("--watch", "app.py")
    program.wait_for_stdout("child alpha")
    kernels = program.wait_for_processes(2)
    [parent] = [info for info in kernels if info.role == "main"]
    [child] = [info for info in kernels if info.role == "subprocess"]
    assert child.parent_pid == parent.pid
    assert child.root_pid == parent.pid
    assert child.command_line[-1] == "child.py"

    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    program.wait_for_stderr("patched helper.py in 2 processes: label changed")
    start = len(program.stdout)
    program.wait_for_stdout("child", start=start + 5)
    assert program.stdout[start : start + 5] == ["child beta"] * 5


def test_no_children_starts_no_agent_in_the_program_s_children(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "app.py").write_text(PARENT)
    program = run_program("--no-children", "app.py")
    program.wait_for_stdout("child alpha")
    program.wait_for_stdout("child alpha", start=len(program.stdout))  # some time running
    assert [info.role for info in program.kernels()] == ["main"]


def test_user_sitecustomize_still_runs_in_children(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    site = tmp_path / "usersite"
    site.mkdir()
    (site / "sitecustomize.py").write_text(USER_SITECUSTOMIZE)
    (tmp_path / "app.py").write_text(SPAWNING)
    program = run_program("app.py", env={"PYTHONPATH": str(site)})
    assert program.wait_for_stdout("worker ") == "worker ran"
    kernels = program.wait_for_processes(2)
    assert sorted(info.role for info in kernels) == ["main", "spawn"]
