"""JSON-RPC dispatch without sockets: a decoded message in, the reply to send out.

``handshake`` answers a connection's first message; ``dispatch`` answers every
message after it. Both are pure apart from the work a method does (through
``run``), so they are tested by calling them directly.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from splice.agent import methods, wire

logger = logging.getLogger(__name__)

Reply = dict[str, Any]

HANDSHAKE_REFUSAL = "the first request must be 'initialize' with the token from the connection file"


@dataclass(frozen=True)
class Handshake:
    """The reply to a first message, and whether the client is now authenticated."""

    reply: Reply
    accepted: bool


def handshake(message: Any, token: str, identity: Callable[[], dict[str, Any]]) -> Handshake:
    """Accept ``message`` only if it is a JSON-RPC 2.0 ``initialize`` carrying ``token``."""
    request_id = message.get("id") if isinstance(message, dict) else None
    reply_id = request_id if wire.valid_id(request_id) else None
    params = message.get("params") if isinstance(message, dict) else None
    if (
        not isinstance(message, dict)
        or message.get("jsonrpc") != "2.0"
        or message.get("method") != "initialize"
        or not wire.valid_id(request_id)
        or not isinstance(params, dict)
        or not isinstance(params.get("token"), str)
    ):
        return Handshake(wire.error_response(reply_id, "unauthorized", HANDSHAKE_REFUSAL), False)
    offered = params["token"].encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(offered, token.encode("utf-8")):
        return Handshake(wire.error_response(reply_id, "unauthorized", "wrong token"), False)
    return Handshake(wire.response(request_id, identity()), True)


def dispatch(message: Any, run: methods.Runner) -> Reply | None:
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


def _answer(request_id: Any, method: str, params: Any, run: methods.Runner) -> Reply:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return wire.error_response(request_id, "invalid_params", "params must be an object")
    if method == "initialize":
        return wire.error_response(request_id, "invalid_request", "already initialized")
    handler = methods.HANDLERS.get(method)
    if handler is None:
        return wire.error_response(request_id, "method_not_found", f"unknown method {method!r}")
    try:
        return wire.response(request_id, handler(params, run))
    except methods.MethodError as error:
        return wire.error_response(request_id, error.code, str(error), error.data)
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
