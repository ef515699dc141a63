"""No thread sees a half-applied patch; where the work runs (agent thread or host loop)."""

from __future__ import annotations

import threading
import time

from kernel_support import running_kernel
from splice.agent.threads import AgentThreadRunner, LoopRunner

FUNCTIONS = 300


def numbered_module(version: int) -> str:
    return "\n\n".join(f"def f{index}():\n    return {version}\n" for index in range(FUNCTIONS))


CHECKER = f"""
import threading
import time

import funcs

torn = 0
checks = 0


def check():
    # Patches raise the version of f0 first, f{FUNCTIONS - 1} last: reading them in
    # that order, a complete patch can never show f0 ahead of f{FUNCTIONS - 1}.
    global torn, checks
    first, last = funcs.f0, funcs.f{FUNCTIONS - 1}
    while True:
        if first() > last():
            torn += 1
        checks += 1


threading.Thread(target=check, name="checker", daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def test_busy_thread_never_sees_a_half_applied_patch(tmp_path):
    (tmp_path / "funcs.py").write_text(numbered_module(0))
    (tmp_path / "app.py").write_text(CHECKER)
    with running_kernel(tmp_path, ready="ready") as kernel, kernel.client(timeout=60) as client:
        for version in range(1, 31):
            assert client.patch("funcs", numbered_module(version)).ok
        assert int(client.evaluate("checks")) > 0
        assert client.evaluate("(funcs.f0(), funcs.f299())") == "(30, 30)"
        assert client.evaluate("torn") == "0"


def test_agent_thread_runner_runs_on_the_calling_thread():
    assert (
        AgentThreadRunner().run(lambda: threading.current_thread().name)
        == threading.current_thread().name
    )


def test_loop_runner_runs_on_the_loop_thread_when_it_is_idle():
    jobs: list = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            while jobs:
                jobs.pop()()
            time.sleep(0.001)

    thread = threading.Thread(target=loop, name="host-loop")
    thread.start()
    try:
        runner = LoopRunner(jobs.append, grace=5)
        assert runner.run(lambda: threading.current_thread().name) == "host-loop"
    finally:
        stop.set()
        thread.join()


def test_loop_runner_falls_back_to_its_own_thread_when_the_loop_is_busy():
    scheduled: list = []
    runs: list[str] = []

    def work():
        runs.append(threading.current_thread().name)
        return runs[-1]

    runner = LoopRunner(scheduled.append, grace=0.05)
    assert runner.run(work) == threading.current_thread().name
    scheduled[0]()  # the loop gets to it late: the job must not run twice
    assert runs == [threading.current_thread().name]


def test_loop_runner_reraises_the_work_exception():
    runner = LoopRunner(lambda callback: callback(), grace=1)
    try:
        runner.run(lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("the exception was swallowed")


def test_loop_runner_runs_the_work_at_once_when_there_is_no_loop():
    def no_loop(callback):
        raise AttributeError("io_loop")

    started = time.monotonic()
    assert LoopRunner(no_loop, grace=10).run(lambda: 7) == 7
    assert time.monotonic() - started < 1
