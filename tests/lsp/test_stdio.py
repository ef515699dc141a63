"""``splice lsp`` on every kind of stdin an editor may give it.

A pipe or a socket is read by the event loop itself (``lsp/stdio.py``);
anything else (here a file holding the whole session) by pygls's reader.
Each session initializes, shuts down and exits; the server must answer
``initialize`` and ``shutdown`` and end cleanly.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, BinaryIO

import pytest


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _initialize_and_shut_down() -> bytes:
    return b"".join(
        [
            _message(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                }
            ),
            _message({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
            _message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        ]
    )


EXIT = _message({"jsonrpc": "2.0", "method": "exit"})


def _read_responses(stream: BinaryIO, last_id: int) -> dict[object, dict[str, Any]]:
    """The responses the server writes, by id, up to the one with ``last_id``."""
    found: dict[object, dict[str, Any]] = {}
    while last_id not in found:
        length = 0
        while (header := stream.readline()) not in (b"\r\n", b""):
            if header.startswith(b"Content-Length:"):
                length = int(header.split(b":")[1])
        assert length, "the server ended before answering"
        message = json.loads(stream.read(length))
        if "id" in message and "method" not in message:
            found[message["id"]] = message
    return found


def _close(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


@pytest.mark.parametrize("kind", ["pipe", "socket", "file"])
def test_the_server_answers_on_every_kind_of_stdin(kind: str, tmp_path: Path) -> None:
    env = dict(os.environ, SPLICE_RUNTIME_DIR=str(tmp_path / "runtime"))
    command = [sys.executable, "-m", "splice", "lsp"]
    ours: socket.socket | None = None
    if kind == "file":  # the whole session at once: pygls's reader reads it
        session = tmp_path / "session"
        session.write_bytes(_initialize_and_shut_down() + EXIT)
        stdin: Any = session.open("rb")
    elif kind == "socket":
        ours, stdin = socket.socketpair()
    else:
        stdin = subprocess.PIPE
    with contextlib.ExitStack() as cleanup:
        process = subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        cleanup.callback(_close, process)
        assert process.stdout is not None

        def send(data: bytes) -> None:
            if ours is not None:
                ours.sendall(data)
            elif process.stdin is not None:
                process.stdin.write(data)
                process.stdin.flush()

        if stdin is not subprocess.PIPE:
            stdin.close()  # the server's now
        if kind != "file":
            send(_initialize_and_shut_down())
        # As clients do, exit is sent once shutdown was answered.
        responses = _read_responses(process.stdout, last_id=2)
        if kind != "file":
            send(EXIT)
        assert process.wait(timeout=60) == 0
    if ours is not None:
        ours.close()
    assert responses[1]["result"]["serverInfo"]["name"] == "splice"
    assert responses[2]["result"] is None
