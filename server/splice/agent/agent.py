"""The kernel agent: a daemon thread in the user's process serving JSON-RPC.

``listen()`` binds 127.0.0.1 (a random port) or a Unix socket, writes the
connection file, and serves each client on a thread of its own. A client must
present the token first; until then, and whenever a frame stalls, timeouts
close the connection. The agent writes nothing to stdout or stderr: problems
go to ``logging.getLogger(__name__)`` and to the client as JSON-RPC errors.
"""

from __future__ import annotations

import atexit
import contextlib
import hmac
import itertools
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from typing import Any

from splice.agent import connection, methods, threads, wire
from splice.agent.connection import ConnectionInfo
from splice.agent.imports import ImportWatcher
from splice.engine.apply import reset_after_fork
from splice.errors import ProtocolError

logger = logging.getLogger(__name__)

#: Seconds a new client has to authenticate.
HANDSHAKE_TIMEOUT = 10.0
#: Seconds a started frame may take to arrive completely.
FRAME_TIMEOUT = 30.0
MAX_CONNECTIONS = 64
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
#: How long, and how much, to read from a refused client before closing, so
#: our error reaches it instead of being lost to a TCP reset.
_LINGER_SECONDS = 0.5
_LINGER_BYTES = 1 << 20
#: Seconds a client may leave one of our messages unread before it is dropped.
SEND_TIMEOUT = 10.0
#: With no idle timeout, an idle client's read still wakes this often (and waits on).
_IDLE_WAKE = 3600.0
#: A forked child publishes its connection file only if it still runs Python
#: this much later (``fork`` + ``exec``, as in a subprocess, must leave none).
_CHILD_PUBLISH_DELAY = 0.1


