"""The handshake in which kernel and client each prove that they know the token.

Neither side ever sends the token. The client sends a random challenge
(``initialize``); the kernel answers with a challenge of its own and an
HMAC-SHA256, keyed with the token, over both; only when that proof is right
does the client answer with its own HMAC over the same two challenges
(``authenticate``), and only then does it send anything else. So a process
that took a dead kernel's address (its port, or its pid) learns nothing: not
the token, not a source text, not a request. The two proofs are labelled
with their direction, so neither can be replayed as the other, and each
connection's fresh challenges make every proof good for that connection only.

Before the proofs, the client checks what the transport can show
(``verify_peer``): the process holding the socket must be the kernel's pid,
and run as the kernel's user.

docs/protocol.md, "Authentication", is the specification.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from splice.agent import connection, peers, wire
from splice.agent.connection import ConnectionInfo
from splice.errors import AuthenticationError, KernelIdentityError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

#: The protocol version that proves both ways; a connection file with an older
#: one was written by a kernel that wants the token itself, which is never sent.
PROTOCOL_VERSION = wire.PROTOCOL_VERSION

_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{22,128}")
_PROOF = re.compile(r"[0-9a-f]{64}")


def new_challenge() -> str:
    """32 random bytes, URL-safe base64 (43 characters)."""
    return connection.new_token(32)


def valid_challenge(value: Any) -> bool:
    return isinstance(value, str) and _CHALLENGE.fullmatch(value) is not None


def valid_proof(value: Any) -> bool:
    return isinstance(value, str) and _PROOF.fullmatch(value) is not None


def proof(token: str, role: str, client_challenge: str, kernel_challenge: str) -> str:
    """HMAC-SHA256 of ``splice <role> proof``, then both challenges, each on a line; in hex."""
    message = f"splice {role} proof\n{client_challenge}\n{kernel_challenge}".encode("ascii")
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def same(offered: str, expected: str) -> bool:
    """Constant-time comparison of two proofs."""
    return hmac.compare_digest(offered.encode("ascii"), expected.encode("ascii"))


def check_version(info: ConnectionInfo) -> None:
    """Refuse, before connecting, a kernel that would want the token itself."""
    if info.protocol_version < PROTOCOL_VERSION:
        raise AuthenticationError(
            f"kernel pid {info.pid} speaks protocol {info.protocol_version}, whose handshake"
            " sends the token to whatever listens at its address; splice no longer does:"
            " restart that program with this version of splice"
        )


def expected_uid(info: ConnectionInfo) -> int | None:
    """The user the kernel runs as: the file says (root's copy of an attached kernel), else ours."""
    if info.uid is not None:
        return info.uid
    return os.getuid() if hasattr(os, "getuid") else None


def verify_peer(sock: Any, info: ConnectionInfo, *, required: bool = False) -> None:
    """KernelIdentityError when the transport shows that another process holds the socket.

    With ``required``, also when it cannot show which process does (``splice
    attach`` as root accepts an agent only on that evidence).
    """
    holder = peers.socket_holder(sock, info.transport, info.pid)
    if holder is None:
        if required:
            raise KernelIdentityError(
                f"cannot tell which process holds {info.address} ({info.transport} here shows"
                f" no peer); kernel pid {info.pid} cannot be verified"
            )
        return
    uid = expected_uid(info)
    wrong_pid = holder.pid != info.pid
    wrong_user = uid is not None and holder.uid is not None and holder.uid != uid
    if not (wrong_pid or wrong_user):
        return
    who = f"pid {holder.pid}" if holder.pid else "another process"
    if holder.uid is not None:
        who += f" of uid {holder.uid}"
    raise KernelIdentityError(
        f"{info.address} is held by {who}, not by kernel pid {info.pid}"
        f"{f' of uid {uid}' if uid is not None else ''}: that kernel has exited and"
        f" something else took its address; nothing was sent to it ({info.path})"
    )


class ClientHandshake:
    """The client's half: the ``initialize`` params, then, given the kernel's answer, ``authenticate``'s."""

    def __init__(self, info: ConnectionInfo, client: dict[str, Any]) -> None:
        check_version(info)
        self.info = info
        self.client = client
        self.challenge = new_challenge()

    def initialize_params(self) -> dict[str, Any]:
        return {"challenge": self.challenge, "client": self.client}

    def authenticate_params(self, result: Any) -> dict[str, Any]:
        """Check the kernel's proof; the params that prove ours. KernelIdentityError if it fails."""
        kernel_challenge = result.get("challenge") if isinstance(result, dict) else None
        offered = result.get("proof") if isinstance(result, dict) else None
        if not (isinstance(kernel_challenge, str) and valid_challenge(kernel_challenge)) or not (
            isinstance(offered, str) and valid_proof(offered)
        ):
            self._impostor("gave no proof that it knows the token")
        token = self.info.token
        if not same(offered, proof(token, "kernel", self.challenge, kernel_challenge)):
            self._impostor("gave a wrong proof of the token")
        return {"proof": proof(token, "client", self.challenge, kernel_challenge)}

    def _impostor(self, what: str) -> NoReturn:
        raise KernelIdentityError(
            f"the process at {self.info.address} {what} of kernel pid {self.info.pid}"
            f" ({self.info.path}): it is not that kernel (it has exited and something else"
            " took its address?); neither the token nor anything else was sent to it"
        )
