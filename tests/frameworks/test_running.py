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
#: The worker sleeps nearly all the time, but a commit may catch it a line earlier.
LOOP_LINES = range(LOOP_LINE - 3, LOOP_LINE + 1)


def at_loop_line(message: str) -> str:
    """``message`` with the worker's line, wherever in its loop it was, as LOOP_LINE."""
    for line in LOOP_LINES:
        message = message.replace(f"at app.py:{line};", f"at app.py:{LOOP_LINE};")
    return message


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
    assert [at_loop_line(message) for message in running(result)] == [
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


def test_running_warning_is_on_the_watch_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    source = APP.replace("RESULTS.append(total)", "RESULTS.append(-total)")
    with running_kernel(tmp_path, "app.py", run_options=["--watch"], ready="ready") as kernel:
        time.sleep(0.3)  # the watcher's first look records the file as it is
        (tmp_path / "app.py").write_text(source)
        deadline = time.monotonic() + 10
        while "function-running" not in kernel.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        output = at_loop_line(kernel.stderr())
    assert "patched app.py: worker changed, 1 warning in" in output
    line = source.splitlines().index("def worker():") + 1
    assert (
        f"app.py:{line}: warning: [function-running] worker is running in thread trainer at "
        f"app.py:{LOOP_LINE}; it runs the old code until it returns"
    ) in output


def test_running_recreated_function_is_named_too(kernel: RunningKernel) -> None:
    source = APP.replace("def worker():", "@staticmethod\ndef worker():").replace(
        "threading.Thread(target=worker,", "threading.Thread(target=worker.__func__,"
    )
    result = kernel.patch("__main__", source)
    assert "worker" in result.rebound, result
    assert [at_loop_line(message) for message in running(result)] == [
        f"worker is running in thread trainer at app.py:{LOOP_LINE}; it runs the old code "
        "until it returns"
    ]
    assert kernel.patch("__main__", APP).ok


def test_running_loop_is_named_again_on_a_second_patch(kernel: RunningKernel) -> None:
    # The loop's frame still runs its first code, which no function holds any more.
    first = APP.replace("RESULTS.append(total)", "RESULTS.append(total + 1)")
    second = APP.replace("RESULTS.append(total)", "RESULTS.append(total + 2)")
    for source in (first, second):
        result = kernel.patch("__main__", source)
        assert result.ok and result.changed == ("worker",), result
        assert len(running(result)) == 1, result
    assert kernel.patch("__main__", APP).ok
