"""An asyncio service's background task, suspended in old code, is named in a real process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, running_kernel

APP = """\
import asyncio

BEATS = []


async def heartbeat():
    while True:
        BEATS.append("old")
        await asyncio.sleep(0.5)


def label():
    return "service"


async def main():
    asyncio.create_task(heartbeat(), name="heartbeat")
    print("ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
"""

HEARTBEAT_LINE = APP.splitlines().index("async def heartbeat():") + 1


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[RunningKernel]:
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, "app.py", ready="ready") as kernel:
        yield kernel


def test_background_task_in_old_code_is_named_with_its_task(kernel: RunningKernel) -> None:
    result = kernel.patch("__main__", APP.replace('BEATS.append("old")', 'BEATS.append("new")'))
    assert result.ok and result.changed == ("heartbeat",), result
    [warning] = [w for w in result.warnings if w.code == "function-suspended"]
    assert warning.line == HEARTBEAT_LINE
    assert "heartbeat is suspended in asyncio task 'heartbeat' at app.py:" in warning.message
    # `asyncio.run(main())` is still running: a running statement is not a product.
    assert [w.code for w in result.warnings] == ["function-suspended"]
    # What the warning says is what happens: the task resumes its old body.
    time.sleep(1.2)
    assert eval(kernel.evaluate("BEATS[-1]")) == "old"


def test_patch_that_changes_no_coroutine_names_nothing(kernel: RunningKernel) -> None:
    result = kernel.patch("__main__", APP.replace('"service"', '"api"'))
    assert result.ok and result.changed == ("label",), result
    assert result.skipped == ()


def test_background_task_warning_is_on_the_watch_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    source = APP.replace('BEATS.append("old")', 'BEATS.append("new")')
    with running_kernel(tmp_path, "app.py", run_options=["--watch"], ready="ready") as kernel:
        time.sleep(0.3)  # the watcher's first look records the file as it is
        (tmp_path / "app.py").write_text(source)
        deadline = time.monotonic() + 10
        while "function-suspended" not in kernel.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        output = kernel.stderr()
    assert "patched app.py: heartbeat changed, 1 warning in" in output
    assert (
        f"app.py:{HEARTBEAT_LINE}: warning: [function-suspended] heartbeat is suspended in "
        "asyncio task 'heartbeat' at app.py:"
    ) in output
