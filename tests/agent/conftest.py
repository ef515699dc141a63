"""A shared listening program for the protocol and fault tests."""

from __future__ import annotations

import textwrap

import pytest

from kernel_support import running_program
from users_support import other_user  # noqa: F401 (the throwaway second user, a fixture)

LISTENER = textwrap.dedent(
    """
    import threading
    import time

    import splice

    splice.listen(
        handshake_timeout=0.5, frame_timeout=0.5, send_timeout=0.5, max_message_size=200_000
    )

    import helper

    calls = 0


    def work():
        global calls
        while True:
            helper.compute(3)
            calls += 1
            time.sleep(0.001)


    worker = threading.Thread(target=work, name="worker", daemon=True)
    worker.start()
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

HELPER = textwrap.dedent(
    """
    def compute(x):
        return x * 2


    def label():
        return "old"
    """
)


@pytest.fixture(scope="module")
def listener(tmp_path_factory):
    """One program that called splice.listen(), with short timeouts; shared by a module's tests."""
    project = tmp_path_factory.mktemp("listener")
    (project / "listener.py").write_text(LISTENER)
    (project / "helper.py").write_text(HELPER)
    with running_program(project, "listener.py") as kernel:
        kernel.wait_for_output("ready")
        kernel.project = project
        yield kernel


@pytest.fixture
def undisturbed(listener):
    """After the test: the program still runs, its worker thread lives, and it printed nothing."""
    yield listener
    assert listener.process.poll() is None
    assert listener.evaluate("worker.is_alive()") == "True"
    assert listener.stdout() == "ready\n"
    assert listener.stderr() == ""
