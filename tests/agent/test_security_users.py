"""Attacks from a second local user: a throwaway account made with ``useradd`` for this module.

Runs as root (as CI does); elsewhere it is skipped with the reason, except
under CI or ``SPLICE_E2E=required``, where a skip would hide a gap, so it fails.
The attacker's code runs in the system Python as that user, with the
standard library only, as a real other user would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from kernel_support import kernel_env, running_kernel, stop_process
from users_support import as_user, attack

APP = textwrap.dedent(
    """
    import time

    SECRET_MARKER = "only for the kernel's own user"


    def price(amount):
        return amount * 2


    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

# A kernel impostor: publishes a connection file of its own, answers like an agent, and
# records every byte a client sends it.
IMPOSTOR = textwrap.dedent(
    """
    import json, os, socket, sys, threading

    directory, target = sys.argv[1], sys.argv[2]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    record = open(os.path.join(directory, "received"), "ab", buffering=0)
    info = {
        "pid": os.getpid(), "transport": "tcp",
        "address": "127.0.0.1:%d" % listener.getsockname()[1], "token": "planted",
        "protocolVersion": 1, "python": "3.11.7", "executable": sys.executable, "cwd": "/",
        "argv": ["app.py"], "program": "app.py", "startedAt": 0.0,
    }
    path = os.path.join(directory, "kernel-%d.json" % os.getpid())
    descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(descriptor, json.dumps(info).encode())
    os.close(descriptor)
    os.rename(path + ".tmp", path)

    def answer(message):
        method = message.get("method")
        if method == "initialize":
            return {"protocolVersion": 1, "pid": os.getpid(), "program": "app.py",
                    "capabilities": {"methods": ["initialize", "modules", "patch"]}}
        if method == "modules":
            return {"modules": [{"name": "__main__", "file": target, "hasBaseline": True}]}
        return {}

    def serve(sock):
        buffer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return
            record.write(data)
            buffer += data
            while b"\\r\\n\\r\\n" in buffer:
                head, _, rest = buffer.partition(b"\\r\\n\\r\\n")
                length = int(head.split(b":")[1])
                if len(rest) < length:
                    break
                body, buffer = rest[:length], rest[length:]
                message = json.loads(body)
                reply = json.dumps({"jsonrpc": "2.0", "id": message.get("id"),
                                    "result": answer(message)}).encode()
                sock.sendall(b"Content-Length: %d\\r\\n\\r\\n" % len(reply) + reply)

    print("listening", flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()
    """
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def traversable_runtime_dir():
    """A runtime directory others may enter but not list or write (0711): the files' and
    socket's own modes are then all that keeps them out."""
    path = tempfile.mkdtemp(prefix="splice-rt-")
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_another_user_cannot_connect_to_the_unix_socket(
    other_user, project, traversable_runtime_dir
):
    with running_kernel(
        project, run_options=["--unix-socket"], runtime_dir=traversable_runtime_dir
    ) as kernel:
        kernel.wait_for_output("ready")
        assert stat.S_IMODE(os.stat(kernel.info.address).st_mode) == 0o600
        outcome = attack(
            other_user,
            f"""
            import errno, socket
            sock = socket.socket(socket.AF_UNIX)
            try:
                sock.connect({kernel.info.address!r})
                print("connected")
            except OSError as error:
                print(errno.errorcode[error.errno])
            """,
        )
        assert outcome == "EACCES"
        assert kernel.evaluate("price(2)") == "4"


def test_another_user_cannot_read_the_connection_file(other_user, project, traversable_runtime_dir):
    with running_kernel(project, runtime_dir=traversable_runtime_dir) as kernel:
        kernel.wait_for_output("ready")
        outcome = attack(
            other_user,
            f"""
            try:
                print(open({kernel.info.path!r}).read())
            except PermissionError:
                print("refused")
            """,
        )
        assert outcome == "refused"


def test_another_user_cannot_authenticate_over_tcp(other_user, project):
    with running_kernel(project, run_options=["--tcp"]) as kernel:
        kernel.wait_for_output("ready")
        host, port = kernel.info.address.rsplit(":", 1)
        replies = attack(
            other_user,
            f"""
            import hashlib, hmac, json, socket
            sock = socket.create_connection(({host!r}, {port}), timeout=10)

            def ask(method, params):
                body = json.dumps({{"jsonrpc": "2.0", "id": 1, "method": method,
                                   "params": params}}).encode()
                sock.sendall(b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body)
                return sock.recv(65536).split(b"\\r\\n\\r\\n", 1)[1].decode()

            plain = ask("initialize", {{"token": "guess"}})
            sock = socket.create_connection(({host!r}, {port}), timeout=10)
            challenge = "a" * 43
            kernel = json.loads(ask("initialize", {{"challenge": challenge}}))["result"]
            text = "splice client proof\\n" + challenge + "\\n" + kernel["challenge"]
            guess = hmac.new(b"guess", text.encode(), hashlib.sha256).hexdigest()
            print(json.dumps([plain, ask("authenticate", {{"proof": guess}})]))
            """,
        )
        plain, guessed = (json.loads(reply) for reply in json.loads(replies))
        assert "the token is never sent" in plain["error"]["message"]
        assert guessed["error"]["message"] == "wrong token"
        assert kernel.stderr() == ""


@contextlib.contextmanager
def impostor_in(user, directory: Path, target: Path):
    """The other user's fake kernel, publishing its connection file in ``directory``."""
    process = subprocess.Popen(
        **as_user(
            user,
            ["-c", IMPOSTOR, str(directory), os.path.realpath(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"listening\n"
        planted = directory / f"kernel-{process.pid}.json"
        assert planted.stat().st_uid == user[1]
        yield process, planted, directory / "received"
    finally:
        stop_process(process)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def impostor(other_user, project):
    """An impostor whose connection file is made in a directory of the other user's."""
    directory = Path(tempfile.mkdtemp(prefix="splice-impostor-"))
    os.chown(directory, other_user[1], other_user[2])
    try:
        with impostor_in(other_user, directory, project / "app.py") as running:
            yield running
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def shared_dir():
    """A directory like /tmp (world-writable, sticky) that the other user can reach."""
    path = Path(tempfile.mkdtemp(prefix="splice-shared-"))
    os.chmod(path, 0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def assert_received_nothing(received: Path) -> None:
    time.sleep(0.2)  # anything sent to the impostor has reached its record by now
    assert not received.exists() or received.read_bytes() == b""


def test_a_planted_connection_file_is_ignored_and_never_sent_the_source(
    other_user, project, impostor
):
    process, planted, received = impostor
    with running_kernel(project) as kernel:
        kernel.wait_for_output("ready")
        # As if the other user could write there (a shared or once-shared directory).
        moved = Path(kernel.runtime_dir) / planted.name
        os.rename(planted, moved)
        env = kernel_env(kernel.runtime_dir)

        listed = subprocess.run(
            [sys.executable, "-m", "splice", "kernels"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert str(kernel.info.pid) in listed.stdout
        assert str(process.pid) not in listed.stdout
        assert listed.stderr == (
            f"splice kernels: ignored {moved}: it belongs to user {other_user[0]}"
            f" (uid {other_user[1]}), not to you\n"
        )

        app = project / "app.py"
        app.write_text(APP.replace("amount * 2", "amount * 3"))
        patched = subprocess.run(
            [sys.executable, "-m", "splice", "patch", "app.py"],
            env=env,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert patched.returncode == 0, patched.stderr
        assert f"pid {kernel.info.pid}" in patched.stdout
        assert str(process.pid) not in patched.stdout
        assert kernel.evaluate("price(2)") == "6"
        assert_received_nothing(received)
        assert moved.exists()  # another user's file: reported, not deleted


def test_a_shared_runtime_dir_with_a_planted_file_is_refused_before_any_connection(
    other_user, project, shared_dir
):
    # The reported attack: SPLICE_RUNTIME_DIR points at a world-writable directory and
    # the other user publishes an impostor there, under their own name.
    shared = shared_dir
    with impostor_in(other_user, shared, project / "app.py") as (process, planted, received):
        env = kernel_env(str(shared))
        for command in (["kernels"], ["patch", "app.py"]):
            completed = subprocess.run(
                [sys.executable, "-m", "splice", *command],
                env=env,
                cwd=project,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert completed.returncode == 2, completed
            assert "is writable by other users" in completed.stderr
            assert str(process.pid) not in completed.stdout
        assert_received_nothing(received)
        assert planted.exists()
