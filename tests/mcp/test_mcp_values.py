"""evaluate and read_value through a real ``splice mcp`` against real kernels."""

from __future__ import annotations

from pathlib import Path

from mcp_support import call, call_error, serving

from kernel_support import RunningKernel, running_kernel


async def test_mcp_evaluate_returns_the_value_and_what_it_printed(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        answer = await call(client, "evaluate", code="print('checking')\ngreeting('ada') * LIMIT")

    assert answer["ok"] and answer["pid"] == kernel.info.pid
    assert (answer["value"], answer["type"]) == ("'hello adahello adahello ada'", "str")
    assert answer["output"] == "checking\n"
    assert "checking" not in kernel.stdout()  # captured, not written to the program's output


async def test_mcp_evaluate_changes_the_live_program(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        answer = await call(client, "evaluate", code="LIMIT = 7")

    assert answer["ok"] and answer["value"] is None
    assert kernel.evaluate("LIMIT") == "7"


async def test_mcp_evaluate_exception_is_a_result_with_its_traceback(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        answer = await call(client, "evaluate", code="greeting(None)")

    assert not answer["ok"]
    assert answer["exception"] == "TypeError"
    assert answer["error"].startswith("TypeError: can only concatenate str")
    assert 'return "hello " + name' in answer["traceback"]
    assert kernel.evaluate("greeting('ada')") == "'hello ada'"  # the program goes on


async def test_mcp_evaluate_past_its_time_is_interrupted_in_the_kernel(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        answer = await call(
            client, "evaluate", code="while True:\n    SPINS = 1", timeout_seconds=1
        )
        # The loop was stopped, not abandoned: the same kernel evaluates again at once.
        after = await call(client, "evaluate", code="1 + 1", timeout_seconds=10)

    assert not answer["ok"] and answer["exception"] == "EvaluationCancelled"
    assert "did not finish within 1 s" in answer["error"]
    assert after["ok"] and after["value"] == "2"


async def test_mcp_evaluate_not_python_is_a_tool_error(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        message = await call_error(client, "evaluate", code="def (")
        unknown = await call_error(client, "evaluate", code="1", module="nowhere")

    assert f"pid {kernel.info.pid} (app.py): not valid Python" in message
    assert "module 'nowhere' is not loaded in this process" in unknown


async def test_mcp_read_value_reads_without_running_the_program(
    runtime_dir: Path, kernel: RunningKernel
) -> None:
    async with serving(runtime_dir) as client:
        value = await call(client, "read_value", name="cfg.lr")
        function = await call(client, "read_value", name="greeting")
        prop = await call(client, "read_value", name="cfg.expensive")
        missing = await call(client, "read_value", name="cfg.nope")

    assert (value["found"], value["kind"], value["type"], value["value"]) == (
        True,
        "value",
        "float",
        "0.001",
    )
    assert (function["kind"], function["signature"]) == ("function", "(name)")
    # A property is described, never called (this one raises when called).
    assert prop["found"] and prop["kind"] == "property" and prop["value"] is None
    assert not missing["found"] and missing["reason"] == "cfg has no attribute 'nope'"


async def test_mcp_pid_chooses_among_several_kernels(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    with running_kernel(project, "app.py", runtime_dir=str(runtime_dir), ready="ready") as second:
        second.evaluate("LIMIT")  # both listen
        second.request("evaluate", {"expression": "LIMIT = 9", "statements": True})
        async with serving(runtime_dir) as client:
            ambiguous = await call_error(client, "read_value", name="LIMIT")
            chosen = await call(client, "read_value", name="LIMIT", pid=second.info.pid)
            unknown = await call_error(client, "evaluate", code="1", pid=1)

    assert "several kernels run; pass pid: the kernels are " in ambiguous
    assert f"pid {kernel.info.pid} (app.py)" in ambiguous
    assert f"pid {second.info.pid} (app.py)" in ambiguous
    assert chosen["value"] == "9" and chosen["pid"] == second.info.pid
    assert "no splice kernel with pid 1; the kernels are " in unknown
