"""Faults from outside and from the user's own code, against real kernels (issue 15).

Unauthenticated connections get a budget and a deadline of their own; user
code raising ``SystemExit`` or ``KeyboardInterrupt`` is a result, not a lost
connection; every client request has a deadline; the program's own logging
hears nothing of junk; oversized replies, ``initialize`` without
``"jsonrpc"`` and children leaving with ``os._exit`` are handled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from kernel_support import RawConnection, kernel_env, running_kernel, running_program
from splice.agent import connection, wire
from splice.client.blocking import BlockingKernelClient
from splice.engine.result import PatchResult
from splice.errors import RPC_CODES, RemoteError

APP = textwrap.dedent(
    """
    import time


    def price(amount):
        return amount * 2


    def stop(function):
        raise SystemExit(3)


    def interrupt(function):
        raise KeyboardInterrupt


    def hang(function):
        time.sleep(30)
        return function


    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def kernel(project):
    with running_kernel(project, ready="ready") as running:
        yield running


def with_new_definition(decorator: str) -> str:
    """APP with ``price`` changed and a new function under ``decorator``."""
    addition = f"@{decorator}\ndef added():\n    return 1\n\n\n"
    return APP.replace("amount * 2", "amount * 3").replace(
        'print("ready"', addition + 'print("ready"'
    )


