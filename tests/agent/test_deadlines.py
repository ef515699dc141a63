"""A request the client gave up on is never carried out later (issue 20).

Every request carries a deadline (``wire.deadline_after``): a kernel that was
stopped, or waited for another patch, refuses what it gets to after it, so
the editor's "not patched" stays true when the kernel resumes.
"""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time

import pytest

from kernel_support import RawConnection, running_kernel
from splice.agent import wire
from splice.agent.dispatch import dispatch
from splice.agent.threads import AgentThreadRunner
from splice.errors import RPC_CODES, KernelTimeoutError, RemoteError

APP = textwrap.dedent(
    """
    import time


    def price(amount):
        return amount * 2


    def slow(function):
        time.sleep(3)
        return function


    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

touched: list[str] = []


@pytest.fixture
def kernel(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    with running_kernel(tmp_path, ready="ready") as running:
        yield running


def wait_until_stopped(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            status = stream.read()
        if status[status.rfind(b")") + 2 :].startswith(b"T"):
            return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} did not stop")


def test_a_patch_sent_to_a_stopped_kernel_is_not_applied_when_it_resumes(kernel):
    client = kernel.client(timeout=1.5)
    os.kill(kernel.process.pid, signal.SIGSTOP)
    try:
        wait_until_stopped(kernel.process.pid)
        with pytest.raises(KernelTimeoutError):
            client.patch("__main__", APP.replace("amount * 2", "amount * 3"))
    finally:
        os.kill(kernel.process.pid, signal.SIGCONT)
    time.sleep(0.5)  # the kernel reads the patch as soon as it runs again
    assert kernel.evaluate("price(2)") == "4"
    assert kernel.patch("__main__", APP.replace("amount * 2", "amount * 5")).ok
    assert kernel.evaluate("price(2)") == "10"


def test_a_patch_waiting_for_another_patch_is_not_applied_after_its_deadline(kernel):
    slow = APP.replace("amount * 2", "amount * 3").replace(
        'print("ready"', '@slow\ndef added():\n    return 1\n\n\nprint("ready"'
    )
    holder = RawConnection(kernel.info)
    holder.authenticate(kernel.info.token)
    holder.send(wire.request(1, "patch", {"module": "__main__", "source": slow}))
    try:
        time.sleep(0.5)  # the slow patch holds the patch lock for 3 s
        client = kernel.client(timeout=1)
        with pytest.raises(RemoteError) as refused:
            client.patch("__main__", APP.replace("amount * 2", "amount * 4"))
        assert refused.value.code == RPC_CODES["expired"]
        assert "another patch held this process's patch lock" in str(refused.value)
        answer = holder.read(timeout=10)
        while answer.get("method") == "moduleImported":  # the slow patch's imports
            answer = holder.read(timeout=10)
        assert answer["result"]["ok"], answer
    finally:
        holder.close()
    time.sleep(0.3)
    assert kernel.evaluate("price(2)") == "6"  # the slow patch's, not the abandoned one's


def test_a_patch_whose_deadline_passes_while_it_applies_is_undone(kernel):
    # Started in time, but its new decorator runs for 3 s: past the client's 1 s.
    slow = APP.replace("amount * 2", "amount * 3").replace(
        'print("ready"', '@slow\ndef added():\n    return 1\n\n\nprint("ready"'
    )
    client = kernel.client(timeout=1)
    with pytest.raises(KernelTimeoutError):
        client.patch("__main__", slow)
    time.sleep(3)  # the kernel finishes staging, finds the deadline passed, and undoes it
    assert kernel.evaluate("price(2)") == "4"
    assert kernel.evaluate("'added' in globals()") == "False"
    assert kernel.patch("__main__", APP.replace("amount * 2", "amount * 5")).ok
    assert kernel.evaluate("price(2)") == "10"


def test_a_request_read_after_its_deadline_is_refused_without_running():
    deadline = time.time() - 0.1
    params = {
        "expression": "touched.append('ran')",
        "module": __name__,
        "deadline": deadline,
    }
    reply = dispatch(wire.request(1, "evaluate", params), AgentThreadRunner().run)
    assert reply["error"]["code"] == RPC_CODES["expired"]
    assert "nothing was done" in reply["error"]["message"]
    assert touched == []


def test_work_that_starts_after_its_deadline_on_the_hosts_loop_is_refused():
    # As under ipykernel: the job waits for the loop thread, which is busy past the deadline.
    release = threading.Event()

    def late_loop(callback):
        threading.Thread(target=lambda: (release.wait(), callback())).start()

    from splice.agent.threads import LoopRunner

    runner = LoopRunner(late_loop, grace=5.0)
    params = {"expression": "touched.append('late')", "module": __name__}
    params["deadline"] = time.time() + 0.3
    threading.Timer(0.6, release.set).start()
    reply = dispatch(wire.request(1, "evaluate", params), runner.run)
    assert reply["error"]["code"] == RPC_CODES["expired"]
    assert touched == []


def test_a_deadline_that_is_not_a_number_is_invalid_params():
    reply = dispatch(wire.request(1, "modules", {"deadline": "soon"}), AgentThreadRunner().run)
    assert reply["error"]["code"] == RPC_CODES["invalid_params"]
