"""Real programs of several processes under ``splice run`` (importable as ``processes_support``).

Each program gets its own runtime directory, so ``kernels()`` lists exactly
its processes; its stdout and stderr are read line by line as they come.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from splice.agent import connection
from splice.agent.connection import ConnectionInfo

#: Seconds a program has to start its processes (spawned workers import splice first).
START_TIMEOUT = 30.0


class Program:
    """A ``python -m splice run ...`` subprocess with its output collected line by line."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path,
        runtime_dir: Path,
        env: dict[str, str],
        *,
        under_splice_run: bool = True,
    ) -> None:
        self.runtime_dir = runtime_dir
        prefix = ["-m", "splice", "run"] if under_splice_run else []
        self.process = subprocess.Popen(
            [sys.executable, *prefix, *command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout_lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self._out), daemon=True),
            threading.Thread(
                target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True
            ),
        ]
        for pump in self._pumps:
            pump.start()

    def _out(self, line: str) -> None:
        self.stdout.append(line)
        self.stdout_lines.put(line)

    @staticmethod
    def _pump(stream: object, sink: Callable[[str], None]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink(line.rstrip("\n"))

    def stop(self) -> None:
        # The whole session: workers a test leaves behind must not outlive it.
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 9)
        self.process.wait()
        for pump in self._pumps:
            pump.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def wait_for_stderr(self, fragment: str, timeout: float = START_TIMEOUT, start: int = 0) -> str:
        return self._wait_for(self.stderr, fragment, timeout, start)

    def wait_for_stdout(self, fragment: str, timeout: float = START_TIMEOUT, start: int = 0) -> str:
        return self._wait_for(self.stdout, fragment, timeout, start)

    def _wait_for(self, lines: list[str], fragment: str, timeout: float, start: int) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines)[start:]:
                if fragment in line:
                    return line
            if self.process.poll() is not None and time.monotonic() > deadline - timeout + 1:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"never printed {fragment!r}; stdout: {self.stdout[-20:]}; stderr: {self.stderr[-30:]}"
        )

    def kernels(self) -> list[ConnectionInfo]:
        return connection.discover(str(self.runtime_dir))

    def wait_for_processes(
        self, count: int, timeout: float = START_TIMEOUT
    ) -> list[ConnectionInfo]:
        """The program's processes once ``count`` of them listen."""
        deadline = time.monotonic() + timeout
        found: list[ConnectionInfo] = []
        while time.monotonic() < deadline:
            found = self.kernels()
            if len(found) >= count:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"{len(found)} of {count} processes listen ({[(k.pid, k.role) for k in found]});"
            f" stderr: {self.stderr[-30:]}"
        )


def save(path: Path, text: str) -> None:
    """Write ``text`` with a fresh modification time, as an editor's save would."""
    path.write_text(text)
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return str(response.read().decode())


def wait_for_http(url: str, timeout: float = START_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url, timeout=2.0)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
