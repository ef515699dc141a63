"""The server process itself: its entry point and transports."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("option", [["--tcp"], ["--port", "2087"], ["--host", "0.0.0.0"]])
def test_server_refuses_the_removed_tcp_options(option: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "splice", "lsp", *option],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 2
    assert f"{option[0]}: removed" in done.stderr
    assert "no authentication" in done.stderr and "stdio" in done.stderr


def test_server_help_does_not_offer_tcp() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "splice", "lsp", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "--log-file" in done.stdout
    assert "--tcp" not in done.stdout and "--port" not in done.stdout


def test_importing_splice_and_the_agent_loads_no_language_server_code() -> None:
    probe = (
        "import sys, splice, splice.agent.agent, splice.client.client; "
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'jedi', 'parso', 'splice.lsp') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
