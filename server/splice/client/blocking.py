"""A small synchronous client, for scripts, tests and code already inside an event loop.

Same protocol, methods and errors as ``splice.client.client.KernelClient``,
one request at a time, each with the ``timeout`` deadline; notifications that
arrive meanwhile are kept in ``notifications``.
"""

from __future__ import annotations

import socket

from splice.agent import authentication, wire
from splice.agent.connection import ConnectionInfo
from splice.client.requests import (
    CONNECT_TIMEOUT,
    HANDSHAKE_METHODS,
    patch_params,
    remote_error,
    run_statement_params,
)
from splice.engine.result import PatchResult
from splice.errors import KernelTimeoutError, KernelUnavailableError, ProtocolError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def open_socket(info: ConnectionInfo, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A connected socket to the kernel; KernelUnavailableError when nothing answers."""
    try:
        if info.transport == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(info.address)
            except BaseException:
                sock.close()
                raise
            return sock
        host, _, port = info.address.rpartition(":")
        host = host.strip("[]")  # "[::1]:PORT"
        return socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, ValueError) as error:
        raise KernelUnavailableError(
            f"kernel pid {info.pid} is not reachable at {info.address} ({error}); it may have exited"
        ) from None


class BlockingKernelClient:
    """One authenticated connection, used from a single thread."""

    def __init__(
        self,
        info: ConnectionInfo,
        *,
        timeout: float | None = 30.0,
        authenticate: bool = True,
        require_peer: bool = False,
        connect_timeout: float | None = None,
        client_name: str = "splice-blocking",
    ) -> None:
        """Connect and authenticate; ``require_peer``: refuse a socket whose holder cannot be
        seen; ``connect_timeout`` (default ``timeout``) bounds connecting and the handshake."""
        self.info = info
        self.notifications: list[tuple[str, Any]] = []
        self.kernel: dict[str, Any] = {}
        handshake = authentication.ClientHandshake(info, {"name": client_name})
        self._sock = open_socket(
            info, CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        self._sock.settimeout(timeout if connect_timeout is None else connect_timeout)
        self._reader = wire.FrameReader(self._sock)
        self._next_id = 1
        if authenticate:
            try:
                authentication.verify_peer(self._sock, info, required=require_peer)
                answer = self.request("initialize", handshake.initialize_params())
                self.kernel = self.request("authenticate", handshake.authenticate_params(answer))
            except BaseException:
                self.close()
                raise
        self._sock.settimeout(timeout)

    def __enter__(self) -> BlockingKernelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a request and wait for its answer, with a deadline as ``KernelClient`` sends."""
        request_id = self._next_id
        self._next_id += 1
        timeout = self._sock.gettimeout()
        if timeout is not None and method not in HANDSHAKE_METHODS:
            params = {**(params or {}), "deadline": wire.deadline_after(timeout)}
        try:
            self._sock.sendall(wire.encode_frame(wire.request(request_id, method, params or {})))
            while True:
                message = wire.decode_body(self._reader.read_body())
                if not isinstance(message, dict):
                    raise ProtocolError("kernel sent a non-object message")
                if "method" in message and "id" not in message:
                    self.notifications.append((message["method"], message.get("params")))
                    continue
                if message.get("id") is None and "error" in message:
                    raise remote_error(message["error"])  # refused as a whole (busy)
                if message.get("id") != request_id:
                    continue
                if "error" in message:
                    raise remote_error(message["error"])
                return message.get("result")
        except TimeoutError:
            raise KernelTimeoutError(
                f"kernel pid {self.info.pid} did not answer {method!r} within "
                f"{self._sock.gettimeout():g} s (is it stopped, or stuck in a long call?)"
            ) from None
        except (ConnectionError, OSError) as error:
            raise KernelUnavailableError(
                f"kernel pid {self.info.pid}: connection lost ({error})"
            ) from None

    def modules(self, file: str | None = None) -> list[dict[str, Any]]:
        """The modules with a source file; with ``file`` (a real path), those that run it
        (a kernel that predates the filter lists them all)."""
        params = {} if file is None else {"file": file}
        return list(self.request("modules", params)["modules"])

    def baseline(self, module: str) -> str | None:
        source = self.request("baseline", {"module": module}).get("source")
        return source if isinstance(source, str) else None

    def patch(
        self,
        module: str,
        source: str,
        only: list[str] | tuple[str, ...] | None = None,
        dry_run: bool = False,
        delete_removed: bool = True,
    ) -> PatchResult:
        params = patch_params(module, source, only, dry_run, delete_removed)
        return PatchResult.from_dict(self.request("patch", params))

    def run_statement(self, module: str, line: int, source: str | None = None) -> PatchResult:
        params = run_statement_params(module, line, source)
        return PatchResult.from_dict(self.request("runStatement", params))

    def undo(self, module: str) -> PatchResult:
        return PatchResult.from_dict(self.request("undo", {"module": module}))

    def evaluate(self, expression: str, module: str = "__main__") -> str:
        return str(self.request("evaluate", {"module": module, "expression": expression})["value"])
