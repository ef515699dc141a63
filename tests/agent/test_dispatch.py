"""``dispatch`` and ``handshake`` called directly: what each message gets back, without sockets."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from splice.agent import authentication, methods, wire
from splice.agent.dispatch import Challenge, dispatch, encode_reply, handshake
from splice.agent.threads import AgentThreadRunner
from splice.errors import RPC_CODES

RUN = AgentThreadRunner().run
TOKEN = "the-token"
IDENTITY = {"pid": 1, "capabilities": {}}

answer = 41


def request(method, params=None, request_id=1):
    return wire.request(request_id, method, {} if params is None else params)


def error_code(reply):
    return reply["error"]["code"]


def test_dispatch_evaluates_in_the_named_module():
    reply = dispatch(request("evaluate", {"expression": "answer + 1", "module": __name__}), RUN)
    assert reply["result"]["value"] == "42"


def test_dispatch_answers_with_the_request_id():
    reply = dispatch(request("modules", request_id="abc"), RUN)
    assert reply["id"] == "abc" and isinstance(reply["result"]["modules"], list)


def test_dispatch_refuses_a_batch():
    reply = dispatch([request("modules")], RUN)
    assert (reply["id"], error_code(reply)) == (None, RPC_CODES["invalid_request"])


def test_dispatch_refuses_a_message_that_is_not_an_object():
    assert error_code(dispatch("modules", RUN)) == RPC_CODES["invalid_request"]


def test_dispatch_refuses_a_request_without_jsonrpc_2():
    message = {"id": 7, "method": "modules"}
    reply = dispatch(message, RUN)
    assert (reply["id"], error_code(reply)) == (7, RPC_CODES["invalid_request"])


def test_dispatch_refuses_params_that_are_not_an_object():
    reply = dispatch({"jsonrpc": "2.0", "id": 2, "method": "modules", "params": [1]}, RUN)
    assert error_code(reply) == RPC_CODES["invalid_params"]


def test_dispatch_names_an_unknown_method():
    reply = dispatch(request("frobnicate"), RUN)
    assert error_code(reply) == RPC_CODES["method_not_found"]
    assert "'frobnicate'" in reply["error"]["message"]


@pytest.mark.parametrize("method", ["initialize", "authenticate"])
def test_dispatch_refuses_a_second_handshake(method):
    reply = dispatch(request(method, {"challenge": CHALLENGE}), RUN)
    assert reply["error"]["message"] == "already authenticated"


def test_dispatch_gives_no_reply_to_notifications_and_responses():
    assert dispatch(wire.notification("frobnicate", {}), RUN) is None
    assert dispatch({"jsonrpc": "2.0", "id": 3, "result": None}, RUN) is None


def test_dispatch_reports_an_expression_raising_system_exit_as_an_error_reply():
    reply = dispatch(request("evaluate", {"expression": "exit(3)", "module": __name__}), RUN)
    assert error_code(reply) == RPC_CODES["server_error"]
    assert reply["error"]["data"]["exception"] == "SystemExit"


def test_dispatch_reports_an_unknown_module():
    reply = dispatch(request("baseline", {"module": "no.such.module"}), RUN)
    assert error_code(reply) == RPC_CODES["unknown_module"]


CHALLENGE = "c" * 43
KERNEL_CHALLENGE = "k" * 43


def kernel_turn(token=TOKEN):
    """The kernel's answer to an initialize with CHALLENGE."""
    message = request("initialize", {"challenge": CHALLENGE})
    return handshake(message, token, lambda: IDENTITY, new_challenge=lambda: KERNEL_CHALLENGE)


def test_handshake_answers_initialize_with_a_challenge_and_the_kernels_proof():
    answer = kernel_turn()
    assert not answer.accepted
    assert answer.challenge == Challenge(CHALLENGE, KERNEL_CHALLENGE)
    expected = hmac.new(
        TOKEN.encode(),
        f"splice kernel proof\n{CHALLENGE}\n{KERNEL_CHALLENGE}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert answer.reply == wire.response(
        1, {"protocolVersion": 2, "challenge": KERNEL_CHALLENGE, "proof": expected}
    )
    assert TOKEN not in json.dumps(answer.reply)


