"""The other live processes of this program, reached through their agents.

Used by ``--watch`` in the program's root process, so standard library and
splice's in-process modules only (``wire`` for the framing, never
``splice.client``). Each ``Peer`` is one authenticated connection, kept open:
a reader thread of its own delivers responses to the requests waiting for
them and the peer's ``moduleImported`` notifications to a callback, so one
sender can put a request to every process first and then wait for all the
answers together.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Callable
from typing import Any

from splice.agent import authentication, connection, wire
from splice.agent.connection import ConnectionInfo
from splice.agent.threads import daemon_thread
from splice.errors import AuthenticationError
from splice.logs import get_logger

logger = get_logger(__name__)

#: Seconds to connect to a process and have it accept our token.
CONNECT_TIMEOUT = 3.0


class PeerError(Exception):
    """A process gave no answer: why, in words for the report.

    ``refused`` when the process answered, with a JSON-RPC error.
    """

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


def program_processes(root_pid: int, directory: str | None = None) -> list[ConnectionInfo]:
    """The live processes whose connection files name ``root_pid`` as their program's root."""
    found = connection.scan(directory)
    return [info for info in found.kernels if info.program_pid == root_pid]


class Pending:
    """One request's answer, once the reader thread has it."""

    def __init__(self, method: str) -> None:
        self.method = method
        self._done = threading.Event()
        self._result: Any = None
        self._error: str | None = None
        self._refused = False

    def resolve(
        self, result: Any = None, error: str | None = None, *, refused: bool = False
    ) -> None:
        if not self._done.is_set():
            self._result, self._error, self._refused = result, error, refused
            self._done.set()

    def wait(self, timeout: float) -> Any:
        if not self._done.wait(timeout):
            raise PeerError(f"no answer to {self.method} within {timeout:g} s")
        if self._error is not None:
            raise PeerError(self._error, refused=self._refused)
        return self._result


class Peer:
    """An open, authenticated connection to one other process of the program."""

    def __init__(
        self,
        info: ConnectionInfo,
        on_import: Callable[[Peer, str, str], None] | None = None,
    ) -> None:
        self.info = info
        self.on_import = on_import
        self.closed = False
        try:
            handshake = authentication.ClientHandshake(info, {"name": "splice watch"})
        except AuthenticationError as error:
            raise PeerError(str(error)) from None
        self._sock = _connect(info)
        self._reader = wire.FrameReader(self._sock)
        self._ids = itertools.count(1)
        self._pending: dict[int, Pending] = {}
        self._lock = threading.Lock()
        self._thread = daemon_thread(self._read_loop, f"splice-peer-{info.pid}")
        self._thread.start()
        try:
            authentication.verify_peer(self._sock, info)
            answer = self.request("initialize", handshake.initialize_params()).wait(CONNECT_TIMEOUT)
            params = handshake.authenticate_params(answer)
            self.request("authenticate", params).wait(CONNECT_TIMEOUT)
        except AuthenticationError as error:
            self.close()
            raise PeerError(str(error)) from None
        except PeerError:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.info.pid

    def request(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Pending:
        """Send a request; its answer comes through the returned ``Pending``.

        With ``timeout`` (the seconds the caller will wait), the request carries
        a deadline, so the process does not carry it out after the caller gave up.
        """
        if timeout is not None:
            params = {**(params or {}), "deadline": wire.deadline_after(timeout)}
        pending = Pending(method)
        with self._lock:
            if self.closed:
                pending.resolve(error="the process closed the connection (it may have exited)")
                return pending
            request_id = next(self._ids)
            self._pending[request_id] = pending
        try:
            self._sock.sendall(wire.encode_frame(wire.request(request_id, method, params or {})))
        except OSError as error:
            self._fail(f"connection lost ({error}); the process may have exited")
        return pending

    def close(self) -> None:
        self._fail("the connection was closed")
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()

    def _fail(self, reason: str) -> None:
        with self._lock:
            self.closed = True
            pending, self._pending = list(self._pending.values()), {}
        for item in pending:
            item.resolve(error=reason)

    def _read_loop(self) -> None:
        reason = "the process closed the connection (it may have exited)"
        try:
            while True:
                message = wire.decode_body(self._reader.read_body())
                if isinstance(message, dict):
                    self._deliver(message)
        except wire.ConnectionClosedError:
            pass
        except Exception as error:  # a broken stream: every waiting request is answered
            reason = f"connection lost ({error.__class__.__name__}: {error})"
        self._fail(reason)

    def _deliver(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" not in message:
            params = message.get("params")
            if message["method"] == "moduleImported" and isinstance(params, dict):
                name, path = params.get("name"), params.get("file")
                if self.on_import is not None and isinstance(name, str) and isinstance(path, str):
                    self.on_import(self, name, path)
            return
        request_id = message.get("id")
        with self._lock:
            pending = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if pending is None:
            return
        if "error" in message:
            error = message["error"]
            text = error.get("message") if isinstance(error, dict) else None
            pending.resolve(
                error=f"the process refused {pending.method}: {text or error}", refused=True
            )
        else:
            pending.resolve(result=message.get("result"))


def _connect(info: ConnectionInfo) -> socket.socket:
    try:
        if info.transport == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(CONNECT_TIMEOUT)
                sock.connect(info.address)
            except BaseException:
                sock.close()
                raise
        else:
            host, _, port = info.address.rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT)
    except (OSError, ValueError) as error:
        raise PeerError(f"not reachable at {info.address} ({error}); it may have exited") from None
    sock.settimeout(None)  # the reader thread waits for as long as the process lives
    return sock
