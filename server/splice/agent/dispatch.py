"""JSON-RPC dispatch without sockets: a decoded message in, the reply to send out.

``handshake`` answers a connection's messages until the client has proven
the token (two: ``initialize``, ``authenticate``); ``dispatch`` answers every
message after them. Both are pure apart from the work a method does (through
``run``), so they are tested by calling them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from splice.agent import authentication, methods, requests, wire
from splice.logs import get_logger

logger = get_logger(__name__)

Reply = dict[str, Any]

HANDSHAKE_REFUSAL = (
    "the first request must be 'initialize' with a challenge, then 'authenticate'"
    " with the proof (docs/protocol.md, Authentication)"
)
TOKEN_REFUSAL = (
    "this kernel speaks protocol 2: the token is never sent; send 'initialize' with a"
    " challenge and prove the token with 'authenticate' (docs/protocol.md, Authentication)"
)


@dataclass(frozen=True)
class Challenge:
    """The two challenges of a handshake under way: the client's, then the kernel's."""

    client: str
    kernel: str


@dataclass(frozen=True)
class Handshake:
    """The reply to a message of a client not authenticated yet, and where that leaves it.

    ``accepted``: the client proved the token. ``challenge``: the kernel sent
    its proof and waits for the client's. Neither: refused (close the connection).
    """

    reply: Reply
    accepted: bool = False
    challenge: Challenge | None = None


def handshake(
    message: Any,
    token: str,
    identity: Callable[[], dict[str, Any]],
    challenge: Challenge | None = None,
    new_challenge: Callable[[], str] = authentication.new_challenge,
) -> Handshake:
    """Answer a message before authentication (docs/protocol.md, "Authentication").

    Without ``challenge`` it must be ``initialize`` with the client's
    challenge: the answer is the kernel's challenge and proof. With it, it
    must be ``authenticate`` with the client's proof: the answer is
    ``identity()``. Anything else is refused.
    """
    request_id = message.get("id") if isinstance(message, dict) else None
    reply_id = request_id if wire.valid_id(request_id) else None
    params = message.get("params") if isinstance(message, dict) else None
    expected = "initialize" if challenge is None else "authenticate"
    if (
        not isinstance(message, dict)
        or message.get("jsonrpc") != "2.0"
        or message.get("method") != expected
        or not wire.valid_id(request_id)
        or not isinstance(params, dict)
    ):
        return _refused(reply_id, HANDSHAKE_REFUSAL)
    if challenge is None:
        offered = params.get("challenge")
        if not isinstance(offered, str) or not authentication.valid_challenge(offered):
            return _refused(reply_id, TOKEN_REFUSAL if "token" in params else HANDSHAKE_REFUSAL)
        sent = Challenge(offered, new_challenge())
        result = {
            "protocolVersion": authentication.PROTOCOL_VERSION,
            "challenge": sent.kernel,
            "proof": authentication.proof(token, "kernel", sent.client, sent.kernel),
        }
        return Handshake(wire.response(request_id, result), challenge=sent)
    offered = params.get("proof")
    expected_proof = authentication.proof(token, "client", challenge.client, challenge.kernel)
    if not (
        isinstance(offered, str)
        and authentication.valid_proof(offered)
        and authentication.same(offered, expected_proof)
    ):
        return _refused(reply_id, "wrong token")
    return Handshake(wire.response(request_id, identity()), accepted=True)


def _refused(reply_id: Any, message: str) -> Handshake:
    return Handshake(wire.error_response(reply_id, "unauthorized", message))


def dispatch(message: Any, run: requests.Runner) -> Reply | None:
    """The reply to one message of an authenticated client; None when none is due.

    Notifications and responses get no reply, as JSON-RPC requires. Errors of
    the method itself become error replies; nothing raised reaches the caller
    except a bug in this function.
    """
    if isinstance(message, list):
        return wire.error_response(None, "invalid_request", "batch requests are not supported")
    if not isinstance(message, dict):
        return wire.error_response(None, "invalid_request", "a message must be a JSON object")
    if "method" not in message and "id" in message:
        return None  # a response: the agent sends no requests, so there is nothing to match
    request_id = message.get("id")
    is_notification = "id" not in message
    method = message.get("method")
    if (
        message.get("jsonrpc") != "2.0"
        or not isinstance(method, str)
        or not (is_notification or wire.valid_id(request_id))
    ):
        reply_id = request_id if wire.valid_id(request_id) else None
        return wire.error_response(reply_id, "invalid_request", "not a JSON-RPC 2.0 request")
    reply = _answer(request_id, method, message.get("params", {}), run)
    return None if is_notification else reply


def _answer(request_id: Any, method: str, params: Any, run: requests.Runner) -> Reply:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return wire.error_response(request_id, "invalid_params", "params must be an object")
    if method in ("initialize", "authenticate"):
        return wire.error_response(request_id, "invalid_request", "already authenticated")
    handler = methods.HANDLERS.get(method)
    if handler is None:
        return wire.error_response(request_id, "method_not_found", f"unknown method {method!r}")
    try:
        deadline = requests.deadline_of(params)
        if deadline is not None:
            run = requests.before(deadline, run)
        return wire.response(request_id, handler(params, requests.contained(run)))
    except requests.MethodError as error:
        return wire.error_response(request_id, error.code, str(error), error.data)
    except requests.UserCodeRaised as raised:
        # A method that has no result of its own for this (patch has: apply-failed).
        name = raised.error.__class__.__name__
        message = f"{method}: the program's code raised {name}; the program goes on"
        return wire.error_response(request_id, "server_error", message, {"exception": name})
    except Exception as error:
        # A bug in splice, not in the user's code (methods turn that into findings).
        logger.debug("method %s failed", method, exc_info=True)
        message = f"internal error in the splice agent: {error.__class__.__name__}: {error}"
        return wire.error_response(request_id, "internal_error", message)


def encode_reply(reply: Reply, limit: int = wire.DEFAULT_MAX_MESSAGE_SIZE) -> bytes:
    """``reply`` as a frame, or an error in its place when its body is larger than a client reads."""
    frame = wire.encode_frame(reply)
    size = len(frame) - frame.index(b"\r\n\r\n") - 4
    if size <= limit:
        return frame
    message = (
        f"the reply is {size} bytes, more than the {limit} a client accepts; "
        "ask for less (for example len(value) or a slice of it)"
    )
    data = {"size": size, "limit": limit}
    return wire.encode_frame(wire.error_response(reply.get("id"), "server_error", message, data))
