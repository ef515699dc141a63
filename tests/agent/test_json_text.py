"""A connection file is written without ``json``, exactly as ``json.dumps(indent=2)`` writes it."""

from __future__ import annotations

import json

import pytest

from splice.agent import json_text
from splice.agent.connection import ConnectionInfo

INFO = ConnectionInfo(
    pid=4321,
    transport="unix",
    address="/run/user/1000/splice/kernel-4321.sock",
    token="Zm9v-YmFy_",
    protocol_version=1,
    python="3.11.7",
    executable="/usr/bin/python3",
    cwd='/home/jo/caf\u00e9 "quoted" \\ back',
    argv=("app.py", "--name=\udcff", "tab\there", "emoji \U0001f600", "line\u2028sep"),
    program="app.py",
    started_at=1765000000.123456,
    path="/run/user/1000/splice/kernel-4321.json",
    command_line=(),
    uid=None,
)


def test_a_connection_file_is_what_json_writes() -> None:
    assert json_text.dumps(INFO.to_json()) == json.dumps(INFO.to_json(), indent=2)


@pytest.mark.parametrize(
    "data",
    [{}, {"a": []}, {"n": -0.0, "big": 10**30, "flag": False}, {"x": float("nan")}, {"x": {}}],
    ids=repr,
)
def test_other_values_are_written_as_json_writes_them(data: dict[str, object]) -> None:
    assert json_text.dumps(data) == json.dumps(data, indent=2)
