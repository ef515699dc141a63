"""The server process itself: its entry point and transports."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_server_serves_tcp_with_the_tcp_option() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "splice", "lsp", "--tcp", "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    writer = None
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        assert writer is not None, "the server never listened"
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = int(headers.split(b"Content-Length:")[1].split(b"\r\n")[0])
        answer = json.loads(await reader.readexactly(length))

        assert answer["result"]["serverInfo"]["name"] == "splice"
        commands = answer["result"]["capabilities"]["executeCommandProvider"]["commands"]
        assert "splice.reloadDefinition" in commands
    finally:
        if writer is not None:
            writer.close()
            await writer.wait_closed()
        server.kill()
        server.wait()


def test_server_help_names_the_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "splice", "lsp", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "--tcp" in done.stdout


def test_importing_splice_and_the_agent_loads_no_language_server_code() -> None:
    probe = (
        "import sys, splice, splice.agent.agent, splice.client.client; "
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'jedi', 'parso', 'splice.lsp') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
