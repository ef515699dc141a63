"""A real web application under ``splice run``, spoken to over real HTTP on 127.0.0.1.

    with served(tmp_path, APP) as app:
        assert app.get("/hello") == (200, {"message": "hello world"})
        result = app.patch(APP.replace(...))

``patch`` sends the new text through the agent's socket, as an editor's save
does; ``restore`` patches the original text back (one server serves a whole
test module, each test leaves it as it found it).

``fresh_answers`` is the judge of an edit: the same requests to a fresh start
of the edited program (plain ``python``, no splice), in a copy of its folder.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernel_support import RunningKernel, running_kernel
from splice.engine.result import PatchResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServedApp:
    kernel: RunningKernel
    port: int
    source: str
    module: str = "__main__"

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 10.0
    ) -> tuple[int, Any]:
        """Status and decoded body (JSON when it parses, else text) of one real request."""
        return http_request(self.port, method, path, body, timeout)

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request("POST", path, body if body is not None else {})

    def patch(self, source: str, module: str | None = None) -> PatchResult:
        result = self.kernel.patch(module or self.module, source)
        if module is None:
            self.source = source
        return result

    def restore(self, source: str) -> None:
        result = self.patch(source)
        assert result.ok, result.errors


def http_request(
    port: int, method: str, path: str, body: Any = None, timeout: float = 10.0
) -> tuple[int, Any]:
    """Status and decoded body (JSON when it parses, else text) of one request to 127.0.0.1."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data is not None else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decoded(error.read())


def _decoded(data: bytes) -> Any:
    text = data.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def wait_until_serving(app: ServedApp, path: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            app.get(path)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            if app.kernel.process.poll() is not None:
                break
            time.sleep(0.05)
    raise AssertionError(
        f"the app never answered {path}: {app.kernel.stdout()!r} {app.kernel.stderr()!r}"
    )


@contextlib.contextmanager
def served(
    folder: Path,
    source: str,
    probe: str = "/",
    files: dict[str, str] | None = None,
    script: str = "app.py",
    args: tuple[str, ...] = (),
) -> Iterator[ServedApp]:
    """Write ``source`` as ``script`` and serve it.

    The program gets ``args`` with ``{port}`` filled in, or else the port as
    its only argument.
    """
    source = textwrap.dedent(source)
    (folder / script).write_text(source)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    port = free_port()
    arguments = [argument.format(port=port) for argument in args] or [str(port)]
    with running_kernel(folder, script, arguments) as kernel:
        app = ServedApp(kernel, port, source)
        wait_until_serving(app, probe)
        yield app


def fresh_answers(
    folder: Path,
    paths: list[str],
    files: dict[str, str],
    script: str = "app.py",
    args: tuple[str, ...] = (),
    probe: str = "/",
) -> dict[str, tuple[int, Any]]:
    """What a fresh start of the program answers, with ``files`` (name -> text) edited."""
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "program"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__", "runtime"))
        for name, text in files.items():
            (copy / name).write_text(text)
        port = free_port()
        arguments = [argument.format(port=port) for argument in args] or [str(port)]
        process = subprocess.Popen(
            [sys.executable, script, *arguments],
            cwd=copy,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    http_request(port, "GET", probe)
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        error = process.stderr.read() if process.stderr else b""
                        raise AssertionError(f"the fresh start never served: {error!r}") from None
                    time.sleep(0.05)
            return {path: http_request(port, "GET", path) for path in paths}
        finally:
            process.terminate()
            process.wait(10)
            if process.stderr is not None:
                process.stderr.close()
