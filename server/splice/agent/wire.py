"""JSON-RPC 2.0 messages with LSP-style ``Content-Length`` framing.

A frame is exactly the LSP header block: one ``Content-Length: N`` line and
at most one ``Content-Type`` line, each ending in ``\\r\\n``, an empty line,
then N bytes of JSON. Anything else (an HTTP request line, other headers, a
repeated header) is refused, so a browser that finds the port cannot get a
request through. This module is the only place on the kernel side that turns
bytes into JSON values and back; both the agent (blocking sockets) and the
client (asyncio streams) use it.

Bodies are written with every non-ASCII character escaped, so any Python
string crosses the wire, including lone surrogates (a non-UTF-8 file name
decoded with ``surrogateescape`` arrives as the same string and
``os.fsencode`` gives back its bytes). Bodies are read with duplicate keys
refused and their nesting bounded by a linear scan before parsing, so no
frame can drive the JSON parser into deep recursion.
"""

from __future__ import annotations

import itertools
import operator
import socket
import time

from splice.errors import RPC_CODES, ProtocolError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Largest JSON body accepted by default: a 20,000-line module is about 1 MB.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: Largest body accepted before a client has authenticated: an ``initialize``
#: request is a few hundred bytes.
HANDSHAKE_MAX_MESSAGE_SIZE = 4096
#: Headers longer than this are not a well-meaning client.
MAX_HEADER_SIZE = 4096
#: Deepest nesting of arrays and objects in a body: splice's messages need
#: about 6; the bound keeps the recursive JSON parser far from any stack limit.
MAX_NESTING_DEPTH = 64

_HEADER_NAMES = ("content-length", "content-type")
# Everything but brackets, for bytes.translate's delete argument.
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
# Openers count 2 and closers 0, so depth after n brackets is (running sum - n).
_BRACKET_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")

#: 2: both sides prove the token instead of sending it (agent.authentication).
PROTOCOL_VERSION = 2


class FrameTooLargeError(ProtocolError):
    """A frame announced a body larger than the limit; the stream cannot be resynchronised."""


class ConnectionClosedError(ConnectionError):
    """The peer closed the stream, cleanly between frames or in the middle of one."""

    def __init__(self, message: str, *, mid_frame: bool) -> None:
        super().__init__(message)
        self.mid_frame = mid_frame


def encode_frame(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message as a complete frame."""
    import json  # loaded by the first client's handlers (agent._load_request_modules)

    # ASCII escapes: a lone surrogate (from a non-UTF-8 argv, path or repr) encodes too.
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def parse_headers(block: bytes, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> int:
    """The body length announced by a header block (without its blank line).

    Only ``Content-Length`` (required, once) and ``Content-Type`` (optional,
    once) are accepted, as ``Name: value`` lines.
    """
    length: int | None = None
    try:
        text = block.decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("headers are not ASCII") from None
    seen: set[str] = set()
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        key = name.lower()
        if not colon or key not in _HEADER_NAMES:
            raise ProtocolError(
                f"unexpected header line {line[:60]!r} (only Content-Length and Content-Type)"
            )
        if key in seen:
            raise ProtocolError(f"repeated {name} header")
        seen.add(key)
        if key == "content-length":
            value = value.strip(" \t")
            if not value.isdigit() or not value.isascii() or len(value) > 12:
                raise ProtocolError(f"invalid Content-Length {value[:20]!r}")
            length = int(value)
    if length is None:
        raise ProtocolError("missing Content-Length header")
    if length > max_size:
        raise FrameTooLargeError(f"message of {length} bytes exceeds the limit of {max_size}")
    return length


def nesting_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, found without recursion.

    Exact for valid JSON; for invalid JSON it may count brackets the parser
    would never reach, which only makes a refusal more likely. Every step is
    one linear pass in C (no regular expression: an unterminated string made
    one rescan the rest of the frame from each quote, quadratic in its length).
    """
    # Escaped backslashes first, so that what remains of each run of them says
    # whether the quote after it is escaped; then every unescaped quote delimits.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    weights = brackets.translate(_BRACKET_WEIGHTS)
    depths = map(operator.sub, itertools.accumulate(weights), itertools.count(1))
    deepest: int = max(depths)
    return max(0, deepest)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key[:40]!r}")
            seen.add(key)
    return result


