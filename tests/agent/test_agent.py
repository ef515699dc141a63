"""An Agent in this process, on real sockets: binding, identity, limits, stopping."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from kernel_support import RawConnection
from splice.agent import peers
from splice.agent.agent import Agent
from splice.agent.options import AgentOptions
from splice.client.blocking import BlockingKernelClient
from splice.errors import RPC_CODES


@pytest.fixture
def make_agent(tmp_path):
    agents = []

    def make(**options):
        agent = Agent(AgentOptions(runtime_dir=str(tmp_path), **options))
        agent.start()
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_agent_refuses_a_non_loopback_host(host):
    with pytest.raises(ValueError, match="loopback only"):
        AgentOptions(host=host)


def test_connection_file_is_private_and_complete(make_agent):
    agent = make_agent(program="tool.py", argv=["tool.py", "-v"], transport="tcp")
    assert stat.S_IMODE(os.stat(agent.info.path).st_mode) == 0o600
    data = json.loads(Path(agent.info.path).read_text())
    assert data["pid"] == os.getpid() and data["transport"] == "tcp"
    assert data["address"].startswith("127.0.0.1:") and len(data["token"]) >= 32
    assert (data["program"], data["argv"], data["protocolVersion"]) == (
        "tool.py",
        ["tool.py", "-v"],
        2,
    )
    assert data["uid"] == os.getuid()
    assert data["processStart"] == peers.process_start(os.getpid()) != ""
    assert {"python", "executable", "cwd", "startedAt"} <= set(data)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the default is TCP off Linux")
def test_the_default_transport_on_linux_is_a_private_unix_socket(make_agent):
    agent = make_agent()
    assert agent.info.transport == "unix"
    assert agent.info.address == str(Path(agent.info.path).with_suffix(".sock"))
    assert stat.S_IMODE(os.stat(agent.info.address).st_mode) == 0o600
    with BlockingKernelClient(agent.info) as client:
        assert client.evaluate("1 + 2", module=__name__) == "3"


def test_a_socket_path_too_long_for_the_system_falls_back_to_tcp(tmp_path):
    deep = tmp_path / ("d" * 100)
    deep.mkdir(mode=0o700)
    agent = Agent(AgentOptions(runtime_dir=str(deep)))
    agent.start()
    try:
        assert agent.info.transport == "tcp"
        with BlockingKernelClient(agent.info) as client:
            assert client.evaluate("2 + 2", module=__name__) == "4"
    finally:
        agent.stop()


def test_agent_serves_over_ipv6_loopback(make_agent):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        agent = make_agent(host="::1", transport="tcp")
    except OSError as error:
        pytest.skip(f"IPv6 loopback unavailable: {error}")
    assert agent.info.address.startswith("[::1]:")
    with BlockingKernelClient(agent.info) as client:
        assert client.evaluate("1 + 2", module=__name__) == "3"


def test_stop_removes_the_file_and_closes_clients(make_agent):
    agent = make_agent()
    raw = RawConnection(agent.info)
    raw.authenticate(agent.info.token)
    agent.stop()
    assert not os.path.exists(agent.info.path)
    assert raw.is_closed()
    raw.close()


def test_clients_over_the_limit_are_refused_as_busy(make_agent):
    agent = make_agent(max_connections=2)
    first, second = RawConnection(agent.info), RawConnection(agent.info)
    try:
        first.authenticate(agent.info.token)
        second.authenticate(agent.info.token)
        with RawConnection(agent.info) as third:
            reply = third.handshake(agent.info.token)
            assert reply["error"]["code"] == RPC_CODES["busy"]
            assert "too many clients (limit 2)" in reply["error"]["message"]
    finally:
        first.close()
        second.close()


def test_initialize_reports_identity_and_capabilities(make_agent):
    agent = make_agent(host_kind="listen")
    with BlockingKernelClient(agent.info) as client:
        kernel = client.kernel
    assert kernel["pid"] == os.getpid() and kernel["cwd"] == os.getcwd()
    assert kernel["capabilities"]["host"] == "listen"
    assert kernel["capabilities"]["applyThread"] == "agent"
    assert kernel["capabilities"]["notifications"] == ["moduleImported"]
