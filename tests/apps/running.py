"""Running a corpus program, live or fresh, and probing it the same way either way.

A server is probed with HTTP requests on 127.0.0.1; a program that is not a
server prints one line per tick (``probe {...}``, or the shop's ``[tick N]
...``), and its probe is a line printed after the save, with the tick number
left out, so a fresh start's first line compares with the live program's next.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from oracle import DOWN

#: Seconds a program has to come up (spawned workers import splice first; the machine is shared).
START_TIMEOUT = 40.0


@dataclass(frozen=True)
class Http:
    """A request whose status and body (JSON normalised) are compared; ``headers`` too."""

    path: str
    method: str = "GET"
    body: object = None
    headers: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        payload = f" {json.dumps(self.body)}" if self.body is not None else ""
        return f"{self.method} {self.path}{payload}"


@dataclass(frozen=True)
class Ticks:
    """A line the program prints every tick; group 1 of ``pattern`` is what is compared."""

    pattern: str = r"^probe (.*)$"
    label: str = "next tick's line"


Probes = tuple[Http, ...] | Ticks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Program:
    """A program in its own session (so its workers stop with it); output read line by line."""

    def __init__(
        self, command: Sequence[str], cwd: Path, env: Mapping[str, str], port: int | None
    ) -> None:
        self.command = list(command)
        self.port = port
        self.process = subprocess.Popen(
            self.command,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.stderr_lines: queue.Queue[str] = queue.Queue()
        self._pumps = [
            threading.Thread(target=_pump, args=(self.process.stdout, self.stdout.append)),
            threading.Thread(target=_pump, args=(self.process.stderr, self._on_stderr)),
        ]
        for pump in self._pumps:
            pump.daemon = True
            pump.start()

    def _on_stderr(self, line: str) -> None:
        self.stderr.append(line)
        self.stderr_lines.put(line)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def why_down(self) -> str:
        """``DOWN: ...`` with the exit status and the last line of stderr that says something."""
        status = self.process.poll()
        said = [line for line in self.stderr if line.strip() and not line.startswith(" ")]
        last = said[-1] if said else "(nothing on stderr)"
        state = f"exited with {status}" if status is not None else "not answering"
        return f"{DOWN}: {state}: {last}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for pump in self._pumps:
            pump.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _pump(stream: object, sink: Callable[[str], None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink(line.rstrip("\n"))


def request(port: int, probe: Http, timeout: float = 10.0) -> str:
    """``STATUS BODY [headers]`` of one request; the body as sorted JSON when it is JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps(probe.body).encode() if probe.body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(probe.method, probe.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read().decode(errors="replace")
        with contextlib.suppress(ValueError):
            raw = json.dumps(json.loads(raw), sort_keys=True)
        shown = "".join(f" [{name}: {response.getheader(name)}]" for name in probe.headers)
        return f"{response.status} {raw}{shown}"
    finally:
        connection.close()


def wait_until_serving(program: Program, probe: Http, timeout: float = START_TIMEOUT) -> bool:
    """True once the program answers HTTP at all; False if it exits or never does."""
    assert program.port is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not program.alive:
            return False
        try:
            request(program.port, probe, timeout=2.0)
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
    return False


def tick_lines(program: Program, ticks: Ticks) -> list[str]:
    pattern = re.compile(ticks.pattern)
    return [match.group(1) for line in list(program.stdout) if (match := pattern.match(line))]


def wait_for_ticks(
    program: Program, ticks: Ticks, count: int, timeout: float = START_TIMEOUT
) -> str | None:
    """The ``count``-th tick line, once printed; None if the program exits or is too slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = tick_lines(program, ticks)
        if len(found) >= count:
            return found[count - 1]
        if not program.alive:
            return None
        time.sleep(0.02)
    return None


def probe(program: Program, probes: Probes, timeout: float = START_TIMEOUT) -> dict[str, str]:
    """The program's answers now, keyed by probe label."""
    if isinstance(probes, Ticks):
        # The first line printed from now on may come from a tick that began
        # before the patch; the second began after it.
        seen = len(tick_lines(program, probes))
        line = wait_for_ticks(program, probes, seen + 2, timeout)
        return {probes.label: line if line is not None else program.why_down()}
    answers = {}
    for item in probes:
        if not program.alive:
            answers[item.label] = program.why_down()
            continue
        assert program.port is not None
        try:
            answers[item.label] = request(program.port, item)
        except (OSError, http.client.HTTPException) as error:
            answers[item.label] = f"{DOWN}: {type(error).__name__}: {error}"
    return answers


def wait_until_up(program: Program, probes: Probes, timeout: float = START_TIMEOUT) -> bool:
    """True once the program answers its first probe (a server) or prints a tick line."""
    if isinstance(probes, Ticks):
        return wait_for_ticks(program, probes, 1, timeout) is not None
    return wait_until_serving(program, probes[0], timeout)


def fresh_answers(program: Program, probes: Probes) -> dict[str, str]:
    """A fresh start's answers: its first tick line, or each request once it serves."""
    if not wait_until_up(program, probes):
        return {label: program.why_down() for label in labels(probes)}
    if isinstance(probes, Ticks):
        first = wait_for_ticks(program, probes, 1)
        return {probes.label: first if first is not None else program.why_down()}
    return probe(program, probes)


def labels(probes: Probes) -> list[str]:
    if isinstance(probes, Ticks):
        return [probes.label]
    return [probe.label for probe in probes]


def python() -> str:
    """The interpreter running the tests: the live program, its fresh start and splice use it."""
    return sys.executable
