"""Framing and JSON-RPC shapes, over real socket pairs."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys

import pytest

from splice.agent import wire
from splice.errors import ProtocolError


def test_encode_frame_announces_body_length_in_bytes():
    frame = wire.encode_frame({"text": "é"})
    header, body = frame.split(b"\r\n\r\n", 1)
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body) == {"text": "é"}


def test_parse_headers_ignores_other_headers_and_case():
    block = b"Content-Type: application/vscode-jsonrpc\r\ncontent-length: 12"
    assert wire.parse_headers(block) == 12


@pytest.mark.parametrize(
    "block",
    [
        b"Content-Length: -1",
        b"Content-Length: abc",
        b"Content-Length:",
        b"X-Other: 1",
        b"no colon here",
        b"\xff: 1",
    ],
)
def test_parse_headers_rejects_malformed_blocks(block):
    with pytest.raises(ProtocolError):
        wire.parse_headers(block)


def test_parse_headers_rejects_a_body_over_the_limit():
    with pytest.raises(wire.FrameTooLargeError):
        wire.parse_headers(b"Content-Length: 1001", max_size=1000)


def test_decode_body_rejects_non_json():
    with pytest.raises(ProtocolError):
        wire.decode_body(b"{not json")


def test_frame_reader_splits_frames_that_arrive_in_pieces():
    left, right = socket.socketpair()
    with left, right:
        data = wire.encode_frame({"a": 1}) + wire.encode_frame({"b": 2})
        reader = wire.FrameReader(right)
        for index in range(0, len(data), 3):
            left.sendall(data[index : index + 3])
        assert json.loads(reader.read_body()) == {"a": 1}
        assert json.loads(reader.read_body()) == {"b": 2}
        assert not reader.mid_frame


def test_frame_reader_reports_a_close_in_the_middle_of_a_frame():
    left, right = socket.socketpair()
    with right:
        left.sendall(b'Content-Length: 10\r\n\r\n{"a"')
        left.close()
        reader = wire.FrameReader(right)
        with pytest.raises(wire.ConnectionClosedError) as caught:
            reader.read_body()
        assert caught.value.mid_frame


def test_frame_reader_rejects_an_endless_header_block():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"X" * (wire.MAX_HEADER_SIZE + 10))
        with pytest.raises(ProtocolError):
            wire.FrameReader(right).read_body()


async def test_read_frame_async_returns_none_at_a_clean_end():
    reader = asyncio.StreamReader()
    reader.feed_data(wire.encode_frame({"x": [1, 2]}))
    reader.feed_eof()
    assert await wire.read_frame_async(reader) == {"x": [1, 2]}
    assert await wire.read_frame_async(reader) is None


def test_error_response_takes_a_code_name_from_rpc_codes():
    message = wire.error_response(7, "method_not_found", "unknown method 'x'")
    assert message == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32601, "message": "unknown method 'x'"},
    }


@pytest.mark.parametrize(
    ("value", "valid"), [(1, True), ("a", True), (True, False), (None, False), (1.5, False)]
)
def test_valid_id_accepts_only_strings_and_integers(value, valid):
    assert wire.valid_id(value) is valid


def test_parse_headers_accepts_the_lsp_content_type_header():
    block = b"Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8"
    assert wire.parse_headers(block) == 2


@pytest.mark.parametrize(
    "block",
    [
        b"Content-Length: 2\r\nContent-Length: 40",
        b"Content-Length: 2\r\ncontent-length: 2",
        b"Content-Length: 2\r\nContent-Type: a\r\nContent-Type: b",
        b"GET http://127.0.0.1:8000/ HTTP/1.1\r\nContent-Length: 2",
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2",
        b"Host: 127.0.0.1\r\nContent-Length: 2",
        b"Content-Length : 2",
        b" Content-Length: 2",
        b"Content-Length: \xd9\xa2",
    ],
)
def test_parse_headers_rejects_anything_but_the_lsp_header_block(block):
    with pytest.raises(ProtocolError):
        wire.parse_headers(block)


def test_decode_body_rejects_duplicate_keys():
    with pytest.raises(ProtocolError, match="duplicate key 'token'"):
        wire.decode_body(b'{"params": {"token": "bad", "token": "right"}}')


def test_decode_body_rejects_nesting_over_the_limit_without_recursing():
    assert wire.decode_body(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(ProtocolError, match="65 levels deep"):
        wire.decode_body(b"[" * 65 + b"]" * 65)
    with pytest.raises(ProtocolError, match="levels deep"):
        wire.decode_body(b'{"a":' * 1_000_000)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": "[[[[[[[[", "b": [1, {"c": "]]]]"}]}',
        b'["\\"[[[", [[["\\\\"]]]]',
        b'{"": {"": {"": []}}}',
        b'"[[[["',
        b"17",
        b"[[], [[]], [[[]]]]",
    ],
)
def test_nesting_depth_counts_brackets_outside_strings_as_json_does(text):
    def depth(value):
        if isinstance(value, list):
            return 1 + max((depth(item) for item in value), default=0)
        if isinstance(value, dict):
            return 1 + max((depth(item) for item in value.values()), default=0)
        return 0

    assert wire.nesting_depth(text) == depth(json.loads(text))


def test_encode_frame_carries_lone_surrogates_and_non_utf8_paths():
    path = os.fsdecode(b"/data/caf\xe9.csv")
    frame = wire.encode_frame({"id": "\ud800", "argv": [path]})
    assert frame.isascii()
    message = wire.decode_body(frame.split(b"\r\n\r\n", 1)[1])
    assert message == {"id": "\ud800", "argv": [path]}
    assert os.fsencode(message["argv"][0]) == b"/data/caf\xe9.csv"


def test_frame_reader_applies_a_smaller_limit_for_one_frame():
    left, right = socket.socketpair()
    with left, right:
        reader = wire.FrameReader(right, max_size=100_000)
        left.sendall(wire.encode_frame({"a": "x" * 5000}) * 2)
        assert len(reader.read_body()) > 5000
        with pytest.raises(wire.FrameTooLargeError, match="limit of 4096"):
            reader.read_body(max_size=wire.HANDSHAKE_MAX_MESSAGE_SIZE)


def test_nesting_depth_matches_json_on_random_strings_of_quotes_backslashes_and_brackets():
    rng = random.Random(20)
    alphabet = ['"', "\\", "[", "]", "{", "}", "a", "\n"]

    def value(depth):
        kind = rng.random()
        if depth < 6 and kind < 0.3:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        if depth < 6 and kind < 0.5:
            return {"".join(rng.choices(alphabet, k=3)): value(depth + 1) for _ in range(2)}
        return "".join(rng.choices(alphabet, k=rng.randint(0, 12)))

    def depth(item):
        if isinstance(item, list):
            return 1 + max((depth(inner) for inner in item), default=0)
        if isinstance(item, dict):
            return 1 + max((depth(inner) for inner in item.values()), default=0)
        return 0

    for _ in range(2000):
        item = value(0)
        assert wire.nesting_depth(json.dumps(item).encode()) == depth(item)


def test_the_depth_scan_of_an_unterminated_string_takes_one_pass():
    # An opening quote then escaped quotes that never close: a regular expression
    # for strings rescanned the rest from every quote (quadratic). At 1 MiB a
    # linear scan takes milliseconds and a quadratic one hours; 60 s tells them apart.
    script = (
        "from splice.agent import wire\n"
        "body = b'[\"' + b'\\\\\"' * (1 << 19)\n"
        "print(wire.nesting_depth(body))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.stdout == "1\n", completed.stderr
