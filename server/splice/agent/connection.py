"""Connection files: how a client finds a kernel and proves it may talk to it.

Each listening process writes ``kernel-<pid>.json`` (mode 0600, written
atomically) in a per-user runtime directory and removes it at exit. Readers
skip, and delete, the files of processes that are gone, including those
whose pid now belongs to another process (another user's, or one started
since: the file records the kernel's uid and process start).

Trust: a reader uses a connection file only when it is a regular file (not
a symlink) owned by the reading user with no access for group or others;
any other file is ignored and reported, since a file another user planted
would make a client send that user the source it patches. A runtime
directory the user named is used only when it is private (ours, not
writable by others), never tightened behind the user's back; the fallback
under the temporary directory, if someone else took it, gives way to one in
the user's home directory.
"""

from __future__ import annotations

import binascii
import contextlib
import errno
import os
import stat
import sys

from splice.agent import json_text, peers
from splice.agent.temporary import temporary_directory
from splice.errors import KernelUnavailableError, SpliceError
from splice.logs import get_logger
from splice.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = get_logger(__name__)

FILE_PREFIX = "kernel-"
FILE_SUFFIX = ".json"


class UnsafeRuntimeDirectoryError(SpliceError, PermissionError):
    """The runtime directory could let another user plant or replace connection files."""


class UntrustedConnectionFileError(ValueError):
    """A connection file another user owns, or that others may read or write."""


class IgnoredFile(Record):
    """A connection file discovery left alone, and why."""

    path: str
    reason: str


class Discovery(Record):
    """What a look at the runtime directory found: live kernels and files it would not trust."""

    kernels: tuple[ConnectionInfo, ...]
    ignored: tuple[IgnoredFile, ...]


class ConnectionInfo(Record):
    """What a connection file says about one kernel."""

    pid: int
    transport: str  # "tcp" | "unix"
    address: str  # "127.0.0.1:PORT" or a socket path
    token: str
    protocol_version: int
    python: str
    executable: str
    cwd: str
    argv: tuple[str, ...]
    program: str
    started_at: float  # seconds since the epoch
    path: str  # the connection file itself
    #: The program's process tree: who started this process, the program's first
    #: process (``splice run``'s), and how this one was started.
    parent_pid: int = 0
    root_pid: int = 0
    role: str = "main"  # "main" | "fork" | "spawn" | "subprocess"
    #: The interpreter's own command line (``sys.orig_argv``), beside ``argv``, the program's.
    command_line: tuple[str, ...] = ()
    #: The kernel's user (None in files from before it was recorded: the reader's own).
    uid: int | None = None
    #: ``peers.process_start`` of the kernel's process: a pid reused since has another.
    process_start: str = ""

    @property
    def program_pid(self) -> int:
        """The pid of the program's first process (a file from before process trees: its own)."""
        return self.root_pid if self.root_pid > 0 else self.pid

    def to_json(self) -> dict[str, Any]:
        """The connection file's content (camelCase, as on the wire)."""
        return {
            "pid": self.pid,
            "transport": self.transport,
            "address": self.address,
            "token": self.token,
            "protocolVersion": self.protocol_version,
            "python": self.python,
            "executable": self.executable,
            "cwd": self.cwd,
            "argv": list(self.argv),
            "program": self.program,
            "startedAt": self.started_at,
            "parentPid": self.parent_pid,
            "rootPid": self.root_pid,
            "role": self.role,
            "commandLine": list(self.command_line),
            "uid": self.uid,
            "processStart": self.process_start,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: str) -> ConnectionInfo:
        """Raises ValueError when a required field is missing or has the wrong type."""
        try:
            pid, transport, address, token = (
                data["pid"],
                data["transport"],
                data["address"],
                data["token"],
            )
        except (KeyError, TypeError):
            raise ValueError(f"{path}: not a splice connection file") from None
        if not isinstance(pid, int) or transport not in ("tcp", "unix"):
            raise ValueError(f"{path}: bad pid or transport")
        if not isinstance(address, str) or not isinstance(token, str):
            raise ValueError(f"{path}: bad address or token")
        argv = data.get("argv") or []
        command_line = data.get("commandLine") or []
        parent_pid, root_pid = data.get("parentPid", 0), data.get("rootPid", 0)
        uid = data.get("uid")
        return cls(
            pid=pid,
            transport=transport,
            address=address,
            token=token,
            protocol_version=int(data.get("protocolVersion", 1)),
            python=str(data.get("python", "")),
            executable=str(data.get("executable", "")),
            cwd=str(data.get("cwd", "")),
            argv=tuple(str(arg) for arg in argv) if isinstance(argv, list) else (),
            program=str(data.get("program", "")),
            started_at=float(data.get("startedAt", 0.0)),
            path=path,
            parent_pid=parent_pid if isinstance(parent_pid, int) else 0,
            root_pid=root_pid if isinstance(root_pid, int) else 0,
            role=str(data.get("role", "main")),
            command_line=(
                tuple(str(arg) for arg in command_line) if isinstance(command_line, list) else ()
            ),
            uid=uid if isinstance(uid, int) and not isinstance(uid, bool) else None,
            process_start=str(data.get("processStart") or ""),
        )


