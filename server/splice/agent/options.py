"""How an agent listens and serves: one frozen value, checked once, passed everywhere; the socket."""

from __future__ import annotations

import contextlib
import os
import socket
import sys

from splice.agent.wire import DEFAULT_MAX_MESSAGE_SIZE
from splice.logs import get_logger
from splice.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

logger = get_logger(__name__)

#: Seconds a new client has to authenticate: a client sends ``initialize`` at once.
HANDSHAKE_TIMEOUT = 3.0
#: Seconds a started frame may take to arrive completely.
FRAME_TIMEOUT = 30.0
#: Seconds a client may leave one of our messages unread before it is dropped.
SEND_TIMEOUT = 10.0
#: Authenticated clients served at once.
MAX_CONNECTIONS = 64
#: Clients not yet authenticated held at once: a budget of their own, so that
#: connections that never present a token cannot take the slots of those that do.
MAX_PENDING = 8
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
#: How a process of a program was started (docs/processes.md).
ROLES = ("main", "fork", "spawn", "subprocess")
#: ``auto``: a Unix socket on Linux (its peer can be verified, and only the
#: user can reach it), else loopback TCP; also TCP when the socket's path
#: would be too long for the system (about 100 bytes).
TRANSPORTS = ("auto", "tcp", "unix")


class AgentOptions(Record):
    """Every ``splice.listen()`` option, with its default (docs/protocol.md, "Limits")."""

    transport: str = "auto"
    host: str = "127.0.0.1"
    runtime_dir: str | None = None
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    handshake_timeout: float = HANDSHAKE_TIMEOUT
    frame_timeout: float = FRAME_TIMEOUT
    idle_timeout: float | None = None
    send_timeout: float = SEND_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    max_pending: int = MAX_PENDING
    program: str | None = None
    argv: tuple[str, ...] | None = None
    #: Where requests run (``splice.agent.threads``); None: on the agent's thread.
    runner: Any = None
    host_kind: str = "listen"
    #: This process's place in its program (connection file ``role``, ``rootPid``,
    #: ``parentPid``); None: this process is the program's first, its parent's pid.
    role: str = "main"
    root_pid: int | None = None
    parent_pid: int | None = None
    #: Whether forked children get agents of their own (``splice run --no-children``: no).
    children: bool = True

    _uncompared: ClassVar[tuple[str, ...]] = ("runner",)

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be 'auto', 'tcp' or 'unix', not {self.transport!r}")
        if self.transport != "unix" and self.host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"splice listens on loopback only (127.0.0.1 or ::1), not {self.host!r}"
            )
        if self.transport == "unix" and not hasattr(socket, "AF_UNIX"):
            raise ValueError("Unix sockets are not available on this platform")
        for name in ("max_message_size", "max_connections", "max_pending"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        for name in ("handshake_timeout", "frame_timeout", "send_timeout", "idle_timeout"):
            value = getattr(self, name)
            if value is None and name == "idle_timeout":
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.host == "localhost":
            object.__setattr__(self, "host", "127.0.0.1")
        if self.argv is not None:
            object.__setattr__(self, "argv", tuple(self.argv))


#: Connections the system queues before we accept them: room for a burst of
#: hostile ones without turning a client's connect into a SYN retry.
BACKLOG = 128
#: ``sockaddr_un``'s path field on Linux (108 bytes with the terminating NUL).
UNIX_PATH_LIMIT = 108


def socket_path(directory: str, pid: int) -> str:
    return os.path.join(os.path.abspath(directory), f"kernel-{pid}.sock")


def choose_transport(options: AgentOptions, directory: str, pid: int) -> str:
    """``options.transport``, with ``auto`` made ``unix`` or ``tcp`` for this system and path."""
    if options.transport != "auto":
        return options.transport
    if not sys.platform.startswith("linux") or not hasattr(socket, "AF_UNIX"):
        return "tcp"
    path = socket_path(directory, pid)
    if len(os.fsencode(path)) >= UNIX_PATH_LIMIT:
        logger.debug("%s is too long for a Unix socket: listening on TCP", path)
        return "tcp"
    return "unix"


def bind(
    options: AgentOptions, directory: str, pid: int, transport: str
) -> tuple[socket.socket, str]:
    """A listening socket and its address: a 0600 Unix socket in ``directory``, or loopback TCP."""
    if transport == "unix":
        path = socket_path(directory, pid)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(path)
            os.chmod(path, 0o600)
            listener.listen(BACKLOG)
        except BaseException:
            listener.close()
            raise
        return listener, path
    host = options.host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((host, 0))
        listener.listen(BACKLOG)
    except BaseException:
        listener.close()
        raise
    port = listener.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return listener, f"{shown}:{port}"
