"""Edit and continue: save while a debugger holds the program stopped, then continue.

The program runs under ``splice run --debug`` in each CPython 3.10-3.13 here
(pydevd's ``settrace`` mode up to 3.11, ``sys.monitoring`` from 3.12); the
debugger is the real debugpy adapter, driven over DAP; the edit is saved
through the real language server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from dap import DapClient
from debug_support import (
    COMPUTE_FIRST_LINE,
    NEW,
    NEW_HELPER_LINE,
    NEW_ONLY_LINE,
    splice_run_debug,
)
from lsprotocol import types

from lsp_support import Session


async def test_debug_save_while_stopped_patches_and_new_breakpoints_stop_on_new_lines(
    python: str, project: Path, runtime_dir: str, lsp: Session
) -> None:
    with splice_run_debug(python, project, runtime_dir) as program:
        program.kernel()
        await lsp.initialize()
        uri = lsp.open()
        with DapClient.connect(program.port) as dap:
            await asyncio.to_thread(
                dap.attach_with_breakpoints, program.script, [COMPUTE_FIRST_LINE]
            )
            stop = await asyncio.to_thread(dap.wait_stopped)
            thread = stop["threadId"]
            assert dap.top_frame(thread)["line"] == COMPUTE_FIRST_LINE

            status = await lsp.save(NEW)

            assert status["lastPatch"]["ok"] is True
            [running] = [d for d in lsp.client.diagnostics[uri] if d.code == "function-running"]
            assert "compute is stopped in the debugger at app.py:5" in running.message
            assert running.severity == types.DiagnosticSeverity.Warning
            # As an editor does after a save: the breakpoints where the user sees them.
            dap.set_breakpoints(program.script, [NEW_ONLY_LINE])
            dap.resume(thread)

            stop = await asyncio.to_thread(dap.wait_stopped)
            frame = dap.top_frame(stop["threadId"])
            assert (frame["name"], frame["line"]) == ("compute", NEW_ONLY_LINE)
            assert dap.evaluate("y", frame["id"]) == "101"
            # The call that was stopped finished in the old code: (0 + 1) * 2.
            assert dap.evaluate("values", frame["id"]) == "[2]"
            # A function that only moved stops where the user now sees it.
            dap.set_breakpoints(program.script, [NEW_HELPER_LINE])
            dap.resume(stop["threadId"])

            stop = await asyncio.to_thread(dap.wait_stopped)
            frame = dap.top_frame(stop["threadId"])
            assert (frame["name"], frame["line"]) == ("helper", NEW_HELPER_LINE)
            dap.set_breakpoints(program.script, [])
            dap.resume(stop["threadId"])

            # Every later call runs the new code: (1 + 100) * 3, (2 + 100) * 3.
            values = program.wait_for_value("values[:3]", lambda text: text.count(",") >= 2)
            assert values == "[2, 303, 306]"
