"""JSON-RPC 2.0 messages with LSP-style ``Content-Length`` framing.

A frame is ``Content-Length: N\\r\\n`` (other headers allowed and ignored),
an empty line, then N bytes of UTF-8 JSON. This module is the only place on
the kernel side that turns bytes into JSON values and back; both the agent
(blocking sockets) and the client (asyncio streams) use it.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from splice.errors import RPC_CODES, ProtocolError

#: Largest JSON body accepted by default: a 20,000-line module is about 1 MB.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: Headers longer than this are not a well-meaning client.
MAX_HEADER_SIZE = 4096

PROTOCOL_VERSION = 1


class FrameTooLargeError(ProtocolError):
    """A frame announced a body larger than the limit; the stream cannot be resynchronised."""


class ConnectionClosedError(ConnectionError):
    """The peer closed the stream, cleanly between frames or in the middle of one."""

    def __init__(self, message: str, *, mid_frame: bool) -> None:
        super().__init__(message)
        self.mid_frame = mid_frame


def encode_frame(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message as a complete frame."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def parse_headers(block: bytes, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> int:
    """The body length announced by a header block (without its blank line)."""
    length: int | None = None
    try:
        text = block.decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("headers are not ASCII") from None
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"malformed header line {line[:60]!r}")
        if name.strip().lower() == "content-length":
            value = value.strip()
            if not value.isdigit() or len(value) > 12:
                raise ProtocolError(f"invalid Content-Length {value[:20]!r}")
            length = int(value)
    if length is None:
        raise ProtocolError("missing Content-Length header")
    if length > max_size:
        raise FrameTooLargeError(f"message of {length} bytes exceeds the limit of {max_size}")
    return length


def decode_body(body: bytes) -> Any:
    """The JSON value of a frame's body; ProtocolError (parse error) when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"body is not UTF-8 JSON: {error}") from None


class FrameReader:
    """Reads frames from a blocking socket, with a size limit and a buffer of its own."""

    def __init__(self, sock: socket.socket, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.max_size = max_size

    @property
    def mid_frame(self) -> bool:
        """True when part of a frame has arrived (a timeout now means a stalled client)."""
        return bool(self._buffer)

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            mid = bool(self._buffer)
            raise ConnectionClosedError(
                "connection closed in the middle of a message" if mid else "connection closed",
                mid_frame=mid,
            )
        self._buffer += chunk

    def read_body(self) -> bytes:
        """The next frame's body (raw bytes). Raises ProtocolError, ConnectionClosedError."""
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self._buffer) > MAX_HEADER_SIZE:
                raise ProtocolError("header block too long or missing the blank line")
            self._fill()
        length = parse_headers(bytes(self._buffer[:end]), self.max_size)
        del self._buffer[: end + 4]
        while len(self._buffer) < length:
            self._fill()
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body


async def read_frame_async(reader: Any, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Any:
    """The next message from an ``asyncio.StreamReader``, decoded; None at a clean EOF."""
    import asyncio

    try:
        block = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None
        raise ConnectionClosedError(
            "connection closed in the middle of a message", mid_frame=True
        ) from None
    except asyncio.LimitOverrunError:
        raise ProtocolError("header block too long") from None
    length = parse_headers(block[:-4], max_size)
    try:
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise ConnectionClosedError(
            "connection closed in the middle of a message", mid_frame=True
        ) from None
    return decode_body(body)


# JSON-RPC 2.0 shapes ---------------------------------------------------------------


def request(
    request_id: int | str, method: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def response(request_id: int | str | None, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_response(
    request_id: int | str | None, code: int | str, message: str, data: Any = None
) -> dict[str, Any]:
    """An error response; ``code`` is a number or a name from ``splice.errors.RPC_CODES``."""
    number = RPC_CODES[code] if isinstance(code, str) else code
    error: dict[str, Any] = {"code": number, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def valid_id(value: Any) -> bool:
    # bool is an int subclass, but true/false are not valid JSON-RPC ids.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
