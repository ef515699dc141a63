"""Who is on the other end: facts about a process, and which process holds a kernel's socket.

A connection file names a pid; by the time a client reads it, that pid may
belong to another process (the kernel was killed and the pid reused), and
its address to another program (which bound the dead kernel's port or
socket path). Two facts tell them apart without trusting the other side:

- ``process_start(pid)``: when the process started (the boot's id and the
  start time in clock ticks from ``/proc/PID/stat``); a kernel writes its own
  into its connection file, and a reused pid has another;
- ``socket_holder``: the process behind a connected socket. A Unix socket
  gives it directly (``SO_PEERCRED``: pid and uid of the process that
  listened); for loopback TCP on Linux, the listening socket at that address
  is found in ``/proc/net/tcp`` and looked for among the process's open files.

Where the system cannot tell (no ``/proc``: macOS, Windows), these return
None and the kernel's proof of its token (``authentication``) stands alone.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys

from splice.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LISTEN_STATE = "0A"


def process_start(pid: int) -> str | None:
    """An id of the process ``pid`` that a reused pid does not share; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            status = stream.read()
        # Bytes decoded here: a text stream would load the ascii codec into every process.
        with open("/proc/sys/kernel/random/boot_id", "rb") as stream:
            boot = stream.read().decode("ascii").strip()
    except OSError:
        return None
    # Field 22, counted after the command name (in parentheses, and free to hold spaces).
    fields = status[status.rfind(b")") + 2 :].split()
    try:
        ticks = int(fields[19])
    except (IndexError, ValueError):
        return None
    return f"{boot}:{ticks}"


def process_owner(pid: int) -> int | None:
    """The real uid of process ``pid``; None when it is gone or the system cannot say."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


class Holder(Record):
    """The process behind a socket: its pid (0 when unknown) and uid (None when unknown)."""

    pid: int
    uid: int | None


def socket_holder(sock: Any, transport: str, expected_pid: int) -> Holder | None:
    """The process that listens behind ``sock``, or None when the system cannot tell.

    For TCP only "is it ``expected_pid``?" can be answered (the listening
    socket among that process's files), so a mismatch is reported as pid 0.
    """
    if transport == "unix":
        return _unix_holder(sock)
    if transport == "tcp" and sys.platform.startswith("linux"):
        return _tcp_holder(sock, expected_pid)
    return None


def _unix_holder(sock: Any) -> Holder | None:
    import struct  # here: only a client checking a kernel needs it, not every agent

    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    size = struct.calcsize("3i")
    try:
        pid, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, size))
    except OSError:
        return None
    return Holder(pid, uid)


def _tcp_holder(sock: Any, expected_pid: int) -> Holder | None:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return None
    inode, uid = _listening_socket(host, port)
    if inode is None:
        return None  # no such table here (another network namespace's view)
    try:
        descriptors = os.listdir(f"/proc/{expected_pid}/fd")
    except OSError:
        return None  # not readable (a non-dumpable process): cannot tell
    wanted = f"socket:[{inode}]"
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{expected_pid}/fd/{descriptor}") == wanted:
                return Holder(expected_pid, uid)
    return Holder(0, uid)


def _listening_socket(host: str, port: int) -> tuple[str | None, int | None]:
    """The inode and uid of the socket listening at ``host:port`` (``/proc/net/tcp``)."""
    import struct  # here: only a client checking a kernel needs it, not every agent

    if ":" in host:
        table = "/proc/net/tcp6"
        packed = socket.inet_pton(socket.AF_INET6, host)
    else:
        table = "/proc/net/tcp"
        packed = socket.inet_aton(host)
    # The kernel prints each 32-bit word of the address in host byte order.
    words = struct.unpack(f"={len(packed) // 4}I", packed)
    wanted = "".join(f"{word:08X}" for word in words) + f":{port:04X}"
    try:
        with open(table, encoding="ascii") as stream:
            lines = stream.readlines()
    except OSError:
        return None, None
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > 9 and fields[1] == wanted and fields[3] == _LISTEN_STATE:
            return fields[9], int(fields[7])
    return None, None
