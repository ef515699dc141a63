"""A program stopped in the debugger stays a splice kernel, on every CPython 3.10-3.13 here."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dap import DapClient
from debug_support import (
    COMPUTE_FIRST_LINE,
    LOOP_CALL_LINE,
    NEW,
    NEW_COMPUTE_FIRST_LINE,
    debugged,
    free_port,
    splice_run_debug,
)

from splice.agent import children, connection
from splice.client.blocking import BlockingKernelClient


def test_debug_step_into_a_function_patched_while_stopped_shows_its_new_lines(
    python: str, project: Path, runtime_dir: str
) -> None:
    with (
        splice_run_debug(python, project, runtime_dir) as program,
        DapClient.connect(program.port) as dap,
    ):
        dap.attach_with_breakpoints(program.script, [LOOP_CALL_LINE])
        thread = dap.wait_stopped()["threadId"]

        with BlockingKernelClient(program.kernel()) as client:
            assert client.patch("__main__", NEW).ok
        dap.set_breakpoints(program.script, [])
        dap.step_in(thread)

        frame = dap.top_frame(dap.wait_stopped()["threadId"])
        assert (frame["name"], frame["line"]) == ("compute", NEW_COMPUTE_FIRST_LINE)


def test_debug_agent_answers_while_stopped_without_stopping_at_the_users_breakpoints(
    python: str, project: Path, runtime_dir: str
) -> None:
    with (
        splice_run_debug(python, project, runtime_dir) as program,
        DapClient.connect(program.port) as dap,
    ):
        dap.attach_with_breakpoints(program.script, [COMPUTE_FIRST_LINE])
        dap.wait_stopped()

        # The agent's thread runs compute, over the line where the program is stopped.
        assert program.evaluate("compute(5)") == "12"
        with BlockingKernelClient(program.kernel()) as client:
            assert client.patch("__main__", NEW).ok
            assert program.evaluate("compute(5)") == "315"
            assert client.request("undo", {"module": "__main__"})["ok"] is True
        assert program.evaluate("compute(5)") == "12"
        names = [thread["name"] for thread in dap.threads()]
        assert names and not any(name.startswith("splice") for name in names), names


def test_debug_session_started_by_an_editor_gets_an_agent_in_the_debuggee_only(
    python: str, project: Path, runtime_dir: str
) -> None:
    """What the VS Code extension adds to a debugpy launch configuration, through the real adapter."""
    port = free_port()
    adapter = ["-m", "debugpy.adapter", "--host", "127.0.0.1", "--port", str(port)]
    with (
        debugged(python, project, adapter, runtime_dir) as adapter_process,
        DapClient.connect(port) as dap,
    ):
        dap.request(
            "initialize",
            {"clientID": "splice-tests", "adapterID": "debugpy", "pathFormat": "path"},
        )
        launch = dap.send(
            "launch",
            {
                "program": str(project / "app.py"),
                "cwd": str(project),
                "console": "internalConsole",
                "justMyCode": True,
                "env": {
                    "PYTHONPATH": children.BOOTSTRAP_DIRECTORY,
                    children.SESSION_VARIABLE: "1",
                    "SPLICE_RUNTIME_DIR": runtime_dir,
                },
            },
        )
        dap.wait_event("initialized")
        dap.set_breakpoints(str(project / "app.py"), [COMPUTE_FIRST_LINE])
        dap.request("configurationDone")
        dap.response(launch)
        pid = dap.wait_event("process")["systemProcessId"]
        thread = dap.wait_stopped()["threadId"]

        [name] = [name for name in os.listdir(runtime_dir) if name.endswith(".json")]
        assert name == f"kernel-{pid}.json"
        info = json.loads((Path(runtime_dir) / name).read_text())
        assert (info["program"], info["rootPid"]) == ("app.py", pid)
        assert adapter_process.process.poll() is None
        kernel = connection.read(connection.connection_path(pid, runtime_dir))
        with BlockingKernelClient(kernel) as client:
            assert client.patch("__main__", NEW).ok
        dap.set_breakpoints(str(project / "app.py"), [])
        dap.resume(thread)
        with BlockingKernelClient(kernel) as client:
            assert client.evaluate("compute(5)") == "315"
