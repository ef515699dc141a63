"""``splice mcp`` as a process: its tools, stdio only, and the SDK kept out of everything else."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from mcp_support import call, serving

import splice
from kernel_support import RunningKernel

PACKAGE = Path(splice.__file__).resolve().parent


async def test_mcp_tools_are_listed_with_their_schemas_and_hints(runtime_dir: Path) -> None:
    async with serving(runtime_dir) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        instructions = client.instructions

    assert sorted(listed) == ["evaluate", "list_kernels", "patch_file", "read_value", "undo_patch"]
    patch = listed["patch_file"]
    assert patch.input_schema["required"] == ["file"]
    assert patch.output_schema is not None
    assert {"ok", "summary", "processes"} <= set(patch.output_schema["properties"])
    assert patch.annotations is not None and patch.annotations.destructive_hint
    read = listed["read_value"].annotations
    assert read is not None and read.read_only_hint
    assert instructions is not None and "patch_file" in instructions


def listening_sockets(pid: int) -> list[str]:
    """The TCP and Unix sockets ``pid`` listens on and the UDP sockets it has bound, from /proc."""
    inodes = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/{pid}/net/{table}") as stream:
            next(stream)
            for line in stream:
                fields = line.split()
                listening = table.startswith("udp") or fields[3] == "0A"
                if fields[9] in inodes and listening:
                    found.append(f"{table} {fields[1]}")
    with open(f"/proc/{pid}/net/unix") as stream:
        next(stream)
        for line in stream:
            fields = line.split()  # Flags 00010000: accepting connections (a kernel's socket)
            if fields[6] in inodes and fields[3] == "00010000":
                found.append(f"unix {fields[7] if len(fields) > 7 else '(unnamed)'}")
    return found


def server_pid() -> int:
    """The ``splice mcp`` process the SDK's client started from this test process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                parent = int(stream.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as stream:
                command = stream.read().split(b"\0")
        except OSError:
            continue
        if parent == os.getpid() and command[1:4] == [b"-m", b"splice", b"mcp"]:
            return int(entry)
    raise AssertionError("no splice mcp process under this test")


async def test_mcp_server_listens_on_no_network_port(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    # The check sees a listening socket where there is one: the kernel's.
    assert listening_sockets(kernel.process.pid) != []

    async with serving(runtime_dir) as client:
        await call(client, "patch_file", file=str(project / "app.py"))
        await call(client, "read_value", name="LIMIT")
        assert listening_sockets(server_pid()) == []


def run_splice(*arguments: str, code: str = "") -> subprocess.CompletedProcess[str]:
    script = f"{code}\nimport sys\nfrom splice.cli import main\nsys.exit(main({list(arguments)!r}))"
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_mcp_refuses_network_options() -> None:
    completed = run_splice("mcp", "--port", "8000")

    assert completed.returncode == 2
    assert "splice mcp: --port is not supported: the server speaks only on stdin/stdout" in (
        completed.stderr
    )


def test_mcp_without_the_sdk_says_how_to_install_it() -> None:
    completed = run_splice("mcp", code="import sys\nsys.modules['mcp'] = None")

    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "splice mcp needs the MCP Python SDK (mcp is missing): pip install 'splice[mcp]'"
    )


def test_mcp_sdk_is_imported_by_splice_mcp_server_alone() -> None:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(name.split(".")[0] == "mcp" for name in names):
                importers.add(str(path.relative_to(PACKAGE)))

    assert importers == {os.path.join("mcp", "server.py")}


def test_mcp_other_packages_do_not_load_the_sdk() -> None:
    code = (
        "import sys, splice, splice.cli, splice.mcp, splice.agent.agent, splice.client.commands, "
        "splice.lsp.server\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()

    assert loaded == "[]"