#: ``base64.urlsafe_b64encode``'s alphabet.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def new_token(size: int = 32) -> str:
    """``size`` random bytes, URL-safe base64 without padding: ``secrets.token_urlsafe(size)``
    without importing ``secrets`` (``random``) and ``base64`` into every process that listens."""
    encoded = binascii.b2a_base64(os.urandom(size), newline=False)
    return encoded.translate(_URL_SAFE).rstrip(b"=").decode("ascii")


def runtime_dir(create: bool = True) -> str:
    """The per-user directory for connection files (created 0700 when missing).

    ``$SPLICE_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/splice``, else
    ``splice-<uid>`` under the temporary directory, or, when another user has
    taken that name, ``~/.cache/splice/runtime``. A directory that is a
    symlink, belongs to another user or is writable by others raises
    UnsafeRuntimeDirectoryError (a fallback is skipped instead).
    """
    explicit = os.environ.get("SPLICE_RUNTIME_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if explicit:
        return _private_dir(explicit, create, "SPLICE_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return _private_dir(os.path.join(xdg, "splice"), create, "XDG_RUNTIME_DIR")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return _private_dir(os.path.join(base, "splice", "runtime"), create, None)
    fallback = os.path.join(temporary_directory(), f"splice-{os.getuid()}")
    try:
        return _private_dir(fallback, create, None)
    except UnsafeRuntimeDirectoryError as error:
        home = os.path.join(os.path.expanduser("~"), ".cache", "splice", "runtime")
        try:
            path = _private_dir(home, create, None)
        except (OSError, UnsafeRuntimeDirectoryError) as second:
            raise UnsafeRuntimeDirectoryError(
                f"{error}; and {home} cannot be used either ({second}): set"
                " SPLICE_RUNTIME_DIR to a private directory"
            ) from None
        logger.warning("%s; using %s instead", error, path)
        return path


def _private_dir(path: str, create: bool, variable: str | None) -> str:
    if create:
        # A file or a dangling symlink in the way: the check below says which.
        with contextlib.suppress(FileExistsError):
            os.makedirs(path, mode=0o700, exist_ok=True)
    problem = _directory_problem(path) if create or os.path.lexists(path) else None
    if problem is None:
        return path
    if variable == "SPLICE_RUNTIME_DIR":
        raise UnsafeRuntimeDirectoryError(
            f"SPLICE_RUNTIME_DIR={path} {problem}; point it at a private directory"
            " (mode 0700) or unset it"
        )
    raise UnsafeRuntimeDirectoryError(f"splice runtime directory {path} {problem}")


def _directory_problem(path: str) -> str | None:
    """Why ``path`` is not a safe runtime directory, or None."""
    if sys.platform == "win32":
        return None
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"cannot be used: {error.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return "is a symlink"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.getuid():
        return f"belongs to {_user_name(info.st_uid)}"
    if info.st_mode & 0o022:
        # Not tightened for the user: it may be a shared directory such as /tmp.
        return (
            f"is writable by other users (mode {stat.S_IMODE(info.st_mode):04o}),"
            " who could plant or replace connection files"
        )
    return None


def _user_name(uid: int) -> str:
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def connection_path(pid: int, directory: str | None = None) -> str:
    return os.path.join(directory or runtime_dir(), f"{FILE_PREFIX}{pid}{FILE_SUFFIX}")


def write(info: ConnectionInfo) -> None:
    """Write ``info`` to ``info.path`` atomically, readable by this user only."""
    directory = os.path.dirname(info.path)
    descriptor, temporary = _create_private(directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(json_text.dumps(info.to_json()))
            stream.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, info.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_private(directory: str) -> tuple[int, str]:
    """A new file only we can read, as ``tempfile.mkstemp`` makes one (exclusive, no link
    followed, mode 0600), without importing ``tempfile`` into every process that listens."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.join(directory, f".kernel-{os.urandom(6).hex()}.tmp")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {directory}")


def remove(info: ConnectionInfo) -> None:
    """Delete the file if it is still ``info``'s (another process may own the name now)."""
    import json  # here: every agent writes its file, only clients and exit read one

    try:
        with open(info.path, encoding="utf-8") as stream:
            data = json.load(stream)
        if data.get("pid") == info.pid and data.get("token") == info.token:
            os.unlink(info.path)
    except (OSError, ValueError, AttributeError):
        pass


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - no Windows runner here
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # alive, but another user's: not a kernel of ours
    return not _zombie(pid)


def remove_stale(info: ConnectionInfo) -> None:
    """Delete the file of a kernel that is gone, and its Unix socket if it lies beside it."""
    with contextlib.suppress(OSError):
        os.unlink(info.path)
    if info.transport == "unix" and info.address == _socket_beside(info.path):
        with contextlib.suppress(OSError):
            os.unlink(info.address)


def _socket_beside(path: str) -> str:
    return os.path.splitext(path)[0] + ".sock"


def is_running(info: ConnectionInfo) -> bool:
    """Whether the process that wrote ``info`` still runs: its pid, as its user, since its start.

    A pid that is alive is not enough: after the kernel died, the pid may
    have been given to another process, of another user or of ours.
    """
    if not pid_alive(info.pid):
        return False
    own = _own_uid()
    # Only root lists another user's process: one it attached to (its file says whose).
    expected = info.uid if own == 0 and info.uid is not None else own
    owner = peers.process_owner(info.pid)
    if owner is not None and expected is not None and owner != expected:
        return False
    if info.process_start:
        started = peers.process_start(info.pid)
        if started is not None and started != info.process_start:
            return False
    return True


def _own_uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def _zombie(pid: int) -> bool:
    """A child that has exited but is not reaped yet (``os._exit`` in a fork): it never runs again."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            status = stream.read()
    except OSError:
        return False  # no /proc (macOS) or gone: os.kill has answered
    # The state follows the command name, which is in parentheses and may hold any byte.
    return status[status.rfind(b")") + 2 : status.rfind(b")") + 3] == b"Z"


def read(path: str) -> ConnectionInfo:
    """Parse one connection file of this user's.

    Raises OSError, ValueError, or UntrustedConnectionFileError (a
    ValueError) for a symlink, a file of another user's, or one that others
    may read or write.
    """
    import json

    with _open_trusted(path) as stream:
        data = json.load(stream)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a splice connection file")
    return ConnectionInfo.from_json(data, os.path.abspath(path))


def _open_trusted(path: str) -> Any:
    if sys.platform == "win32":  # pragma: no cover - no Windows runner here
        return open(path, encoding="utf-8")
    # O_NOFOLLOW: a symlink is refused, not followed; O_NONBLOCK: a planted FIFO cannot hang us.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UntrustedConnectionFileError("is a symlink") from None
        raise
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedConnectionFileError("is not a regular file")
        if info.st_uid != os.getuid():
            raise UntrustedConnectionFileError(f"belongs to {_user_name(info.st_uid)}, not to you")
        if info.st_mode & 0o077:
            raise UntrustedConnectionFileError(
                f"has mode {stat.S_IMODE(info.st_mode):04o}, so other users may read or"
                " replace it (splice writes 0600)"
            )
        return os.fdopen(descriptor, encoding="utf-8")
    except BaseException:
        os.close(descriptor)
        raise


def discover(directory: str | None = None) -> list[ConnectionInfo]:
    """The live kernels of this user, oldest first; stale files are deleted.

    Files that are not this user's alone are skipped with a logged warning
    (``scan`` returns them).
    """
    found = scan(directory)
    for ignored in found.ignored:
        logger.warning("ignored connection file %s: it %s", ignored.path, ignored.reason)
    return list(found.kernels)


def scan(directory: str | None = None) -> Discovery:
    """The live kernels of this user, oldest first, and the files ignored as untrusted."""
    directory = directory or runtime_dir()
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return Discovery((), ())
    kernels = []
    ignored = []
    for name in sorted(names):
        if not (name.startswith(FILE_PREFIX) and name.endswith(FILE_SUFFIX)):
            continue
        path = os.path.join(directory, name)
        try:
            info = read(path)
        except UntrustedConnectionFileError as error:
            ignored.append(IgnoredFile(os.path.abspath(path), str(error)))
            continue
        except (OSError, ValueError):
            continue  # unreadable or not a connection file: not ours to delete
        if not is_running(info):
            remove_stale(info)
            continue
        kernels.append(info)
    kernels.sort(key=lambda info: (info.started_at, info.pid))
    return Discovery(tuple(kernels), tuple(ignored))


def load(path_or_pid: str | int | os.PathLike[str]) -> ConnectionInfo:
    """The kernel named by a pid or a connection file; KernelUnavailableError if it is gone."""
    text = os.fspath(path_or_pid) if not isinstance(path_or_pid, int) else str(path_or_pid)
    path = connection_path(int(text)) if text.isdigit() else text
    try:
        info = read(path)
    except FileNotFoundError:
        what = f"pid {text}" if text.isdigit() else path
        raise KernelUnavailableError(
            f"no kernel found for {what} (no connection file {path})"
        ) from None
    except UntrustedConnectionFileError as error:
        raise KernelUnavailableError(f"refusing connection file {path}: it {error}") from None
    except (OSError, ValueError) as error:
        raise KernelUnavailableError(f"cannot read connection file {path}: {error}") from None
    if not is_running(info):
        remove_stale(info)
        raise KernelUnavailableError(
            f"kernel pid {info.pid} is not running (removed its stale file)"
        )
    return info
