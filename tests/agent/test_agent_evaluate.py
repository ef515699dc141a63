"""evaluate, cancel and inspect against a real kernel subprocess on a real socket."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kernel_support import RunningKernel, running_kernel
from splice.errors import RPC_CODES, RemoteError

PROGRAM = """\
import time


class Config:
    lr = 0.001

    def __init__(self):
        self.layers = [16, 32]
        self.touched = 0

    @property
    def expensive(self):
        self.touched += 1
        return 1


class Loud:
    def __repr__(self):
        while True:
            pass


cfg = Config()
big = list(range(2_000_000))
loud = Loud()
ready = True
while True:
    time.sleep(0.02)
"""


@pytest.fixture
def kernel(tmp_path: Path):
    (tmp_path / "app.py").write_text(PROGRAM)
    with running_kernel(tmp_path) as running:
        deadline = time.monotonic() + 10
        while running.evaluate("'ready' in globals()") != "True":
            assert time.monotonic() < deadline, running.stderr()
            time.sleep(0.02)
        yield running


def test_evaluate_captures_printed_output_instead_of_the_programs_stdout(kernel: RunningKernel):
    result = kernel.request(
        "evaluate", {"expression": "print('from the editor')\ncfg.lr * 2", "statements": True}
    )

    assert result == {
        "value": "0.002",
        "type": "float",
        "truncated": False,
        "output": "from the editor\n",
    }
    time.sleep(0.1)
    assert "from the editor" not in kernel.stdout()


def test_evaluate_statements_without_a_final_expression_have_no_value(kernel: RunningKernel):
    result = kernel.request("evaluate", {"expression": "made = 5", "statements": True})

    assert result["value"] is None
    assert kernel.evaluate("made") == "5"


def test_evaluate_error_carries_the_traceback_and_the_output(kernel: RunningKernel):
    with pytest.raises(RemoteError) as raised:
        kernel.request(
            "evaluate", {"expression": "print('before')\n{}['missing']", "statements": True}
        )

    data = raised.value.data
    assert raised.value.code == RPC_CODES["server_error"]
    assert data["exception"] == "KeyError"
    assert data["output"] == "before\n"
    assert "{}['missing']" in data["traceback"]
    assert "splice/agent" not in data["traceback"]


def test_evaluate_huge_value_is_cut_to_max_repr_quickly(kernel: RunningKernel):
    started = time.perf_counter()
    result = kernel.request("evaluate", {"expression": "big", "maxRepr": 1000})
    elapsed = time.perf_counter() - started

    assert result["truncated"] is True
    assert len(result["value"]) == 1000
    assert result["value"].startswith("[0, 1, 2, 3")
    assert elapsed < 0.5


def test_evaluate_repr_that_never_ends_is_stopped(kernel: RunningKernel):
    result = kernel.request("evaluate", {"expression": "loud"})

    assert result["truncated"] is True
    assert result["value"] == "<Loud object: its repr took longer than 1 s>"
    assert kernel.evaluate("1 + 1") == "2"


def test_cancel_interrupts_a_running_evaluation_and_patches_go_on(kernel: RunningKernel):
    outcome: dict[str, object] = {}

    def evaluate_forever() -> None:
        try:
            kernel.client().request(
                "evaluate", {"expression": "while True: pass", "statements": True, "id": "e1"}
            )
        except RemoteError as error:
            outcome["data"] = error.data

    thread = threading.Thread(target=evaluate_forever)
    thread.start()
    time.sleep(0.3)
    other = kernel.client()
    patched = other.patch("__main__", PROGRAM.replace("lr = 0.001", "lr = 0.5"))
    assert patched.ok, patched.summary()
    assert other.request("cancel", {"id": "e1"}) == {"cancelled": True}
    thread.join(5)

    assert not thread.is_alive()
    assert outcome["data"] == {"exception": "EvaluationCancelled", "cancelled": True, "output": ""}
    assert other.request("cancel", {"id": "e1"}) == {"cancelled": False}
    assert kernel.evaluate("Config.lr") == "0.5"


def test_inspect_attribute_chain_gives_live_type_and_value(kernel: RunningKernel):
    result = kernel.request("inspect", {"expression": "cfg.layers"})

    assert result["found"] is True
    assert (result["kind"], result["type"], result["value"]) == ("value", "list", "[16, 32]")


def test_inspect_never_calls_a_property(kernel: RunningKernel):
    result = kernel.request("inspect", {"expression": "cfg.expensive"})

    assert (result["kind"], result["value"]) == ("property", None)
    assert kernel.evaluate("cfg.touched") == "0"


def test_inspect_lists_live_attributes_for_completion(kernel: RunningKernel):
    kernel.evaluate("setattr(cfg, 'added_later', 3) or 1")

    result = kernel.request("inspect", {"expression": "cfg", "attributes": True})

    kinds = {item["name"]: item["kind"] for item in result["attributes"]}
    assert kinds["added_later"] == "value"
    assert kinds["expensive"] == "property"
    assert kinds["lr"] == "value"


def test_inspect_unknown_name_is_not_found_with_a_reason(kernel: RunningKernel):
    result = kernel.request("inspect", {"expression": "cfg.nope"})

    assert result == {
        "found": False,
        "expression": "cfg.nope",
        "reason": "cfg has no attribute 'nope'",
    }


def test_inspect_refuses_anything_but_a_dotted_chain(kernel: RunningKernel):
    with pytest.raises(RemoteError) as raised:
        kernel.request("inspect", {"expression": "cfg.lr()"})

    assert raised.value.code == RPC_CODES["invalid_params"]


@pytest.mark.timeout(90)
def test_evaluate_in_ipykernel_captures_output_away_from_the_notebook(tmp_path: Path):
    manager_module = pytest.importorskip("jupyter_client.manager")
    from kernel_support import kernel_env
    from splice.agent import connection
    from splice.client.blocking import BlockingKernelClient

    runtime = str(tmp_path / "rt")
    manager, client = manager_module.start_new_kernel(
        kernel_name="python3",
        extra_arguments=["--ext=splice"],
        env=kernel_env(runtime),
        cwd=str(tmp_path),
    )
    try:
        assert client.execute_interactive("x = 20", timeout=30)["content"]["status"] == "ok"
        (info,) = connection.discover(runtime)
        with BlockingKernelClient(info) as splice_client:
            result = splice_client.request(
                "evaluate", {"expression": "print('quiet')\nx + 1", "statements": True}
            )
        outputs: list[dict[str, object]] = []
        client.execute_interactive("print('loud')", timeout=30, output_hook=outputs.append)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    assert (result["value"], result["output"]) == ("21", "quiet\n")
    printed = "".join(
        str(message["content"].get("text", ""))  # type: ignore[attr-defined]
        for message in outputs
        if message["msg_type"] == "stream"
    )
    assert printed == "loud\n"
