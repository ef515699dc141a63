"""Frames from someone without the token: refused cleanly, never parsed deeply, never crashing.

Each test talks to a real listening program over its real socket.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from kernel_support import RawConnection, running_program
from splice.agent import authentication, wire
from splice.errors import RPC_CODES

# A program with the raised recursion limit of much recursive code: there, a
# deep enough JSON parse overflows the C stack (SIGSEGV) before RecursionError.
DEEP_RECURSION_PROGRAM = textwrap.dedent(
    """
    import sys
    import time

    import splice

    sys.setrecursionlimit(10**5)
    splice.listen(handshake_timeout=2, max_message_size=400_000)
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


def error_of(reply):
    assert reply is not None and "error" in reply, reply
    return reply["error"]


def frame(body: bytes, headers: bytes | None = None) -> bytes:
    return (headers or b"Content-Length: %d" % len(body)) + b"\r\n\r\n" + body


def initialize_body() -> bytes:
    challenge = authentication.new_challenge()
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"challenge": challenge}}
    ).encode()


@pytest.fixture(scope="module")
def deep_program(tmp_path_factory):
    project = tmp_path_factory.mktemp("deep")
    (project / "deep.py").write_text(DEEP_RECURSION_PROGRAM)
    with running_program(project, "deep.py") as kernel:
        kernel.wait_for_output("ready")
        yield kernel


def assert_alive_and_quiet(kernel):
    assert kernel.process.poll() is None, kernel.stderr()
    assert kernel.evaluate("1 + 1") == "2"
    assert kernel.stderr() == ""


def test_deep_nesting_before_authentication_is_refused_and_the_process_lives(deep_program):
    with RawConnection(deep_program.info) as raw:
        raw.send_bytes(frame(b"[" * 100_000))
        reply = raw.read()
        assert error_of(reply)["code"] == RPC_CODES["invalid_request"]
        assert "limit of 4096" in reply["error"]["message"]
        assert raw.is_closed()
    assert_alive_and_quiet(deep_program)


def test_deep_nesting_within_the_handshake_limit_is_refused_unparsed(deep_program):
    with RawConnection(deep_program.info) as raw:
        raw.send_bytes(frame(b"[" * 4000))
        assert error_of(raw.read())["code"] == RPC_CODES["unauthorized"]
        assert raw.is_closed()
    assert_alive_and_quiet(deep_program)


def test_deep_nesting_after_authentication_gets_a_parse_error_and_the_connection_stays(
    deep_program,
):
    with RawConnection(deep_program.info) as raw:
        raw.authenticate(deep_program.info.token)
        raw.send_bytes(frame(b"[" * 100_000 + b"]" * 100_000))
        reply = raw.read()
        assert error_of(reply)["code"] == RPC_CODES["parse_error"]
        assert "levels deep" in reply["error"]["message"]
        assert "result" in raw.request(2, "evaluate", {"expression": "2 * 21"})
    assert_alive_and_quiet(deep_program)


def test_duplicate_proof_keys_do_not_authenticate(undisturbed):
    challenge = authentication.new_challenge()
    with RawConnection(undisturbed.info) as raw:
        kernel = raw.initialize(challenge)["result"]["challenge"]
        right = authentication.proof(undisturbed.info.token, "client", challenge, kernel)
        body = (
            '{"jsonrpc": "2.0", "id": 2, "method": "authenticate",'
            f' "params": {{"proof": "{"0" * 64}", "proof": "{right}"}}}}'
        ).encode()
        raw.send_bytes(frame(body))
        assert error_of(raw.read())["code"] == RPC_CODES["unauthorized"]
        assert raw.is_closed()


def assert_headers_refused(info, sent: bytes, reason: str) -> None:
    """Sent before authenticating, ``sent`` gets a parse error naming ``reason``, then a close."""
    with RawConnection(info) as raw:
        raw.send_bytes(sent)
        reply = raw.read()
        assert error_of(reply)["code"] == RPC_CODES["parse_error"]
        assert reason in reply["error"]["message"]
        assert raw.is_closed()


def test_a_repeated_content_length_is_refused(undisturbed):
    body = initialize_body()
    headers = b"Content-Length: 3\r\nContent-Length: %d" % len(body)
    assert_headers_refused(undisturbed.info, frame(body, headers), "repeated Content-Length")


def test_an_http_request_carrying_a_valid_frame_is_refused(undisturbed):
    # What a web page could make a browser send: a request line and browser headers.
    body = initialize_body()
    headers = (
        b"POST http://%s/ HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d"
        % (undisturbed.info.address.encode(), undisturbed.info.address.encode(), len(body))
    )
    assert_headers_refused(
        undisturbed.info, frame(body, headers), "only Content-Length and Content-Type"
    )


def test_extra_headers_after_authentication_are_refused(undisturbed):
    body = b'{"jsonrpc": "2.0", "id": 2, "method": "modules"}'
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(frame(body, b"Content-Length: %d\r\nOrigin: http://example.com" % len(body)))
        assert error_of(raw.read())["code"] == RPC_CODES["parse_error"]
        assert raw.is_closed()


def test_a_lone_surrogate_id_gets_its_reply(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(frame(b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "nothing"}'))
        reply = raw.read()
        assert reply["id"] == "\ud800"
        assert error_of(reply)["code"] == RPC_CODES["method_not_found"]
        assert "result" in raw.request(3, "modules")


def test_a_repr_holding_a_lone_surrogate_reaches_the_client(undisturbed):
    expression = "type('Odd', (), {'__repr__': lambda self: 'caf' + chr(0xDCE9)})()"
    assert undisturbed.evaluate(expression) == "caf\udce9"


def test_the_handshake_limit_leaves_room_for_a_real_initialize(undisturbed):
    client_info = {"name": "splice-vscode", "version": "1.2.3", "pid": 123456}
    message = wire.request(
        1, "initialize", {"challenge": authentication.new_challenge(), "client": client_info}
    )
    assert len(wire.encode_frame(message)) < wire.HANDSHAKE_MAX_MESSAGE_SIZE / 8
    with RawConnection(undisturbed.info) as raw:
        raw.send(message)
        assert "result" in raw.read()
