"""Real kernels for tests: ``python -m splice run`` subprocesses (importable as ``kernel_support``).

    with running_kernel(tmp_path, "app.py", ready="ready") as kernel:
        assert kernel.evaluate("total(2)") == "4"

The connection file appears before the program's top-level code has run
(``splice run`` listens first), so a test that needs the program's names
passes ``ready``: a line the program prints once they exist.

Each kernel gets its own runtime directory (``SPLICE_RUNTIME_DIR``), so tests
never see each other's kernels, and its stdout/stderr go to files that a test
can read (``kernel.stdout()``, ``kernel.stderr()``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splice.agent import authentication, connection, wire
from splice.agent.connection import ConnectionInfo
from splice.client.blocking import BlockingKernelClient
from splice.engine.result import PatchResult

#: Seconds to wait for a kernel's connection file.
START_TIMEOUT = 20.0


@dataclass
class RunningKernel:
    info: ConnectionInfo
    process: subprocess.Popen[bytes]
    runtime_dir: str
    output_dir: str
    _clients: list[BlockingKernelClient] = field(default_factory=list)

    def client(self, timeout: float | None = 30.0) -> BlockingKernelClient:
        """A new authenticated synchronous client (closed when the kernel stops)."""
        client = BlockingKernelClient(self.info, timeout=timeout)
        self._clients.append(client)
        return client

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        with BlockingKernelClient(self.info) as client:
            return client.request(method, params)

    def evaluate(self, expression: str, module: str = "__main__") -> str:
        """``repr()`` of ``expression`` evaluated in the kernel's ``module``."""
        with BlockingKernelClient(self.info) as client:
            return client.evaluate(expression, module)

    def patch(
        self, module: str, source: str, only: list[str] | None = None, dry_run: bool = False
    ) -> PatchResult:
        with BlockingKernelClient(self.info) as client:
            return client.patch(module, source, only, dry_run)

    def stdout(self) -> str:
        return Path(self.output_dir, "stdout").read_text(errors="replace")

    def stderr(self) -> str:
        return Path(self.output_dir, "stderr").read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 10.0) -> str:
        """Wait until ``text`` appears on the kernel's stdout; return all of it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.stdout()
            if text in output:
                return output
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(
            f"{text!r} not in the kernel's stdout: {self.stdout()!r}; stderr: {self.stderr()!r}"
        )


def wait_for_connection_file(
    process: subprocess.Popen[bytes],
    runtime_dir: str,
    timeout: float = START_TIMEOUT,
    stderr_path: str | None = None,
) -> ConnectionInfo:
    """The connection file of ``process``, once it exists; fails if the process exits first."""
    path = connection.connection_path(process.pid, runtime_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with contextlib.suppress(OSError, ValueError):
                return connection.read(path)
        if process.poll() is not None:
            error = Path(stderr_path).read_text(errors="replace") if stderr_path else ""
            raise AssertionError(
                f"kernel exited with {process.returncode} before listening: {error}"
            )
        time.sleep(0.01)
    raise AssertionError(f"no connection file {path} after {timeout} s")


def kernel_env(runtime_dir: str, env: dict[str, str] | None = None) -> dict[str, str]:
    merged = dict(os.environ)
    merged["SPLICE_RUNTIME_DIR"] = runtime_dir
    merged["PYTHONUNBUFFERED"] = "1"
    merged.pop("PYTHONSTARTUP", None)
    merged.update(env or {})
    return merged


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    # Pipes left open would surface as a ResourceWarning in whichever later test
    # the garbage collector happens to run in.
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


@contextlib.contextmanager
def _started(
    command: list[str],
    project_dir: str | os.PathLike[str],
    env: dict[str, str] | None,
    runtime_dir: str | None = None,
    ready: str | None = None,
) -> Iterator[RunningKernel]:
    own_runtime_dir = runtime_dir is None
    runtime_dir = runtime_dir or tempfile.mkdtemp(prefix="splice-rt-")
    output_dir = tempfile.mkdtemp(prefix="splice-out-")
    stdout_path = os.path.join(output_dir, "stdout")
    stderr_path = os.path.join(output_dir, "stderr")
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=os.fspath(project_dir),
            env=kernel_env(runtime_dir, env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    kernel = None
    try:
        info = wait_for_connection_file(process, runtime_dir, stderr_path=stderr_path)
        kernel = RunningKernel(info, process, runtime_dir, output_dir)
        if ready is not None:
            kernel.wait_for_output(ready, timeout=START_TIMEOUT)
        yield kernel
    finally:
        if kernel is not None:
            for client in kernel._clients:
                client.close()
        stop_process(process)
        if own_runtime_dir:
            shutil.rmtree(runtime_dir, ignore_errors=True)
        shutil.rmtree(output_dir, ignore_errors=True)


@contextlib.contextmanager
def running_program(
    project_dir: str | os.PathLike[str],
    script: str,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    *,
    ready: str | None = None,
) -> Iterator[RunningKernel]:
    """Run ``python SCRIPT`` (a program that calls ``splice.listen()`` itself).

    With ``ready``, wait until the program has printed that text.
    """
    with _started([sys.executable, script, *args], project_dir, env, ready=ready) as kernel:
        yield kernel


@contextlib.contextmanager
def running_kernel(
    project_dir: str | os.PathLike[str],
    script: str = "app.py",
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    *,
    module: str | None = None,
    run_options: Sequence[str] = (),
    runtime_dir: str | None = None,
    ready: str | None = None,
) -> Iterator[RunningKernel]:
    """Run ``python -m splice run SCRIPT ARGS`` (or ``-m MODULE``) in ``project_dir``.

    ``runtime_dir`` shares a runtime directory between kernels (default: a new one);
    with ``ready``, wait until the program has printed that text.
    """
    target = ["-m", module] if module else [script]
    command = [sys.executable, "-m", "splice", "run", *run_options, *target, *args]
    with _started(command, project_dir, env, runtime_dir, ready) as kernel:
        yield kernel


# Raw sockets, for tests that speak (or mangle) the protocol byte by byte ---------------


class RawConnection:
    """An unauthenticated socket to a kernel, with a frame reader."""

    def __init__(self, info: ConnectionInfo, timeout: float = 10.0) -> None:
        from splice.client.blocking import open_socket

        self.sock = open_socket(info)
        self.sock.settimeout(timeout)
        self.reader = wire.FrameReader(self.sock)

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, message: Any) -> None:
        self.sock.sendall(wire.encode_frame(message))

    def read(self, timeout: float = 10.0) -> Any:
        """The next message from the kernel, or None when it closed the connection."""
        self.sock.settimeout(timeout)
        try:
            return wire.decode_body(self.reader.read_body())
        except (wire.ConnectionClosedError, ConnectionResetError):
            return None

    def request(self, request_id: int, method: str, params: Any = None) -> Any:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.read()

    def is_closed(self, timeout: float = 5.0) -> bool:
        """True when the kernel closes the connection (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def initialize(self, challenge: str = "c" * 43, request_id: int = 0) -> Any:
        """Send ``initialize`` with ``challenge``; the kernel's reply."""
        return self.request(request_id, "initialize", {"challenge": challenge})

    def handshake(self, token: str, *, check_kernel: bool = True) -> Any:
        """The whole handshake (docs/protocol.md, Authentication); the reply to ``authenticate``.

        ``check_kernel=False`` skips the check of the kernel's proof (for a wrong ``token``).
        """
        challenge = authentication.new_challenge()
        reply = self.initialize(challenge)
        assert reply is not None and "result" in reply, reply
        kernel = reply["result"]["challenge"]
        if check_kernel:
            expected = authentication.proof(token, "kernel", challenge, kernel)
            assert reply["result"]["proof"] == expected
        proof = authentication.proof(token, "client", challenge, kernel)
        return self.request(0, "authenticate", {"proof": proof})

    def authenticate(self, token: str) -> dict[str, Any]:
        """The whole handshake; the kernel's identity."""
        reply = self.handshake(token)
        assert reply is not None and "result" in reply, reply
        result: dict[str, Any] = reply["result"]
        return result
