"""The agent's socket server: a daemon thread in the user's process serving JSON-RPC.

``Agent.start()`` binds 127.0.0.1 (a random port) or a Unix socket, writes the
connection file, and serves each client on a thread of its own. A client must
present the token first; until then, and whenever a frame stalls, timeouts
close the connection. What a message means is ``splice.agent.dispatch``'s
business; the process-wide agent (``listen()``, exit, fork) is
``splice.agent.process``'s. The agent writes nothing to stdout or stderr:
problems go to ``logging.getLogger(__name__)`` at DEBUG and to the client as
JSON-RPC errors.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import sys
import threading
import time

from splice.agent import connection, peers, threads, wire
from splice.agent.connection import ConnectionInfo
from splice.agent.imports import ImportWatcher
from splice.agent.options import (
    FRAME_TIMEOUT,
    HANDSHAKE_TIMEOUT,
    LOOPBACK_HOSTS,
    MAX_CONNECTIONS,
    MAX_PENDING,
    SEND_TIMEOUT,
    AgentOptions,
    bind,
    choose_transport,
)
from splice.engine.locking import PATCH_LOCK
from splice.errors import ProtocolError
from splice.logs import get_logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from splice.agent.dispatch import Challenge

__all__ = [
    "FRAME_TIMEOUT",
    "HANDSHAKE_TIMEOUT",
    "LOOPBACK_HOSTS",
    "MAX_CONNECTIONS",
    "MAX_PENDING",
    "SEND_TIMEOUT",
    "Agent",
    "AgentOptions",
]

logger = get_logger(__name__)

#: How long, and how much, to read from a refused client before closing, so
#: our error reaches it instead of being lost to a TCP reset.
_LINGER_SECONDS = 0.5
_LINGER_BYTES = 1 << 20
#: With no idle timeout, an idle client's read still wakes this often (and waits on).
_IDLE_WAKE = 3600.0
_request_modules_loaded = False


class _Connection:
    """One client socket: a reader, a lock for writers, and whether it authenticated.

    Writes go through a duplicate of the socket with a timeout of its own, so
    a client that stops reading can hold a writer for at most ``send_timeout``
    (the reader's timeouts stay independent). Both are always in timeout
    mode: a ``None`` timeout on either would make the shared descriptor
    blocking for the other.
    """

    def __init__(self, sock: socket.socket, number: int, options: AgentOptions) -> None:
        self.sock = sock
        self.number = number
        self.reader = wire.FrameReader(
            sock,
            options.max_message_size,
            frame_timeout=options.frame_timeout,
            idle_timeout=options.idle_timeout or _IDLE_WAKE,
        )
        self._out = sock.dup()
        self._out.settimeout(options.send_timeout)
        self.authenticated = False
        #: Set once the kernel has sent its proof: the client's proof comes next.
        self.challenge: Challenge | None = None
        self._send_lock = threading.Lock()
        self.closed = False

    def send(self, message: dict[str, Any]) -> bool:
        from splice.agent import dispatch  # loaded with the first client (_load_request_modules)

        return self.send_frame(dispatch.encode_reply(message))

    def send_frame(self, frame: bytes) -> bool:
        with self._send_lock:
            if self.closed:
                return False
            try:
                self._out.sendall(frame)
                return True
            except OSError:
                # A client that cannot take our answer is gone: wake its reader too.
                self.closed = True
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return False

    def refuse(self, reply: dict[str, Any], linger: float = _LINGER_SECONDS) -> None:
        """Send one error, then close gracefully so the client can read it."""
        self.send(reply)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(linger)
            deadline = time.monotonic() + linger
            drained = 0
            while drained < _LINGER_BYTES and time.monotonic() < deadline:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)

    def close(self, *, shutdown: bool = True) -> None:
        # No lock: a writer stuck on a full buffer must not block closing (it
        # fails as soon as the socket is shut down).
        self.closed = True
        if shutdown:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        for endpoint in (self.sock, self._out):
            with contextlib.suppress(OSError):
                endpoint.close()


class Agent:
    """One listening socket, its connection file and its client threads.

    Clients that have not authenticated yet have a budget of their own
    (``max_pending``, the oldest giving way to a newcomer) and a deadline
    (``handshake_timeout``), so connections that never present the token
    cannot keep the others out.
    """

    def __init__(self, options: AgentOptions | None = None) -> None:
        self.options = options or AgentOptions()
        self.pid = os.getpid()
        self.program = self.options.program or _default_program()
        self.argv = tuple(sys.argv if self.options.argv is None else self.options.argv)
        #: Where requests run; ``%load_ext splice`` replaces it with the kernel's loop.
        self.runner: Any = self.options.runner or threads.AgentThreadRunner()
        self.host_kind = self.options.host_kind
        self.token = connection.new_token()
        self.info: ConnectionInfo | None = None
        self._listener: socket.socket | None = None
        self._connections: set[_Connection] = set()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.watcher = ImportWatcher(self._module_imported)

    @property
    def running(self) -> bool:
        return self._listener is not None and not self._stopping

    # Lifecycle -----------------------------------------------------------------------

    def start(self, publish_delay: float = 0.0) -> ConnectionInfo:
        """Bind, write the connection file and serve.

        With ``publish_delay``, the agent's thread writes the file after that
        many seconds instead: a forked child that calls ``exec`` at once (a
        subprocess) is gone by then and leaves no file behind.
        """
        runtime_dir = self.options.runtime_dir
        directory = connection.runtime_dir() if runtime_dir is None else runtime_dir
        os.makedirs(directory, mode=0o700, exist_ok=True)
        transport = choose_transport(self.options, directory, self.pid)
        listener, address = bind(self.options, directory, self.pid, transport)
        self._listener = listener
        info = ConnectionInfo(
            pid=self.pid,
            transport=transport,
            address=address,
            token=self.token,
            protocol_version=wire.PROTOCOL_VERSION,
            python=".".join(str(part) for part in sys.version_info[:3]),
            executable=sys.executable,
            cwd=os.getcwd(),
            argv=self.argv,
            program=self.program,
            started_at=time.time(),
            path=connection.connection_path(self.pid, directory),
            parent_pid=self.options.parent_pid or os.getppid(),
            root_pid=self.options.root_pid or self.pid,
            role=self.options.role,
            command_line=tuple(getattr(sys, "orig_argv", sys.argv)),
            uid=os.getuid() if hasattr(os, "getuid") else None,
            process_start=peers.process_start(self.pid) or "",
        )
        if not publish_delay:
            try:
                connection.write(info)
            except BaseException:
                self._close_listener(shutdown=True)
                if transport == "unix":
                    with contextlib.suppress(OSError):
                        os.unlink(address)
                raise
        self.info = info
        self._thread = threads.daemon_thread(self._accept_loop, "splice-agent", (publish_delay,))
        self._thread.start()
        self.watcher.start()
        return info

    def stop(self) -> None:
        """Stop serving, close every client, remove the connection file (and socket)."""
        self._stopping = True
        self.watcher.stop()
        self._close_listener(shutdown=True)
        with self._lock:
            clients = list(self._connections)
        for client in clients:
            client.close()
        if self.info is not None:
            connection.remove(self.info)
            if self.info.transport == "unix":
                with contextlib.suppress(OSError):
                    os.unlink(self.info.address)

    def abandon(self) -> None:
        """In a forked child: let go of the parent's sockets without disturbing them."""
        self._stopping = True
        # Without taking the engine's lock (a thread gone with the fork may hold it).
        self.watcher.set_active(False)
        self._close_listener(shutdown=False)
        for client in list(self._connections):
            client.close(shutdown=False)

    def _close_listener(self, *, shutdown: bool) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        if shutdown:
            # close() alone does not wake a thread blocked in accept() on Linux.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            listener.close()

    # Serving -------------------------------------------------------------------------

    def _accept_loop(self, publish_delay: float = 0.0) -> None:
        listener = self._listener
        if publish_delay and self.info is not None:
            time.sleep(publish_delay)
            try:
                connection.write(self.info)
            except OSError:
                logger.debug("could not write %s", self.info.path, exc_info=True)
        while listener is not None and not self._stopping:
            try:
                sock, _ = listener.accept()
            except OSError as error:
                if self._stopping:
                    return
                logger.debug("accept failed: %s", error)
                time.sleep(0.05)  # e.g. out of file descriptors: do not spin
                continue
            try:
                self._admit(sock)
            except Exception:
                logger.debug("could not serve a new client", exc_info=True)
                with contextlib.suppress(OSError):
                    sock.close()

    def _admit(self, sock: socket.socket) -> None:
        _load_request_modules()
        client = _Connection(sock, next(self._numbers), self.options)
        limit = self.options.max_pending
        with self._lock:
            pending = [other for other in self._connections if not other.authenticated]
            # The oldest gives way: a client that means well authenticates within
            # a round trip, so only connections that hold on without a token lose.
            evicted = (
                min(pending, key=lambda other: other.number) if len(pending) >= limit else None
            )
            if evicted is not None:
                self._connections.discard(evicted)
            self._connections.add(client)
        if evicted is not None:
            logger.debug(
                "dropped client %s: %d connections were authenticating", evicted.number, limit
            )
            message = (
                f"busy: more than {limit} connections were waiting to authenticate "
                "and this one was the oldest; try again"
            )
            evicted.send(wire.error_response(None, "busy", message))
            evicted.close()
        thread = threads.daemon_thread(
            self._serve, f"splice-agent-client-{client.number}", (client,)
        )
        thread.start()

    def _serve(self, client: _Connection) -> None:
        try:
            self._serve_frames(client)
        except BaseException:  # the user's process must never see our failures
            logger.debug("client %s failed", client.number, exc_info=True)
        finally:
            client.close()
            with self._lock:
                self._connections.discard(client)
                self._update_watcher()

    def _serve_frames(self, client: _Connection) -> None:
        # An absolute deadline: a client trickling bytes cannot hold a slot unauthenticated.
        handshake_timeout = self.options.handshake_timeout
        handshake_deadline = time.monotonic() + handshake_timeout
        while not self._stopping:
            try:
                if client.authenticated:
                    body = client.reader.read_body()
                else:
                    body = client.reader.read_body(
                        handshake_deadline, max_size=wire.HANDSHAKE_MAX_MESSAGE_SIZE
                    )
            except TimeoutError:
                if not client.authenticated:
                    message = f"no initialize request within {handshake_timeout:g} s"
                    client.refuse(wire.error_response(None, "unauthorized", message))
                elif client.reader.mid_frame:
                    message = f"incomplete message after {self.options.frame_timeout:g} s"
                    client.refuse(wire.error_response(None, "invalid_request", message))
                elif self.options.idle_timeout is None:
                    continue  # idle clients are welcome: editors keep one connection open
                return
            except wire.FrameTooLargeError as error:
                client.refuse(wire.error_response(None, "invalid_request", str(error)))
                return
            except wire.ConnectionClosedError:
                return
            except ProtocolError as error:
                # Framing is lost: there is no way to find the next message.
                message = f"malformed frame: {error}"
                client.refuse(wire.error_response(None, "parse_error", message))
                return
            except OSError:
                return
            try:
                message = wire.decode_body(body)
            except ProtocolError as error:
                if not client.authenticated:
                    first = "the first message must be an initialize request"
                    client.refuse(wire.error_response(None, "unauthorized", first))
                    return
                client.send(wire.error_response(None, "parse_error", str(error)))
                continue
            if not client.authenticated:
                if not self._handshake(client, message):
                    return
                continue
            from splice.agent import dispatch  # loaded with the first client

            reply = dispatch.dispatch(message, self.runner.run)
            if reply is not None:
                client.send(reply)

    def _handshake(self, client: _Connection, message: Any) -> bool:
        from splice.agent import dispatch  # loaded with the first client

        answer = dispatch.handshake(message, self.token, self.identity, client.challenge)
        if answer.challenge is not None:
            client.challenge = answer.challenge
            return client.send(answer.reply)
        if not answer.accepted:
            logger.debug("refused client %s: %s", client.number, answer.reply["error"]["message"])
            client.refuse(answer.reply)
            return False
        limit = self.options.max_connections
        with self._lock:
            full = sum(1 for other in self._connections if other.authenticated) >= limit
            if not full:
                client.authenticated = True
                self._update_watcher()
        if full:
            message = f"too many clients (limit {limit})"
            client.refuse(wire.error_response(answer.reply["id"], "busy", message))
            return False
        client.send(answer.reply)
        return True

    def _update_watcher(self) -> None:
        # Under self._lock, so a client leaving cannot switch off a newcomer's events.
        self.watcher.set_active(any(client.authenticated for client in self._connections))

    # Identity and notifications ------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """The ``initialize`` result: who this kernel is and what it can do."""
        from splice.agent import methods  # loaded with the first client

        return {
            "protocolVersion": wire.PROTOCOL_VERSION,
            "pid": self.pid,
            "python": ".".join(str(part) for part in sys.version_info[:3]),
            "executable": sys.executable,
            "cwd": os.getcwd(),
            "argv": list(self.argv),
            "program": self.program,
            "capabilities": {
                "methods": ["initialize", "authenticate", *methods.HANDLERS],
                "notifications": ["moduleImported"],
                "maxMessageSize": self.options.max_message_size,
                "host": self.host_kind,
                "applyThread": getattr(self.runner, "apply_thread", "agent"),
            },
        }

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification to every authenticated client."""
        with self._lock:
            clients = [client for client in self._connections if client.authenticated]
        message = wire.notification(method, params)
        for client in clients:
            client.send(message)

    def _module_imported(self, name: str, path: str) -> None:
        self.broadcast("moduleImported", {"name": name, "file": path})


def _load_request_modules() -> None:
    """Import what serving a client needs (hashlib, hmac, the request handlers) with the
    first client, not in ``listen()``: many processes that listen are never connected to.

    Under the engine's lock, which a fork waits for: a fork in the middle of an import
    would leave the child that module's import lock held by a thread it does not have.
    """
    global _request_modules_loaded
    if _request_modules_loaded:
        return
    with PATCH_LOCK:
        import json  # noqa: F401  (the wire's, not loaded by listen())

        from splice.agent import dispatch, methods  # noqa: F401

    _request_modules_loaded = True


def _default_program() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if isinstance(path, str):
        return os.path.basename(path)
    if sys.argv and sys.argv[0]:
        return os.path.basename(sys.argv[0])
    return "python"