def decode_body(body: bytes, max_depth: int = MAX_NESTING_DEPTH) -> Any:
    """The JSON value of a frame's body.

    ProtocolError (a parse error) when it is not UTF-8 JSON, repeats a key in
    an object, or nests deeper than ``max_depth``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"body is not UTF-8: {error}") from None
    depth = nesting_depth(body)
    if depth > max_depth:
        raise ProtocolError(f"body nests {depth} levels deep (the limit is {max_depth})")
    import json

    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        # Unreachable within the depth bound; kept so no frame can ever raise it.
        raise ProtocolError("body nests too deeply") from None
    except ValueError as error:
        raise ProtocolError(f"body is not JSON: {error}") from None


class FrameReader:
    """Reads frames from a blocking socket, with a size limit and a buffer of its own.

    With ``frame_timeout`` set, a frame whose first byte has arrived must be
    complete within that many seconds, however slowly its bytes trickle in;
    ``read_body(deadline=...)`` bounds the whole read; ``idle_timeout`` bounds
    the wait for a new frame. Timeouts raise ``TimeoutError``. With none of
    them, the socket's own timeout applies to each read.
    """

    def __init__(
        self,
        sock: socket.socket,
        max_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        *,
        frame_timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._frame_started: float | None = None
        self.max_size = max_size
        self.frame_timeout = frame_timeout
        self.idle_timeout = idle_timeout
        self._manage_timeouts = frame_timeout is not None or idle_timeout is not None

    @property
    def mid_frame(self) -> bool:
        """True when part of a frame has arrived (a timeout now means a stalled client)."""
        return self._frame_started is not None

    def _fill(self, deadline: float | None) -> None:
        limit = deadline
        if self._frame_started is not None and self.frame_timeout is not None:
            frame_limit = self._frame_started + self.frame_timeout
            limit = frame_limit if limit is None else min(limit, frame_limit)
        if limit is not None:
            remaining = limit - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            self._sock.settimeout(remaining)
        elif self._manage_timeouts:
            self._sock.settimeout(self.idle_timeout)
        chunk = self._sock.recv(65536)
        if not chunk:
            mid = self.mid_frame
            raise ConnectionClosedError(
                "connection closed in the middle of a message" if mid else "connection closed",
                mid_frame=mid,
            )
        if self._frame_started is None:
            self._frame_started = time.monotonic()
        self._buffer += chunk

    def read_body(self, deadline: float | None = None, max_size: int | None = None) -> bytes:
        """The next frame's body (raw bytes).

        Raises ProtocolError, ConnectionClosedError, TimeoutError. ``deadline``
        is a ``time.monotonic()`` value; ``max_size`` lowers the reader's limit
        for this frame (``HANDSHAKE_MAX_MESSAGE_SIZE`` before authentication).
        """
        limit = self.max_size if max_size is None else min(max_size, self.max_size)
        if self._buffer and self._frame_started is None:
            self._frame_started = time.monotonic()
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self._buffer) > MAX_HEADER_SIZE:
                raise ProtocolError("header block too long or missing the blank line")
            self._fill(deadline)
        length = parse_headers(bytes(self._buffer[:end]), limit)
        del self._buffer[: end + 4]
        while len(self._buffer) < length:
            self._fill(deadline)
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        # Bytes of the next frame may already be here: its clock starts now.
        self._frame_started = time.monotonic() if self._buffer else None
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


#: A request's deadline comes this much before the client gives up (or halfway,
#: for short timeouts), so that a request the kernel starts in time has that
#: long to answer before the client stops waiting.
DEADLINE_MARGIN = 1.0


def deadline_after(timeout: float) -> float:
    """The ``deadline`` param for a request whose client waits ``timeout`` seconds."""
    return time.time() + max(timeout - DEADLINE_MARGIN, timeout / 2)


def valid_id(value: Any) -> bool:
    # bool is an int subclass, but true/false are not valid JSON-RPC ids.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
