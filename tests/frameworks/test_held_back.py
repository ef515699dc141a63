"""A refused edit that holds the rest of a save back says which changes, and how to apply them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, kernel_env, running_kernel
from splice.engine.plan.held_back import held_back_definitions

APP = """\
import enum
import threading


class Colour(enum.Enum):
    RED = 1


def price():
    return 1


def name():
    return "a"


print("ready", flush=True)
threading.Event().wait()
"""

SAVE = (
    APP.replace("    RED = 1\n", "    RED = 1\n    BLUE = 2\n")
    .replace("    return 1\n", "    return 2\n")
    .replace('    return "a"\n', '    return "b"\n')
    + "\n\ndef added():\n    return 0\n"
)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[RunningKernel]:
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, "app.py", ready="ready") as kernel:
        yield kernel


def test_held_back_changes_are_named_with_the_command(kernel: RunningKernel) -> None:
    result = kernel.patch("__main__", SAVE)
    assert not result.ok
    assert [error.code for error in result.errors] == ["enum-members-changed"]
    held = [finding for finding in result.skipped if finding.code == "held-back"]
    assert [(finding.qualname, finding.line) for finding in held] == [
        ("price", SAVE.splitlines().index("def price():") + 1),
        ("name", SAVE.splitlines().index("def name():") + 1),
        ("added", SAVE.splitlines().index("def added():") + 1),
    ]
    assert held[0].message == (
        "price (changed) was not applied because another edit of this save was refused (a "
        "patch is all or nothing); to apply the other changes alone: "
        "splice patch --apply-others app.py"
    )
    assert kernel.evaluate("price(), name()") == "(1, 'a')"


def test_held_back_changes_apply_alone_with_only(kernel: RunningKernel) -> None:
    held = held_back_definitions(kernel.patch("__main__", SAVE))
    assert held == ["price", "name", "added"]
    with kernel.client() as client:
        result = client.patch("__main__", SAVE, only=held)
    assert result.ok, result
    assert kernel.evaluate("price(), name(), added()") == "(2, 'b', 0)"
    assert kernel.evaluate("[c.name for c in Colour]") == "['RED']"


def test_held_back_nothing_when_the_refused_edit_is_alone(kernel: RunningKernel) -> None:
    result = kernel.patch("__main__", APP.replace("    RED = 1\n", "    RED = 3\n"))
    assert not result.ok
    assert [f for f in result.skipped if f.code == "held-back"] == []


def wait_for_stderr(kernel: RunningKernel, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in kernel.stderr():
            return kernel.stderr()
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not on stderr: {kernel.stderr()!r}")


def test_held_back_watch_line_prints_the_command(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, "app.py", run_options=["--watch"], ready="ready") as kernel:
        time.sleep(0.3)  # the watcher's first look records the file as it is
        (tmp_path / "app.py").write_text(SAVE)
        output = wait_for_stderr(kernel, "held-back")
        assert "not patched app.py: Colour: cannot patch in place" in output
        assert (
            "warning: [held-back] price (changed) was not applied because another edit of "
            "this save was refused (a patch is all or nothing); to apply the other changes "
            "alone: splice patch --apply-others app.py"
        ) in output


def test_held_back_deletion_says_it_stays_until_the_refusal_is_resolved(
    kernel: RunningKernel,
) -> None:
    source = APP.replace("    RED = 1\n", "    RED = 1\n    BLUE = 2\n").replace(
        'def name():\n    return "a"\n\n\n', ""
    )
    result = kernel.patch("__main__", source)
    held = [finding for finding in result.skipped if finding.code == "held-back"]
    assert [finding.message for finding in held] == [
        "name (deleted) was not applied because another edit of this save was refused (a "
        "patch is all or nothing); it is removed once the refused edit is fixed or undone"
    ]
    assert held_back_definitions(result) == []


def test_held_back_apply_others_applies_them_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, "app.py", ready="ready") as kernel:
        (tmp_path / "app.py").write_text(SAVE)
        completed = subprocess.run(
            [sys.executable, "-m", "splice", "patch", "--apply-others", "app.py"],
            cwd=tmp_path,
            env=kernel_env(kernel.runtime_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        label = f"pid {kernel.info.pid} (__main__)"
        lines = [line for line in completed.stdout.splitlines() if line.startswith(label)]
        assert len(lines) == 2, completed.stdout + completed.stderr
        assert lines[0].startswith(f"{label}: not patched app.py: Colour: cannot patch in place")
        assert lines[1].startswith(f"{label}: patched app.py: price, name changed, added added in")
        # Not everything of the file was applied: the exit status says so.
        assert completed.returncode == 1
        assert kernel.evaluate("price(), name(), added()") == "(2, 'b', 0)"
        assert kernel.evaluate("[colour.name for colour in Colour]") == "['RED']"
