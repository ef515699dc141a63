"""Malformed and hostile input: a clear error or a closed connection, and the program undisturbed."""

from __future__ import annotations

import threading
import time

import pytest

from kernel_support import RawConnection
from splice.agent import wire
from splice.errors import RPC_CODES


def error_code(reply):
    assert reply is not None and "error" in reply, reply
    return reply["error"]["code"]


@pytest.mark.parametrize(
    "header",
    [b"Content-Length: abc", b"Content-Type: x"],
    ids=["malformed-content-length", "missing-content-length"],
)
def test_bad_header_gets_parse_error_and_close(undisturbed, header):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(header + b"\r\n\r\n{}")
        assert error_code(raw.read()) == RPC_CODES["parse_error"]
        assert raw.is_closed()


def test_short_content_length_gets_parse_error(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        body = b'{"jsonrpc": "2.0", "id": 1, "method": "modules"}'
        raw.send_bytes(b"Content-Length: 10\r\n\r\n" + body)
        assert error_code(raw.read()) == RPC_CODES["parse_error"]


def test_long_content_length_times_out_with_an_error(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(b'Content-Length: 500\r\n\r\n{"jsonrpc": "2.0"}')
        assert error_code(raw.read()) == RPC_CODES["invalid_request"]
        assert raw.is_closed()


def test_non_json_body_gets_parse_error_and_connection_stays_usable(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(b"Content-Length: 9\r\n\r\nnot json!")
        reply = raw.read()
        assert error_code(reply) == RPC_CODES["parse_error"] and reply["id"] is None
        assert "result" in raw.request(2, "evaluate", {"expression": "1 + 1"})


def test_non_json_first_message_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.send_bytes(b"Content-Length: 5\r\n\r\nhello")
        assert error_code(raw.read()) == RPC_CODES["unauthorized"]
        assert raw.is_closed()


def test_huge_announced_message_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(b"Content-Length: 1000000000\r\n\r\n")
        reply = raw.read()
        assert error_code(reply) == RPC_CODES["invalid_request"]
        assert "exceeds the limit" in reply["error"]["message"]
        assert raw.is_closed()


def test_message_just_over_the_limit_is_refused(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        source = "x = 1\n" * 40_000  # 240,000 bytes > 200,000
        raw.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "patch",
                "params": {"module": "helper", "source": source},
            }
        )
        assert error_code(raw.read()) == RPC_CODES["invalid_request"]


def test_idle_client_is_refused_after_the_handshake_timeout(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        reply = raw.read(timeout=5)
        assert error_code(reply) == RPC_CODES["unauthorized"]
        assert "no initialize request" in reply["error"]["message"]
        assert raw.is_closed()


def test_authenticated_idle_client_stays_connected(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        assert not raw.is_closed(timeout=1.5)  # three frame timeouts without a byte
        assert "result" in raw.request(2, "evaluate", {"expression": "2"})


def test_disconnect_mid_message_leaves_the_agent_serving(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(b'Content-Length: 100\r\n\r\n{"jsonrpc": "2.0", "id"')
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        assert raw.request(1, "evaluate", {"expression": "6 * 7"})["result"]["value"] == "42"


def test_many_clients_at_once_are_all_served(undisturbed):
    answers: dict[int, object] = {}

    def client(number):
        with RawConnection(undisturbed.info) as raw:
            raw.authenticate(undisturbed.info.token)
            answers[number] = raw.request(1, "evaluate", {"expression": f"{number} * 2"})

    threads = [threading.Thread(target=client, args=(number,)) for number in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert {number: reply["result"]["value"] for number, reply in answers.items()} == {
        number: str(number * 2) for number in range(40)
    }


def test_wrong_token_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        reply = raw.handshake("x" * len(undisturbed.info.token), check_kernel=False)
        assert error_code(reply) == RPC_CODES["unauthorized"] and reply["id"] == 0
        assert reply["error"]["message"] == "wrong token"
        assert raw.is_closed()


def test_a_token_sent_as_in_protocol_1_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        reply = raw.request(1, "initialize", {"token": undisturbed.info.token})
        assert error_code(reply) == RPC_CODES["unauthorized"] and reply["id"] == 1
        assert "the token is never sent" in reply["error"]["message"]
        assert raw.is_closed()


def test_authenticate_without_initialize_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        reply = raw.request(1, "authenticate", {"proof": "0" * 64})
        assert error_code(reply) == RPC_CODES["unauthorized"]
        assert raw.is_closed()


def test_request_before_initialize_is_refused_and_closed(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        reply = raw.request(1, "evaluate", {"expression": "1"})
        assert error_code(reply) == RPC_CODES["unauthorized"]
        assert raw.is_closed()


def test_initialize_without_token_is_refused(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        assert error_code(raw.request(1, "initialize", {})) == RPC_CODES["unauthorized"]


def test_unknown_module_gets_unknown_module_error(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        reply = raw.request(1, "patch", {"module": "no_such_module", "source": ""})
        assert error_code(reply) == RPC_CODES["unknown_module"]
        assert "no_such_module" in reply["error"]["message"]


def test_unknown_method_gets_method_not_found(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        assert error_code(raw.request(1, "reboot", {})) == RPC_CODES["method_not_found"]


def test_wrong_param_types_get_invalid_params(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        cases = [
            ("patch", {"module": "helper", "source": 3}),
            ("patch", {"module": "helper", "source": "", "only": "compute"}),
            ("patch", {"module": "helper", "source": "", "dryRun": "yes"}),
            ("patch", {"module": "helper", "source": "", "deleteRemoved": 0}),
            ("runStatement", {"module": "helper", "line": 0}),
            ("baseline", {}),
            ("evaluate", {"expression": "import os"}),
            ("modules", [1, 2]),
        ]
        codes = [
            error_code(raw.request(number, method, params))
            for number, (method, params) in enumerate(cases)
        ]
        assert codes == [RPC_CODES["invalid_params"]] * len(cases)


def test_batch_request_gets_invalid_request(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send([{"jsonrpc": "2.0", "id": 1, "method": "modules"}])
        assert error_code(raw.read()) == RPC_CODES["invalid_request"]


def test_second_initialize_gets_invalid_request(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        assert (
            error_code(raw.request(1, "initialize", {"token": undisturbed.info.token}))
            == RPC_CODES["invalid_request"]
        )


def test_notification_gets_no_reply(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send({"jsonrpc": "2.0", "method": "reboot"})
        assert raw.request(5, "evaluate", {"expression": "5"})["id"] == 5


def test_evaluate_that_raises_reports_the_exception(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        reply = raw.request(1, "evaluate", {"expression": "1 / 0"})
        assert error_code(reply) == RPC_CODES["server_error"]
        assert reply["error"]["data"]["exception"] == "ZeroDivisionError"
        assert "1 / 0" in reply["error"]["data"]["traceback"]


def test_trickling_client_is_refused_at_the_handshake_deadline(undisturbed):
    frame = wire.encode_frame(wire.request(1, "initialize", {"token": undisturbed.info.token}))
    started = time.monotonic()
    with RawConnection(undisturbed.info) as raw:
        try:
            for byte in frame[
                :-1
            ]:  # never quite finishes: each byte well within any per-read timeout
                raw.send_bytes(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass  # refused and closed while we were still sending
        assert raw.is_closed()
    assert time.monotonic() - started < 3


def test_headers_without_their_body_time_out(undisturbed):
    with RawConnection(undisturbed.info) as raw:
        raw.authenticate(undisturbed.info.token)
        raw.send_bytes(b"Content-Length: 10\r\n\r\n")
        reply = raw.read(timeout=5)
        assert error_code(reply) == RPC_CODES["invalid_request"]
        assert "incomplete message" in reply["error"]["message"]


def test_client_that_never_reads_is_dropped_and_others_are_served(undisturbed):
    with RawConnection(undisturbed.info) as stuck:
        stuck.authenticate(undisturbed.info.token)
        # 16 MB of answers: more than the socket buffers of both ends hold.
        request = {
            "jsonrpc": "2.0",
            "method": "evaluate",
            "params": {"expression": "'x' * 2_000_000"},
        }
        for number in range(8):
            stuck.send({**request, "id": number})
        time.sleep(1.5)  # the agent's write times out after 0.5 s and drops the client
        assert undisturbed.evaluate("1 + 1") == "2"
        assert stuck.is_closed(timeout=5)
