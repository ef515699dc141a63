"""docs/protocol.md documents every method, notification, error code and limit the agent has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from splice.agent import methods, options, wire
from splice.errors import RPC_CODES

DOC = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()


def test_protocol_doc_has_a_section_per_method():
    documented = set(re.findall(r"^### `(\w+)`", DOC, flags=re.MULTILINE))
    assert documented == {"initialize", "authenticate", *methods.HANDLERS, "moduleImported"}


def test_protocol_doc_lists_every_error_code():
    for name, code in RPC_CODES.items():
        assert re.search(rf"\| {code} \| `{name}` \|", DOC), name


def test_protocol_doc_states_the_default_limits():
    assert f"| largest body | {wire.DEFAULT_MAX_MESSAGE_SIZE // 2**20} MiB |" in DOC
    assert f"| {options.HANDSHAKE_TIMEOUT:g} s | `handshake_timeout` |" in DOC
    assert f"| {options.FRAME_TIMEOUT:g} s | `frame_timeout` |" in DOC
    assert f"| {options.SEND_TIMEOUT:g} s | `send_timeout` |" in DOC
    assert f"| {options.MAX_CONNECTIONS} | `max_connections` |" in DOC
    assert f"| {options.MAX_PENDING} | `max_pending` |" in DOC


def test_protocol_doc_names_every_listen_option():
    for field in dataclasses.fields(options.AgentOptions):
        assert f"`{field.name}`" in DOC, field.name
