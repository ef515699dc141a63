"""Stepping through a program leaves splice's threads alone, on every CPython 3.10-3.13 here.

pydevd (debugpy 1.8) takes marked threads for the program's in two ways that
splice's threads close (``splice.agent.threads``); each test fails without that.
"""

from __future__ import annotations

from pathlib import Path

from dap import DapClient
from debug_support import COMPUTE_FIRST_LINE, splice_run_debug

from splice.client.blocking import BlockingKernelClient

#: The threads pydevd keeps live per-thread state for (the ones it steps and wakes),
#: evaluated by the debugger itself in the stopped frame.
REGISTERED = (
    "sorted(t.name for t in list(__import__('threading')._active.values())"
    " if getattr(getattr(t, 'additional_info', None), 'pydev_notify_kill', True) is False)"
)


def test_debug_pydevd_registers_only_the_programs_threads(
    python: str, project: Path, runtime_dir: str
) -> None:
    # With splice's threads registered too, pydevd 1.8 on 3.12+ wakes the wrong
    # thread after a step and the stepping thread waits 0.2 s for nothing
    # (benchmarks/bench_debug.py measures the step).
    with (
        splice_run_debug(python, project, runtime_dir) as program,
        DapClient.connect(program.port) as dap,
    ):
        dap.attach_with_breakpoints(program.script, [COMPUTE_FIRST_LINE])
        thread = dap.wait_stopped()["threadId"]
        assert program.evaluate("1 + 1") == "2"  # a client thread came and went
        dap.set_breakpoints(program.script, [])  # pydevd scans every thread's frames again
        dap.request("next", {"threadId": thread})
        frame = dap.top_frame(dap.wait_stopped()["threadId"])

        assert dap.evaluate(REGISTERED, frame["id"]) == "['MainThread']"


def test_debug_agent_answers_new_connections_after_each_step(
    python: str, project: Path, runtime_dir: str
) -> None:
    # A connection's thread ends with the request; pydevd's sys.monitoring mode
    # used to leave a suspended stand-in under its id, which the next
    # connection's thread inherited: every other connection went unanswered.
    with (
        splice_run_debug(python, project, runtime_dir) as program,
        DapClient.connect(program.port) as dap,
    ):
        dap.attach_with_breakpoints(program.script, [COMPUTE_FIRST_LINE])
        thread = dap.wait_stopped()["threadId"]
        dap.set_breakpoints(program.script, [])
        for step in range(4):
            dap.request("next", {"threadId": thread})
            thread = dap.wait_stopped()["threadId"]
            with BlockingKernelClient(program.kernel(), timeout=10) as client:
                assert client.evaluate(f"{step} + 1") == str(step + 1)
