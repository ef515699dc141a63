"""Real servers of several processes for the language server's tests (importable by name).

A program runs under ``python -m splice run`` in the project folder and
shares the server's runtime directory, as on a user's machine; it is its own
session, so stopping it stops every worker it started.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from splice.agent import connection
from splice.agent.connection import ConnectionInfo

#: Seconds a program has to start its workers (spawned ones import splice first).
START_TIMEOUT = 60.0


class Program:
    """``python -m splice run ARGS`` in ``folder``; its output goes to a log file."""

    def __init__(self, folder: Path, runtime_dir: str, *arguments: str) -> None:
        self.runtime_dir = runtime_dir
        self.log = folder.parent / f"program-{len(list(folder.parent.glob('program-*')))}.log"
        env = {
            **os.environ,
            "SPLICE_RUNTIME_DIR": runtime_dir,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            # gunicorn keeps a control socket in the home directory.
            "HOME": str(folder.parent / "home"),
        }
        env.pop("PYTHONSTARTUP", None)
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "splice", "run", *arguments],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()[-4000:]

    def kernels(self) -> list[ConnectionInfo]:
        return connection.discover(self.runtime_dir)

    def workers(self) -> set[int]:
        return {info.pid for info in self.kernels() if info.role != "main"}

    def wait_for_workers(self, count: int, excluded: frozenset[int] = frozenset()) -> set[int]:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = self.workers() - excluded
            if len(found) >= count:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"workers {self.workers()}; output: {self.output()}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 9)
        self.process.wait()


@contextlib.contextmanager
def running_program(folder: Path, runtime_dir: str, *arguments: str) -> Iterator[Program]:
    program = Program(folder, runtime_dir, *arguments)
    try:
        yield program
    finally:
        program.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (127.0.0.1 only)
        return str(response.read().decode())


def wait_for_http(url: str, program: Program) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            get(url, timeout=2.0)
            return
        except OSError:
            if time.monotonic() > deadline or program.process.poll() is not None:
                raise AssertionError(f"{url} never answered; output: {program.output()}") from None
            time.sleep(0.1)


def responses(url: str, workers: set[int], attempts: int = 300) -> dict[int, set[str]]:
    """What each worker answers, asking until every one of ``workers`` has answered."""
    seen: dict[int, set[str]] = {}
    for _ in range(attempts):
        word, pid = get(url).split()
        seen.setdefault(int(pid), set()).add(word)
        if workers <= set(seen):
            break
    return seen
