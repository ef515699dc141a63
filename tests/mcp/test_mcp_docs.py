"""docs/agents.md runs: each agent configuration starts a working server, and the example works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp_support import edit

from kernel_support import RunningKernel, kernel_env

DOC = Path(__file__).resolve().parents[2] / "docs" / "agents.md"
PLACEHOLDER = "/path/to/.venv/bin/splice"
#: The ``splice`` script of the interpreter running the tests.
SPLICE = str(Path(sys.executable).parent / "splice")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_mcp_docs_claude_commands_start_splice_mcp() -> None:
    commands = [line for line in blocks("sh")[1].splitlines() if line.startswith("claude ")]

    assert len(commands) == 2
    assert all(command.endswith(f"-- {PLACEHOLDER} mcp") for command in commands)


@pytest.mark.parametrize("index", [0, 1], ids=["mcpServers", "vscode-servers"])
async def test_mcp_docs_configuration_starts_a_working_server(
    index: int, runtime_dir: Path
) -> None:
    configuration = json.loads(blocks("json")[index])
    entry = (configuration.get("mcpServers") or configuration["servers"])["splice"]
    assert entry.get("type", "stdio") == "stdio"
    assert entry["command"] == PLACEHOLDER

    parameters = StdioServerParameters(
        command=SPLICE, args=entry["args"], env={"SPLICE_RUNTIME_DIR": str(runtime_dir)}
    )
    async with Client(parameters, read_timeout_seconds=60) as client:
        tools = (await client.list_tools()).tools

    assert len(tools) == 5


def test_mcp_docs_python_example_lists_and_patches(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    [example] = blocks("python")
    edit(project / "app.py", '"hello "', '"hi "')

    completed = subprocess.run(
        [sys.executable, "-c", example.replace(PLACEHOLDER, SPLICE)],
        cwd=project,
        env=kernel_env(str(runtime_dir)),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    first, second = completed.stdout.splitlines()
    assert first == f"{kernel.info.pid} app.py"
    assert second.startswith("patched app.py: greeting changed in ")
    assert kernel.evaluate("greeting('ada')") == "'hi ada'"
