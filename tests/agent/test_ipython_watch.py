"""``%splice watch`` in a real ipykernel: saving an imported module's file patches it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from kernel_support import kernel_env


def run_cell(client, code: str) -> str:
    outputs: list[dict[str, Any]] = []
    reply = client.execute_interactive(code, timeout=30, output_hook=outputs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")


@pytest.fixture
def kernel(tmp_path: Path):
    manager_module = pytest.importorskip("jupyter_client.manager")
    (tmp_path / "mod.py").write_text("def f():\n    return 'before'\n")
    env = kernel_env(str(tmp_path / "rt")) | {"PYTHONPATH": str(tmp_path)}
    manager, client = manager_module.start_new_kernel(
        kernel_name="python3", extra_arguments=["--ext=splice"], env=env, cwd=str(tmp_path)
    )
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def save(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 1  # a new mtime even within the file system's resolution
    os.utime(path, (stamp, stamp))


@pytest.mark.timeout(90)
def test_ipython_watch_patches_an_imported_module_when_its_file_is_saved(
    kernel, tmp_path: Path
) -> None:
    printed = run_cell(kernel, "%splice watch")
    assert printed.startswith("splice watch: patching")
    run_cell(kernel, "import mod\nf = mod.f")

    save(tmp_path / "mod.py", "def f():\n    return 'after'\n")

    deadline = time.monotonic() + 20
    while run_cell(kernel, "print(f())") != "after\n":
        assert time.monotonic() < deadline, "the saved file was never patched in"
        time.sleep(0.1)
    assert run_cell(kernel, "print(f is mod.f)") == "True\n"


@pytest.mark.timeout(90)
def test_ipython_watch_off_stops_patching(kernel, tmp_path: Path) -> None:
    run_cell(kernel, "%splice watch")
    run_cell(kernel, "import mod")
    assert "stopped watching" in run_cell(kernel, "%splice watch off")

    save(tmp_path / "mod.py", "def f():\n    return 'after'\n")
    time.sleep(1.0)  # five of the watcher's polls

    assert run_cell(kernel, "print(mod.f())") == "before\n"


@pytest.mark.timeout(90)
def test_ipython_splice_magic_says_its_usage(kernel) -> None:
    assert "usage: %splice watch [on|off]" in run_cell(kernel, "%splice frobnicate")