def splice_command(kernel, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "splice", *args],
        env=kernel_env(kernel.runtime_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# User code raising SystemExit or KeyboardInterrupt ---------------------------------------


@pytest.mark.parametrize(
    ("decorator", "exception"), [("stop", "SystemExit"), ("interrupt", "KeyboardInterrupt")]
)
def test_patch_whose_new_decorator_exits_is_an_error_finding_on_a_kept_connection(
    kernel, decorator, exception
):
    client = kernel.client()
    result = client.patch("__main__", with_new_definition(decorator))
    assert not result.ok
    (error,) = result.errors
    assert error.code == "apply-failed" and exception in error.message
    assert error.line is not None
    # The same connection answers, and nothing of the patch is left.
    assert client.evaluate("price(10)") == "20"
    assert client.evaluate("'added' in globals()") == "False"
    assert kernel.process.poll() is None
    assert kernel.stderr() == ""


@pytest.mark.parametrize(
    ("expression", "exception"),
    [("exit(3)", "SystemExit"), ("(_ for _ in ()).throw(KeyboardInterrupt)", "KeyboardInterrupt")],
)
def test_evaluate_that_exits_is_an_error_reply_on_a_kept_connection(kernel, expression, exception):
    client = kernel.client()
    with pytest.raises(RemoteError) as raised:
        client.evaluate(expression)
    assert raised.value.code == RPC_CODES["server_error"]
    assert raised.value.data["exception"] == exception
    assert client.evaluate("1 + 1") == "2"
    assert kernel.process.poll() is None and kernel.stderr() == ""


def test_run_statement_that_interrupts_is_a_statement_failed_finding(kernel):
    client = kernel.client()
    source = APP.replace('print("ready", flush=True)', "raise KeyboardInterrupt")
    line = source.splitlines().index("raise KeyboardInterrupt") + 1
    reply = client.request("runStatement", {"module": "__main__", "line": line, "source": source})
    result = PatchResult.from_dict(reply)
    assert not result.ok and result.errors[0].code == "statement-failed"
    assert "KeyboardInterrupt" in result.errors[0].message and result.errors[0].line == line
    assert client.evaluate("price(1)") == "2"
    assert kernel.process.poll() is None and kernel.stderr() == ""


# Connections that never authenticate -----------------------------------------------------


def test_connections_that_never_authenticate_cannot_keep_a_client_out(kernel):
    silent = [RawConnection(kernel.info) for _ in range(64)]
    try:
        with BlockingKernelClient(kernel.info, timeout=10) as client:
            assert client.evaluate("price(2)") == "4"
        # The oldest gave way, and was told why.
        reply = silent[0].read()
        assert reply["error"]["code"] == RPC_CODES["busy"]
        assert "busy" in reply["error"]["message"]
    finally:
        for raw in silent:
            raw.close()


def test_an_unauthenticated_connection_is_dropped_after_a_short_deadline(kernel):
    started = time.monotonic()
    with RawConnection(kernel.info) as raw:
        reply = raw.read(timeout=8)
        assert reply is not None and reply["error"]["code"] == RPC_CODES["unauthorized"]
        assert "no initialize request within 3 s" in reply["error"]["message"]
    assert time.monotonic() - started < 6


def test_splice_patch_says_the_kernel_is_busy_when_it_has_too_many_clients(tmp_path):
    (tmp_path / "app.py").write_text(
        "import time, splice\nsplice.listen(max_connections=1)\n"
        "def price(amount):\n    return amount * 2\n"
        "print('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"
    )
    with running_program(tmp_path, "app.py", ready="ready") as kernel, kernel.client():
        done = splice_command(
            kernel, "patch", "--kernel", str(kernel.info.pid), str(tmp_path / "app.py")
        )
    assert done.returncode == 1
    assert done.stderr == f"pid {kernel.info.pid}: kernel busy: too many clients (limit 1)\n"


# Deadlines in the command line -----------------------------------------------------------


def test_splice_patch_against_a_stopped_kernel_ends_with_a_clear_message(project, kernel):
    (project / "app.py").write_text(APP.replace("amount * 2", "amount * 3"))
    os.kill(kernel.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        done = splice_command(kernel, "patch", "--timeout", "2", str(project / "app.py"))
        elapsed = time.monotonic() - started
    finally:
        os.kill(kernel.process.pid, signal.SIGCONT)
    assert done.returncode == 1 and elapsed < 30
    assert done.stderr.startswith(f"pid {kernel.info.pid}: kernel not answering: ")
    assert "did not answer 'initialize' within 2 s" in done.stderr
    assert kernel.evaluate("price(10)") == "20"  # it resumes, unpatched


def test_splice_patch_against_a_kernel_stuck_in_user_code_gives_up_and_says_so(project, kernel):
    stuck = RawConnection(kernel.info)
    stuck.authenticate(kernel.info.token)
    # A patch whose new decorator sleeps 30 s holds the kernel's patch lock.
    stuck.send(
        wire.request(1, "patch", {"module": "__main__", "source": with_new_definition("hang")})
    )
    try:
        (project / "app.py").write_text(APP.replace("amount * 2", "amount * 4"))
        done = splice_command(kernel, "patch", "--timeout", "2", str(project / "app.py"))
    finally:
        stuck.close()
    assert done.returncode == 1
    # Its deadline (1 s before the client's 2 s) passed while the stuck patch held the lock.
    assert done.stderr == (
        f"pid {kernel.info.pid}: not applied: the request's deadline passed before the kernel"
        " could start it (another patch held this process's patch lock); the client has given"
        " up on it, so nothing was done\n"
    )


# Quiet in the user's process -------------------------------------------------------------

LOGGING_PROGRAM = textwrap.dedent(
    """
    import logging, time
    import splice

    logging.basicConfig(level=logging.INFO)
    logging.getLogger("app").info("the program logs")
    splice.listen(handshake_timeout=0.5)
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


def test_junk_and_wrong_tokens_write_nothing_through_the_programs_logging(tmp_path):
    (tmp_path / "prog.py").write_text(LOGGING_PROGRAM)
    with running_program(tmp_path, "prog.py", ready="ready") as kernel:
        frames = [
            wire.encode_frame(wire.request(1, "initialize", {"token": "wrong"})),
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            b"Content-Length: 5\r\n\r\nnope!",
            b"Content-Length: 3000\r\n\r\n" + b"[" * 3000,
            b"Content-Length: 99999999\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
            b"",  # says nothing until the handshake deadline
        ]
        for frame in frames:
            with RawConnection(kernel.info) as raw:
                raw.send_bytes(frame)
                assert raw.is_closed(timeout=5), frame
        client = kernel.client()
        with pytest.raises(RemoteError):
            client.request("frobnicate")
        assert client.evaluate("1") == "1"
        assert kernel.stderr() == "INFO:app:the program logs\n"


# Minor ------------------------------------------------------------------------------------


def test_initialize_without_jsonrpc_2_is_refused(kernel):
    with RawConnection(kernel.info) as raw:
        raw.send({"id": 1, "method": "initialize", "params": {"token": kernel.info.token}})
        reply = raw.read()
        assert reply["error"]["code"] == RPC_CODES["unauthorized"]
        assert raw.is_closed()


def test_an_evaluate_result_larger_than_a_client_reads_is_refused_clearly(kernel):
    client = kernel.client()
    with pytest.raises(RemoteError) as raised:
        client.request("evaluate", {"expression": "'x' * (17 * 2**20)", "maxRepr": 18 * 2**20})
    assert raised.value.code == RPC_CODES["server_error"]
    assert f"more than the {wire.DEFAULT_MAX_MESSAGE_SIZE} a client accepts" in str(raised.value)
    assert client.evaluate("1 + 1") == "2"


FORKING_PROGRAM = textwrap.dedent(
    """
    import os, time, splice

    splice.listen()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            published = os.path.join(os.environ["SPLICE_RUNTIME_DIR"], f"kernel-{os.getpid()}.json")
            deadline = time.monotonic() + 10
            while not os.path.exists(published) and time.monotonic() < deadline:
                time.sleep(0.01)
            os._exit(0)  # no atexit, no clean-up of any kind
        children.append(pid)
    for pid in children:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: zombies
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


def test_children_that_leave_with_os_exit_are_not_listed_and_leave_no_file(tmp_path):
    (tmp_path / "prog.py").write_text(FORKING_PROGRAM)
    with running_program(tmp_path, "prog.py", ready="ready") as parent:
        files = [name for name in os.listdir(parent.runtime_dir) if name.endswith(".json")]
        assert len(files) == 3  # the children published, then left
        assert [info.pid for info in connection.discover(parent.runtime_dir)] == [parent.info.pid]
        left = {os.path.basename(parent.info.path), os.path.basename(parent.info.address)}
        assert set(os.listdir(parent.runtime_dir)) == left


def test_a_client_thread_blocked_on_a_stopped_kernel_is_released_by_its_deadline(kernel):
    client = kernel.client(timeout=1)
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            client.evaluate("1")
        except BaseException as error:
            errors.append(error)

    os.kill(kernel.process.pid, signal.SIGSTOP)
    try:
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join(10)
    finally:
        os.kill(kernel.process.pid, signal.SIGCONT)
    assert not thread.is_alive()
    assert "did not answer 'evaluate' within 1 s" in str(errors[0])