def test_handshake_accepts_the_clients_proof_and_answers_with_the_identity():
    proof = authentication.proof(TOKEN, "client", CHALLENGE, KERNEL_CHALLENGE)
    message = request("authenticate", {"proof": proof})
    answer = handshake(message, TOKEN, lambda: IDENTITY, kernel_turn().challenge)
    assert answer.accepted and answer.reply == wire.response(1, IDENTITY)


@pytest.mark.parametrize(
    "proof",
    [
        authentication.proof("guess", "client", CHALLENGE, KERNEL_CHALLENGE),
        # The kernel's own proof sent back: the labels keep a proof from being replayed.
        authentication.proof(TOKEN, "kernel", CHALLENGE, KERNEL_CHALLENGE),
        authentication.proof(TOKEN, "client", CHALLENGE, "another" * 7),
        "0" * 64,
        None,
    ],
)
def test_handshake_refuses_a_wrong_proof(proof):
    message = request("authenticate", {"proof": proof})
    answer = handshake(message, TOKEN, lambda: IDENTITY, kernel_turn().challenge)
    assert not answer.accepted and answer.challenge is None
    assert answer.reply["error"] == {"code": RPC_CODES["unauthorized"], "message": "wrong token"}


def test_handshake_refuses_a_token_sent_in_the_clear():
    answer = handshake(request("initialize", {"token": TOKEN}), TOKEN, lambda: IDENTITY)
    assert not answer.accepted and answer.challenge is None
    assert "the token is never sent" in answer.reply["error"]["message"]


def test_handshake_refuses_an_initialize_without_jsonrpc_2():
    message = {"id": 1, "method": "initialize", "params": {"challenge": CHALLENGE}}
    answer = handshake(message, TOKEN, lambda: IDENTITY)
    assert not answer.accepted and error_code(answer.reply) == RPC_CODES["unauthorized"]


@pytest.mark.parametrize("method", ["modules", "authenticate"])
def test_handshake_refuses_any_other_first_request(method):
    answer = handshake(request(method, {"challenge": CHALLENGE}), TOKEN, lambda: IDENTITY)
    assert not answer.accepted and answer.challenge is None and answer.reply["id"] == 1


def test_handshake_refuses_anything_but_authenticate_after_the_challenge():
    message = request("initialize", {"challenge": CHALLENGE})
    answer = handshake(message, TOKEN, lambda: IDENTITY, kernel_turn().challenge)
    assert not answer.accepted and answer.challenge is None


def test_encode_reply_replaces_a_reply_larger_than_a_client_reads_with_an_error():
    frame = encode_reply(wire.response(5, {"value": "x" * 2000}), limit=1000)
    body = json.loads(frame.split(b"\r\n\r\n", 1)[1])
    assert body["id"] == 5 and body["error"]["code"] == RPC_CODES["server_error"]
    assert body["error"]["data"]["limit"] == 1000 and body["error"]["data"]["size"] > 2000


def test_encode_reply_sends_a_reply_within_the_limit_as_it_is():
    reply = wire.response(5, {"value": "x" * 10})
    assert encode_reply(reply, limit=1000) == wire.encode_frame(reply)


def test_evaluate_of_a_lone_surrogate_is_invalid_params():
    reply = dispatch(request("evaluate", {"expression": "'\ud800'", "module": __name__}), RUN)
    assert error_code(reply) == RPC_CODES["invalid_params"]
    assert reply["error"]["message"] == (
        "not an expression: it holds a lone surrogate ('\\ud800') at character 1,"
        " which no Python source can hold"
    )


def test_a_base_exception_of_any_methods_user_code_is_contained_in_one_place():
    # A handler of no method's own: its work raises GeneratorExit through the runner.
    def handler(params, run):
        return run(lambda: (_ for _ in ()).throw(GeneratorExit()))

    methods.HANDLERS["raiseForTest"] = handler
    try:
        reply = dispatch(request("raiseForTest"), RUN)
    finally:
        del methods.HANDLERS["raiseForTest"]
    assert error_code(reply) == RPC_CODES["server_error"]
    assert reply["error"]["data"] == {"exception": "GeneratorExit"}
