"""Connection files: how a client finds a kernel and proves it may talk to it.

Each listening process writes ``kernel-<pid>.json`` (mode 0600, written
atomically) in a per-user runtime directory and removes it at exit. Readers
skip, and delete, the files of processes that are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from splice.errors import KernelUnavailableError

FILE_PREFIX = "kernel-"
FILE_SUFFIX = ".json"


@dataclass(frozen=True)
class ConnectionInfo:
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
        )


def runtime_dir(create: bool = True) -> str:
    """The per-user directory for connection files (created 0700 when missing).

    ``$SPLICE_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/splice``, else a directory
    of this user's under the temporary directory (checked: owned by us, not
    writable by others, not a symlink).
    """
    explicit = os.environ.get("SPLICE_RUNTIME_DIR")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if explicit:
        path = explicit
    elif xdg and os.path.isdir(xdg):
        path = os.path.join(xdg, "splice")
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        path = os.path.join(base, "splice", "runtime")
    else:
        path = os.path.join(tempfile.gettempdir(), f"splice-{os.getuid()}")
    if create:
        os.makedirs(path, mode=0o700, exist_ok=True)
        _check_private(path)
    return path


def _check_private(path: str) -> None:
    if sys.platform == "win32":
        return
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise PermissionError(f"splice runtime directory {path} is not a plain directory")
    if info.st_uid != os.getuid():
        raise PermissionError(f"splice runtime directory {path} belongs to another user")
    if info.st_mode & 0o022:
        # Others could swap our connection files for theirs; tighten it if we can.
        os.chmod(path, info.st_mode & ~0o077)


def connection_path(pid: int, directory: str | None = None) -> str:
    return os.path.join(directory or runtime_dir(), f"{FILE_PREFIX}{pid}{FILE_SUFFIX}")


def write(info: ConnectionInfo) -> None:
    """Write ``info`` to ``info.path`` atomically, readable by this user only."""
    directory = os.path.dirname(info.path)
    descriptor, temporary = tempfile.mkstemp(prefix=".kernel-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(info.to_json(), stream, indent=2)
            stream.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, info.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove(info: ConnectionInfo) -> None:
    """Delete the file if it is still ``info``'s (another process may own the name now)."""
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
        return True  # alive, but another user's
    return True


def read(path: str) -> ConnectionInfo:
    """Parse one connection file. Raises OSError or ValueError."""
    with open(path, encoding="utf-8") as stream:
        data = json.load(stream)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a splice connection file")
    return ConnectionInfo.from_json(data, os.path.abspath(path))


def discover(directory: str | None = None) -> list[ConnectionInfo]:
    """The live kernels of this user, oldest first; stale files are deleted."""
    directory = directory or runtime_dir()
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    kernels = []
    for name in names:
        if not (name.startswith(FILE_PREFIX) and name.endswith(FILE_SUFFIX)):
            continue
        path = os.path.join(directory, name)
        try:
            info = read(path)
        except (OSError, ValueError):
            continue  # unreadable or foreign: not ours to delete
        if not pid_alive(info.pid):
            with contextlib.suppress(OSError):
                os.unlink(path)
            continue
        kernels.append(info)
    kernels.sort(key=lambda info: (info.started_at, info.pid))
    return kernels


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
    except (OSError, ValueError) as error:
        raise KernelUnavailableError(f"cannot read connection file {path}: {error}") from None
    if not pid_alive(info.pid):
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise KernelUnavailableError(
            f"kernel pid {info.pid} is not running (removed its stale file)"
        )
    return info
