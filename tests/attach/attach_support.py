"""Helpers for the attach tests: plain interpreters running a loop, never under splice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import splice

#: The checkout's ``server`` directory: the attacher runs splice from here.
SERVER = str(Path(splice.__file__).resolve().parent.parent)
THROWAWAY_USER = "splice-attach-test"
SYSTEM_PYTHON = "/usr/bin/python3"
#: A target loop: prints value() every 20 ms, so a patch shows within a few lines.
LOOP = """\
import sys, time


def value():
    return "before"


print("ready", flush=True)
while True:
    print(value(), flush=True)
    time.sleep(0.02)
"""


def pyenv_python(version: str) -> str | None:
    """``$(pyenv prefix VERSION)/bin/python``, or None when pyenv does not have it."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    completed = subprocess.run(
        [pyenv, "prefix", version], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return None
    path = Path(completed.stdout.strip(), "bin", "python")
    return str(path) if path.exists() else None


def base_python() -> str:
    """This interpreter outside the virtualenv: a Python where splice is not installed."""
    major, minor = sys.version_info[:2]
    for name in (f"python{major}.{minor}", "python3", "python"):
        path = Path(sys.base_prefix, "bin", name)
        if path.exists():
            return str(path)
    raise RuntimeError(f"no base interpreter under {sys.base_prefix}")


def clean_environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPLICE_", "PYTHON", "VIRTUAL_ENV"))
    }
    environment.update(extra)
    return environment


@dataclass
class Target:
    """A plain Python process running a script, its stdout in a file."""

    process: subprocess.Popen[bytes]
    script: Path
    output: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 10.0, after: int = 0) -> None:
        """Wait until ``text`` appears in stdout past character ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stdout()[after:]:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.stdout()[-300:]
        errors = Path(str(self.output) + ".err").read_text(errors="replace")[-1500:]
        raise AssertionError(f"{text!r} not in the target's stdout: {tail!r}; stderr: {errors}")

    def state(self) -> str:
        """The State line of /proc/PID/status, e.g. "S (sleeping)"."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.split(":", 1)[1].strip()
        return ""

    def assert_running_normally(self) -> None:
        """Alive, not stopped, and still printing."""
        assert self.process.poll() is None, "the target exited"
        assert not self.state().startswith(("T", "t")), self.state()
        printed = len(self.stdout())
        deadline = time.monotonic() + 5.0
        while len(self.stdout()) == printed:
            assert time.monotonic() < deadline, "the target stopped printing"
            time.sleep(0.02)


def run_splice(
    *arguments: str, timeout: float = 60.0, **environment: str
) -> subprocess.CompletedProcess[str]:
    """The real ``splice`` command line, from this checkout."""
    env = dict(os.environ, **environment)
    return subprocess.run(
        [sys.executable, "-m", "splice", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def attach_json(pid: int, *options: str, **environment: str) -> dict[str, object]:
    completed = run_splice("attach", str(pid), "--json", *options, **environment)
    assert completed.stdout.startswith("{"), completed
    result: dict[str, object] = json.loads(completed.stdout)
    assert (completed.returncode == 0) == ("error" not in result), completed
    return result


requires_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")


def patch_body(script: Path) -> str:
    """``splice patch SCRIPT``; assert it patched ``value`` (its exit status is the engine's call).

    A module imported before the agent has no recorded baseline, so the engine
    may also report its top-level statements as skipped (issue 11.2); what the
    attach tests check is that the body edit reached the process.
    """
    completed = run_splice("patch", str(script))
    assert "value changed" in completed.stdout, completed
    assert "error" not in completed.stdout + completed.stderr, completed
    return completed.stdout
