"""A small Debug Adapter Protocol client for tests: the real debugpy adapter on the other end.

DAP frames messages as LSP does (``Content-Length`` headers, JSON bodies).
One reader thread files responses by request and keeps every event in
order; the test waits for what it needs.

    with DapClient.connect(port) as dap:
        dap.attach_with_breakpoints(path, [5])
        stop = dap.wait_stopped()
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Seconds to wait for a response or an event.
TIMEOUT = 30.0


class DapError(AssertionError):
    """A request failed, or what a test waited for did not come."""


class DapClient:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._seq = itertools.count(1)
        self._condition = threading.Condition()
        self._responses: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._seen = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="dap-reader", daemon=True)
        self._reader.start()

    @classmethod
    @contextlib.contextmanager
    def connect(cls, port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[Any]:
        """Connect once the adapter listens (it starts after the program)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        client = cls(sock)
        try:
            yield client
        finally:
            client.close()

    # Wire --------------------------------------------------------------------------

    def _read_loop(self) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                header, _, buffer = buffer.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in header.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(buffer) < length:
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                body, buffer = buffer[:length], buffer[length:]
                self._file(json.loads(body))
        except OSError:
            return
        finally:
            with self._condition:
                self._closed = True
                self._condition.notify_all()

    def _file(self, message: dict[str, Any]) -> None:
        with self._condition:
            if message.get("type") == "response":
                self._responses[message["request_seq"]] = message
            elif message.get("type") == "event":
                self.events.append(message)
            self._condition.notify_all()

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        seq = next(self._seq)
        message = {"seq": seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        body = json.dumps(message).encode()
        self._sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def response(self, seq: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The body of request ``seq``'s response; raises if it failed."""
        message = self._wait(lambda: self._responses.pop(seq, None), timeout, f"response {seq}")
        if not message.get("success"):
            raise DapError(f"{message.get('command')} failed: {message.get('message')}")
        body: dict[str, Any] = message.get("body") or {}
        return body

    def request(
        self, command: str, arguments: dict[str, Any] | None = None, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        return self.response(self.send(command, arguments), timeout)

    def wait_event(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda body: True,
        timeout: float = TIMEOUT,
    ) -> dict[str, Any]:
        """The body of the next ``name`` event not waited for before."""

        def find() -> dict[str, Any] | None:
            for index in range(self._seen, len(self.events)):
                event = self.events[index]
                if event.get("event") == name and predicate(event.get("body") or {}):
                    self._seen = index + 1
                    body: dict[str, Any] = event.get("body") or {}
                    return body
            return None

        return self._wait(find, timeout, f"event {name!r}")

    def _wait(self, find: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = find()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    seen = [event.get("event") for event in self.events]
                    raise DapError(f"no {what} within {timeout} s (events so far: {seen})")
                self._condition.wait(min(remaining, 0.5))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._reader.join(5)

    # The requests a debugging session makes ------------------------------------------

    def attach_with_breakpoints(self, path: str, lines: list[int]) -> None:
        """initialize, attach, the breakpoints, configurationDone: what an editor does."""
        self.request(
            "initialize",
            {
                "clientID": "splice-tests",
                "adapterID": "debugpy",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
            },
        )
        # debugpy answers attach only after configurationDone.
        attach = self.send("attach", {"justMyCode": True, "subProcess": False})
        self.wait_event("initialized")
        self.set_breakpoints(path, lines)
        self.request("configurationDone")
        self.response(attach)

    def set_breakpoints(self, path: str, lines: list[int]) -> list[dict[str, Any]]:
        body = self.request(
            "setBreakpoints",
            {"source": {"path": path}, "breakpoints": [{"line": line} for line in lines]},
        )
        breakpoints: list[dict[str, Any]] = body["breakpoints"]
        return breakpoints

    def wait_stopped(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait_event("stopped", timeout=timeout)

    def top_frame(self, thread_id: int) -> dict[str, Any]:
        frames = self.request("stackTrace", {"threadId": thread_id, "levels": 1})["stackFrames"]
        frame: dict[str, Any] = frames[0]
        return frame

    def evaluate(self, expression: str, frame_id: int) -> str:
        body = self.request(
            "evaluate", {"expression": expression, "frameId": frame_id, "context": "repl"}
        )
        return str(body["result"])

    def resume(self, thread_id: int) -> None:
        self.request("continue", {"threadId": thread_id})

    def step_in(self, thread_id: int) -> None:
        self.request("stepIn", {"threadId": thread_id})

    def threads(self) -> list[dict[str, Any]]:
        threads: list[dict[str, Any]] = self.request("threads")["threads"]
        return threads
