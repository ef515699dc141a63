"""``splice eval``: a live value on the command line, from a real kernel."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, kernel_env, running_kernel

APP = """\
import time

PRICES = {"tea": 3}


def total(item, count):
    return PRICES[item] * count


print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def splice_eval(runtime_dir: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", "eval", *args],
        env=kernel_env(runtime_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[RunningKernel]:
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, ready="ready") as running:
        yield running


def test_eval_prints_the_value_of_an_expression(kernel: RunningKernel) -> None:
    done = splice_eval(kernel.runtime_dir, "total('tea', 2)")
    assert (done.returncode, done.stdout, done.stderr) == (0, "6\n", "")


def test_eval_runs_statements_and_prints_output_then_the_last_value(kernel: RunningKernel) -> None:
    done = splice_eval(
        kernel.runtime_dir, "--kernel", str(kernel.info.pid), "print('hi'); PRICES['tea']"
    )
    assert (done.returncode, done.stdout) == (0, "hi\n3\n"), done.stderr


def test_eval_exits_1_with_the_traceback_when_the_code_raises(kernel: RunningKernel) -> None:
    done = splice_eval(kernel.runtime_dir, "total('coffee', 1)")
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith("KeyError: 'coffee'"), done.stderr
    assert "Traceback" in done.stderr


def test_eval_json_gives_the_kernel_s_answer(kernel: RunningKernel) -> None:
    done = splice_eval(kernel.runtime_dir, "--json", "PRICES")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["value"], answer["type"]) == ("{'tea': 3}", "dict")


def test_eval_needs_a_kernel(tmp_path: Path) -> None:
    done = splice_eval(str(tmp_path / "empty"), "1 + 1")
    assert done.returncode == 2
    assert "no live kernel" in done.stderr


def test_eval_asks_which_kernel_when_several_run(kernel: RunningKernel, tmp_path: Path) -> None:
    with running_kernel(tmp_path, runtime_dir=kernel.runtime_dir, ready="ready") as second:
        done = splice_eval(kernel.runtime_dir, "1 + 1")
        assert done.returncode == 2
        assert "choose one with --kernel PID" in done.stderr
        assert str(second.info.pid) in done.stderr
