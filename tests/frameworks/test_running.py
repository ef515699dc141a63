"""Changed functions that are running when a patch commits are named, with their thread and line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, running_kernel

APP = """\
import threading
import time

RESULTS = []


def step(value):
    return value + 1


def worker():
    total = 0
    while True:
        total = step(total)
        RESULTS.append(total)
        time.sleep(0.005)


def ticker():
    while True:
        yield 1


def idle():
    return "idle"


suspended = ticker()
next(suspended)
threading.Thread(target=worker, name="trainer", daemon=True).start()


def main():
    print("ready", flush=True)
    while True:
        time.sleep(0.01)


main()
"""

LOOP_LINE = APP.splitlines().index("        time.sleep(0.005)") + 1
MAIN_LINE = APP.splitlines().index("        time.sleep(0.01)") + 1


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKernel]:
    folder: Path = tmp_path_factory.mktemp("running")
    (folder / "app.py").write_text(APP)
    with running_kernel(folder, "app.py", ready="ready") as kernel:
        yield kernel


def running(result: object) -> list[str]:
    return [w.message for w in result.warnings if w.code == "function-running"]  # type: ignore[attr-defined]


def test_running_loop_is_named_and_its_helper_is_patched(kernel: RunningKernel) -> None:
    source = APP.replace("    return value + 1\n", "    return value + 1000\n").replace(
        "        RESULTS.append(total)\n", "        RESULTS.append(-total)\n"
    )
    result = kernel.patch("__main__", source)
    assert result.ok and set(result.changed) == {"step", "worker"}, result
    assert running(result) == [
        f"worker is running in thread trainer at app.py:{LOOP_LINE}; it runs the old code until "
        "it returns (the functions it calls, step, are patched and run their new code from "
        "their next call)"
    ]
    warning = next(w for w in result.warnings if w.code == "function-running")
    assert warning.line == source.splitlines().index("def worker():") + 1
    # The behaviour says the same: the helper's new body runs, the loop's old body too.
    kernel.evaluate("RESULTS.clear()")
    time.sleep(0.1)
    values = eval(kernel.evaluate("RESULTS[-3:]"))
    assert len(values) == 3 and values[2] - values[1] == 1000 and values[2] > 0
    assert kernel.patch("__main__", APP).ok


def test_running_main_thread_loop_is_named(kernel: RunningKernel) -> None:
    result = kernel.patch(
        "__main__", APP.replace('print("ready", flush=True)', 'print("set", flush=True)')
    )
    assert running(result) == [
        f"main is running in thread MainThread at app.py:{MAIN_LINE}; it runs the old code "
        "until it returns"
    ]
    assert kernel.patch("__main__", APP).ok


def test_running_suspended_generator_and_idle_function_are_not_named(
    kernel: RunningKernel,
) -> None:
    source = APP.replace("        yield 1\n", "        yield 2\n").replace('"idle"', '"busy"')
    result = kernel.patch("__main__", source)
    assert result.ok and set(result.changed) == {"ticker", "idle"}, result
    assert running(result) == []
    assert kernel.evaluate("idle()") == "'busy'"
    assert kernel.patch("__main__", APP).ok
