"""Debugger and splice, whichever came first: ``splice attach`` and debugpy's ``--pid``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dap import DapClient
from debug_support import (
    COMPUTE_FIRST_LINE,
    NEW,
    NEW_ONLY_LINE,
    debugged,
    free_port,
)

from splice.client.blocking import BlockingKernelClient
from support import e2e_unavailable


@pytest.fixture(autouse=True)
def gdb() -> None:
    if shutil.which("gdb") is None:
        e2e_unavailable("gdb is not installed (apt-get install gdb): both attaches inject with it")


def test_debug_splice_attach_to_a_program_stopped_in_debugpy_patches_it(
    python: str, project: Path, runtime_dir: str
) -> None:
    port = free_port()
    command = ["-m", "debugpy", "--listen", str(port), "--wait-for-client", "app.py"]
    with debugged(python, project, command, runtime_dir) as program, DapClient.connect(port) as dap:
        dap.attach_with_breakpoints(program.script, [COMPUTE_FIRST_LINE])
        thread = dap.wait_stopped()["threadId"]

        attached = subprocess.run(
            [sys.executable, "-m", "splice", "attach", str(program.process.pid)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=program.environment(),
        )
        assert attached.returncode == 0, attached.stderr
        (project / "app.py").write_text(NEW)
        with BlockingKernelClient(program.kernel()) as client:
            result = client.patch("__main__", NEW)
        assert result.ok, result.summary()
        assert "compute" in result.changed
        dap.set_breakpoints(program.script, [NEW_ONLY_LINE])
        dap.resume(thread)

        frame = dap.top_frame(dap.wait_stopped()["threadId"])
        assert (frame["name"], frame["line"]) == ("compute", NEW_ONLY_LINE)
        assert dap.evaluate("y", frame["id"]) == "101"


def test_debug_debugpy_attaching_to_a_patched_program_stops_on_its_new_lines(
    python: str, project: Path, runtime_dir: str
) -> None:
    with debugged(python, project, ["-m", "splice", "run", "app.py"], runtime_dir) as program:
        program.wait_for_value("len(globals().get('values', ())) > 2", lambda text: text == "True")
        (project / "app.py").write_text(NEW)
        with BlockingKernelClient(program.kernel()) as client:
            assert client.patch("__main__", NEW).ok

        port = free_port()
        injected = subprocess.run(
            [python, "-m", "debugpy", "--listen", str(port), "--pid", str(program.process.pid)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert injected.returncode == 0, injected.stderr[-2000:]
        with DapClient.connect(port) as dap:
            dap.attach_with_breakpoints(program.script, [NEW_ONLY_LINE])
            frame = dap.top_frame(dap.wait_stopped()["threadId"])
            assert (frame["name"], frame["line"]) == ("compute", NEW_ONLY_LINE)
            assert dap.evaluate("y - x", frame["id"]) == "100"