class _Connection:
    """One client socket: a reader, a lock for writers, and whether it authenticated.

    Writes go through a duplicate of the socket with a timeout of its own, so
    a client that stops reading can hold a writer for at most ``send_timeout``
    (the reader's timeouts stay independent). Both are always in timeout
    mode: a ``None`` timeout on either would make the shared descriptor
    blocking for the other.
    """

    def __init__(
        self,
        sock: socket.socket,
        number: int,
        max_size: int,
        frame_timeout: float,
        idle_timeout: float | None,
        send_timeout: float,
    ) -> None:
        self.sock = sock
        self.number = number
        self.reader = wire.FrameReader(
            sock, max_size, frame_timeout=frame_timeout, idle_timeout=idle_timeout or _IDLE_WAKE
        )
        self._out = sock.dup()
        self._out.settimeout(send_timeout)
        self.authenticated = False
        self.client: dict[str, Any] = {}
        self._send_lock = threading.Lock()
        self.closed = False

    def send(self, message: dict[str, Any]) -> bool:
        frame = wire.encode_frame(message)
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

    def refuse(self, request_id: Any, code: str, message: str) -> None:
        """Send one error, then close gracefully so the client can read it."""
        self.send(
            wire.error_response(request_id if wire.valid_id(request_id) else None, code, message)
        )
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(_LINGER_SECONDS)
            deadline = time.monotonic() + _LINGER_SECONDS
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
    """One listening socket, its connection file and its client threads."""

    def __init__(
        self,
        *,
        transport: str = "tcp",
        host: str = "127.0.0.1",
        runtime_dir: str | None = None,
        max_message_size: int = wire.DEFAULT_MAX_MESSAGE_SIZE,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        frame_timeout: float = FRAME_TIMEOUT,
        idle_timeout: float | None = None,
        send_timeout: float = SEND_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        program: str | None = None,
        argv: list[str] | tuple[str, ...] | None = None,
        runner: Any = None,
        host_kind: str = "listen",
    ) -> None:
        if transport not in ("tcp", "unix"):
            raise ValueError(f"transport must be 'tcp' or 'unix', not {transport!r}")
        if transport == "tcp" and host not in LOOPBACK_HOSTS:
            raise ValueError(f"splice listens on loopback only (127.0.0.1 or ::1), not {host!r}")
        if transport == "unix" and not hasattr(socket, "AF_UNIX"):
            raise ValueError("Unix sockets are not available on this platform")
        self.pid = os.getpid()
        self.transport = transport
        self.host = "127.0.0.1" if host == "localhost" else host
        self.runtime_dir = runtime_dir
        self.max_message_size = max_message_size
        self.handshake_timeout = handshake_timeout
        self.frame_timeout = frame_timeout
        self.idle_timeout = idle_timeout
        self.send_timeout = send_timeout
        self.max_connections = max_connections
        self.program = program or _default_program()
        self.argv = tuple(sys.argv if argv is None else argv)
        self.runner = runner or threads.AgentThreadRunner()
        self.host_kind = host_kind
        self.token = secrets.token_urlsafe(32)
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
        directory = connection.runtime_dir() if self.runtime_dir is None else self.runtime_dir
        os.makedirs(directory, mode=0o700, exist_ok=True)
        listener, address = self._bind(directory)
        self._listener = listener
        info = ConnectionInfo(
            pid=self.pid,
            transport=self.transport,
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
        )
        if not publish_delay:
            try:
                connection.write(info)
            except BaseException:
                self._close_listener(shutdown=True)
                raise
        self.info = info
        self._thread = threading.Thread(
            target=self._accept_loop, args=(publish_delay,), name="splice-agent", daemon=True
        )
        self._thread.start()
        self.watcher.start()
        return info

    def _bind(self, directory: str) -> tuple[socket.socket, str]:
        if self.transport == "unix":
            path = os.path.join(directory, f"kernel-{self.pid}.sock")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                listener.bind(path)
                os.chmod(path, 0o600)
                listener.listen(16)
            except BaseException:
                listener.close()
                raise
            return listener, path
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, 0))
            listener.listen(16)
        except BaseException:
            listener.close()
            raise
        port = listener.getsockname()[1]
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        return listener, f"{host}:{port}"

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
            if self.transport == "unix":
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
                logger.exception("could not serve a new client")
                with contextlib.suppress(OSError):
                    sock.close()

    def _admit(self, sock: socket.socket) -> None:
        client = _Connection(
            sock,
            next(self._numbers),
            self.max_message_size,
            self.frame_timeout,
            self.idle_timeout,
            self.send_timeout,
        )
        with self._lock:
            full = len(self._connections) >= self.max_connections
            if not full:
                self._connections.add(client)
        if full:
            sock.settimeout(_LINGER_SECONDS)
            client.refuse(None, "server_error", f"too many clients (limit {self.max_connections})")
            client.close()
            return
        thread = threading.Thread(
            target=self._serve,
            args=(client,),
            name=f"splice-agent-client-{client.number}",
            daemon=True,
        )
        thread.start()

    def _serve(self, client: _Connection) -> None:
        try:
            self._serve_frames(client)
        except Exception:
            logger.exception("client %s failed", client.number)
        finally:
            client.close()
            with self._lock:
                self._connections.discard(client)
                self._update_watcher()

    def _serve_frames(self, client: _Connection) -> None:
        # An absolute deadline: a client trickling bytes cannot hold a slot unauthenticated.
        handshake_deadline = time.monotonic() + self.handshake_timeout
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
                    message = f"no initialize request within {self.handshake_timeout:g} s"
                    client.refuse(None, "unauthorized", message)
                elif client.reader.mid_frame:
                    message = f"incomplete message after {self.frame_timeout:g} s"
                    client.refuse(None, "invalid_request", message)
                elif self.idle_timeout is None:
                    continue  # idle clients are welcome: editors keep one connection open
                return
            except wire.FrameTooLargeError as error:
                client.refuse(None, "invalid_request", str(error))
                return
            except wire.ConnectionClosedError:
                return
            except ProtocolError as error:
                # Framing is lost: there is no way to find the next message.
                client.refuse(None, "parse_error", f"malformed frame: {error}")
                return
            except OSError:
                return
            try:
                message = wire.decode_body(body)
            except ProtocolError as error:
                if not client.authenticated:
                    first = "the first message must be an initialize request"
                    client.refuse(None, "unauthorized", first)
                    return
                client.send(wire.error_response(None, "parse_error", str(error)))
                continue
            if not client.authenticated:
                if not self._handshake(client, message):
                    return
                continue
            self._handle(client, message)

    def _handshake(self, client: _Connection, message: Any) -> bool:
        request_id = message.get("id") if isinstance(message, dict) else None
        params = message.get("params") if isinstance(message, dict) else None
        if (
            not isinstance(message, dict)
            or message.get("method") != "initialize"
            or not wire.valid_id(request_id)
            or not isinstance(params, dict)
            or not isinstance(params.get("token"), str)
        ):
            client.refuse(
                request_id,
                "unauthorized",
                "the first request must be 'initialize' with the token from the connection file",
            )
            return False
        if not hmac.compare_digest(params["token"].encode("utf-8"), self.token.encode("utf-8")):
            client.refuse(request_id, "unauthorized", "wrong token")
            logger.info("refused a client with a wrong token")
            return False
        client.authenticated = True
        info = params.get("client")
        client.client = info if isinstance(info, dict) else {}
        client.send(wire.response(request_id, self.identity()))
        with self._lock:
            self._update_watcher()
        return True

    def _update_watcher(self) -> None:
        # Under self._lock, so a client leaving cannot switch off a newcomer's events.
        self.watcher.set_active(any(client.authenticated for client in self._connections))

    def _handle(self, client: _Connection, message: Any) -> None:
        if isinstance(message, list):
            client.send(
                wire.error_response(None, "invalid_request", "batch requests are not supported")
            )
            return
        if not isinstance(message, dict):
            client.send(
                wire.error_response(None, "invalid_request", "a message must be a JSON object")
            )
            return
        if "method" not in message and "id" in message:
            return  # a response: the agent sends no requests, so there is nothing to match
        request_id = message.get("id")
        is_notification = "id" not in message
        method = message.get("method")
        if (
            message.get("jsonrpc") != "2.0"
            or not isinstance(method, str)
            or not (is_notification or wire.valid_id(request_id))
        ):
            reply_id = request_id if wire.valid_id(request_id) else None
            client.send(
                wire.error_response(reply_id, "invalid_request", "not a JSON-RPC 2.0 request")
            )
            return
        params = message.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            if not is_notification:
                client.send(
                    wire.error_response(request_id, "invalid_params", "params must be an object")
                )
            return
        if method == "initialize":
            if not is_notification:
                client.send(
                    wire.error_response(request_id, "invalid_request", "already initialized")
                )
            return
        handler = methods.HANDLERS.get(method)
        if handler is None:
            if not is_notification:
                client.send(
                    wire.error_response(
                        request_id, "method_not_found", f"unknown method {method!r}"
                    )
                )
            return
        try:
            result = handler(params, self.runner.run)
        except methods.MethodError as error:
            if not is_notification:
                client.send(wire.error_response(request_id, error.code, str(error), error.data))
            return
        except Exception as error:
            logger.exception("method %s failed", method)
            if not is_notification:
                client.send(
                    wire.error_response(
                        request_id,
                        "internal_error",
                        f"internal error in the splice agent: {error.__class__.__name__}: {error}",
                    )
                )
            return
        if not is_notification:
            client.send(wire.response(request_id, result))

    # Identity and notifications ------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """The ``initialize`` result: who this kernel is and what it can do."""
        return {
            "protocolVersion": wire.PROTOCOL_VERSION,
            "pid": self.pid,
            "python": ".".join(str(part) for part in sys.version_info[:3]),
            "executable": sys.executable,
            "cwd": os.getcwd(),
            "argv": list(self.argv),
            "program": self.program,
            "capabilities": {
                "methods": ["initialize", *methods.HANDLERS],
                "notifications": ["moduleImported"],
                "maxMessageSize": self.max_message_size,
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


def _default_program() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if isinstance(path, str):
        return os.path.basename(path)
    if sys.argv and sys.argv[0]:
        return os.path.basename(sys.argv[0])
    return "python"


# The process-wide agent --------------------------------------------------------------

_state_lock = threading.Lock()
_agent: Agent | None = None
_options: dict[str, Any] = {}
_hooks_installed = False


def listen(**options: Any) -> ConnectionInfo:
    """Start the agent in this process, or return the running one's connection info.

    Options (all optional): transport ("tcp" | "unix"), host, runtime_dir,
    max_message_size, handshake_timeout, frame_timeout, idle_timeout,
    send_timeout, max_connections, program, argv, runner, host_kind.
    """
    return _listen(options)


def _listen(options: dict[str, Any], publish_delay: float = 0.0) -> ConnectionInfo:
    global _agent, _options, _hooks_installed
    with _state_lock:
        if _agent is not None and _agent.pid == os.getpid() and _agent.running and _agent.info:
            return _agent.info
        _watch_imports()
        agent = Agent(**options)
        # Published before it writes its file, so a SIGTERM or exit from now on removes it.
        _agent, _options = agent, dict(options)
        try:
            info = agent.start(publish_delay)
        except BaseException:
            _agent = None
            raise
        if not _hooks_installed:
            atexit.register(_stop_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_restart_in_child)
            _hooks_installed = True
        logger.info("splice agent listening on %s (connection file %s)", info.address, info.path)
        return info


def current() -> Agent | None:
    """The agent running in this process, if any."""
    agent = _agent
    return agent if agent is not None and agent.pid == os.getpid() and agent.running else None


def stop() -> None:
    """Stop this process's agent (a later ``listen()`` starts a new one)."""
    global _agent
    with _state_lock:
        agent, _agent = _agent, None
    if agent is not None and agent.pid == os.getpid():
        agent.stop()


def remove_file_on_sigterm() -> None:
    """For hosts that own the process (``splice run``, ``splice kernel``): clean up on SIGTERM too.

    Only when SIGTERM still has its default action; the process then dies of
    the same signal as before, so its exit status does not change.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(number: int, frame: Any) -> None:
        _stop_at_exit()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def _watch_imports() -> None:
    from splice.engine.baseline import watch_imports

    watch_imports()


def _stop_at_exit() -> None:
    agent = _agent
    # A forked child inherits this handler; it must not remove its parent's file.
    if agent is not None and agent.pid == os.getpid():
        with contextlib.suppress(Exception):
            agent.stop()


def _restart_in_child() -> None:
    """After fork: the child gets an agent and connection file of its own."""
    global _agent, _state_lock
    # Another thread may have held these at the moment of the fork.
    _state_lock = threading.Lock()
    reset_after_fork()
    parent = _agent
    if parent is None:
        return
    parent.abandon()
    _agent = None
    options = dict(_options)
    # The parent's event-loop runner belongs to a loop that does not run here.
    options.pop("runner", None)
    try:
        _listen(options, publish_delay=_CHILD_PUBLISH_DELAY)
    except Exception:
        logger.debug(
            "could not start the splice agent in forked child %s", os.getpid(), exc_info=True
        )
