"""Debugged programs for tests: real debugpy in real interpreters (importable as ``debug_support``).

Each CPython this machine has runs the debugged program: this interpreter,
and the per-version virtualenvs that .ci/run makes (``.venv-3.10``, ...,
with splice and debugpy installed). The language server and the DAP client
run here, whatever the program's version.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kernel_support import kernel_env, stop_process, wait_for_connection_file
from splice.agent.connection import ConnectionInfo
from splice.client.blocking import BlockingKernelClient
from support import e2e_unavailable

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("3.10", "3.11", "3.12", "3.13")

#: The program every debugging test runs. Line numbers matter: see the constants below.
APP = """\
import time


def compute(x):
    y = x + 1
    return y * 2


def helper(x):
    return x - 1


values = []
while True:
    values.append(compute(len(values)))
    helper(0)
    time.sleep(0.01)
"""
#: compute's new body: two lines longer, so helper moves down by two.
NEW = APP.replace(
    "    y = x + 1\n    return y * 2\n",
    "    # a hundred more, times three\n    y = x + 100\n    z = y * 3\n    return z\n",
)
COMPUTE_FIRST_LINE = 5  # y = x + 1
LOOP_CALL_LINE = 15  # values.append(compute(len(values)))
NEW_COMPUTE_FIRST_LINE = 6  # y = x + 100
NEW_ONLY_LINE = 7  # z = y * 3: no line of the old text has code there
NEW_HELPER_LINE = 12  # helper's body, two lines further down than before


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``needle``, to keep the constants above honest."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


assert line_of(APP, "y = x + 1") == COMPUTE_FIRST_LINE
assert line_of(APP, "values.append") == LOOP_CALL_LINE
assert line_of(NEW, "y = x + 100") == NEW_COMPUTE_FIRST_LINE
assert line_of(NEW, "z = y * 3") == NEW_ONLY_LINE
assert line_of(NEW, "return x - 1") == NEW_HELPER_LINE


def interpreter(version: str) -> str:
    """A Python ``version`` with splice and debugpy, or a stated skip."""
    if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
        candidate = sys.executable
    else:
        candidate = str(ROOT / f".venv-{version}" / "bin" / "python")
        if not os.path.exists(candidate):
            e2e_unavailable(
                f"no .venv-{version}: make it as .ci/run does"
                f" ($(pyenv prefix {version}.x)/bin/python -m venv .venv-{version};"
                f" .venv-{version}/bin/pip install -e '.[test-core]')"
            )
    check = subprocess.run(
        [candidate, "-c", "import debugpy, splice"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        e2e_unavailable(f"{candidate} cannot import debugpy and splice: {check.stderr[-300:]}")
    return candidate


@pytest.fixture(params=VERSIONS, ids=[f"py{version}" for version in VERSIONS])
def python(request: pytest.FixtureRequest) -> str:
    return interpreter(request.param)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class DebuggedProgram:
    """A program under a debugger and splice; its output in files."""

    process: subprocess.Popen[bytes]
    port: int
    folder: Path
    output: Path
    runtime_dir: str
    info: ConnectionInfo | None = None

    @property
    def script(self) -> str:
        return str(self.folder / "app.py")

    def kernel(self) -> ConnectionInfo:
        if self.info is None:
            self.info = wait_for_connection_file(
                self.process, self.runtime_dir, stderr_path=str(self.output / "stderr")
            )
        return self.info

    def evaluate(self, expression: str) -> str:
        with BlockingKernelClient(self.kernel(), timeout=20) as client:
            return client.evaluate(expression)

    def request(self, method: str, params: dict[str, object]) -> object:
        with BlockingKernelClient(self.kernel(), timeout=20) as client:
            return client.request(method, params)

    def wait_for_value(self, expression: str, predicate: object, timeout: float = 20.0) -> str:
        """Evaluate until ``predicate(text)`` holds (the program is running)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.evaluate(expression)
            if predicate(text):  # type: ignore[operator]
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression} stayed {text}")
            time.sleep(0.02)

    def environment(self) -> dict[str, str]:
        """The environment a client of this program's agent needs (its runtime directory)."""
        return kernel_env(self.runtime_dir)

    def stderr(self) -> str:
        return (self.output / "stderr").read_text(errors="replace")


@contextlib.contextmanager
def debugged(
    python: str,
    folder: Path,
    command: list[str],
    runtime_dir: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[DebuggedProgram]:
    """Run ``python *command`` in ``folder`` (which holds app.py); stopped at the end."""
    output = Path(tempfile.mkdtemp(prefix="splice-debug-out-"))
    with open(output / "stdout", "wb") as stdout, open(output / "stderr", "wb") as stderr:
        process = subprocess.Popen(
            [python, *command],
            cwd=folder,
            env=kernel_env(runtime_dir, env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    program = DebuggedProgram(process, port or 0, folder, output, runtime_dir)
    try:
        yield program
    finally:
        stop_process(process)
        shutil.rmtree(output, ignore_errors=True)


@contextlib.contextmanager
def splice_run_debug(python: str, folder: Path, runtime_dir: str) -> Iterator[DebuggedProgram]:
    """``splice run --debug PORT --wait-for-client app.py``: waits for a debugger."""
    port = free_port()
    command = ["-m", "splice", "run", "--debug", str(port), "--wait-for-client", "app.py"]
    with debugged(python, folder, command, runtime_dir, port=port) as program:
        yield program
