"""Kernels prove who they are: a dead kernel's address, pid or file gets an impostor nothing (issue 20).

The attack: a kernel is killed with ``-9`` and its connection file stays;
someone binds its port (or socket) and gets its pid. Before, ``splice
kernels`` listed the impostor and ``splice patch`` sent it the token and the
source. Now the file is stale as soon as its pid runs as another user or
started at another time, and a client checks the socket's holder and waits
for the kernel's proof of the token before it sends anything of value.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from kernel_support import kernel_env, running_kernel, running_program, stop_process
from splice.agent import connection, peers
from users_support import as_user, start_with_pid

APP = textwrap.dedent(
    """
    import time

    SECRET_MARKER = "the source is only for the kernel"


    def price(amount):
        return amount * 2


    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

# Listens at an address (TCP "host:port", or a Unix socket path), records every byte it
# receives, and answers like a kernel that does not know the token.
IMPOSTOR = textwrap.dedent(
    """
    import json, os, socket, sys, threading

    address, record_path, target = sys.argv[1], sys.argv[2], sys.argv[3]
    if address.startswith("/"):
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(address)
    else:
        host, port = address.rsplit(":", 1)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, int(port)))
    listener.listen(8)
    record = open(record_path, "ab", buffering=0)

    def answer(message):
        method = message.get("method")
        if method == "initialize":
            return {"protocolVersion": 2, "challenge": "x" * 43, "proof": "0" * 64,
                    "pid": os.getpid(), "capabilities": {"methods": ["modules", "patch"]}}
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
    os.chmod(tmp_path, 0o755)
    return tmp_path


def splice(runtime_dir: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", *args],
        env=kernel_env(runtime_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def listed_pids(runtime_dir: str, cwd: Path) -> list[int]:
    listed = splice(runtime_dir, "kernels", "--json", cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    return [row["pid"] for row in json.loads(listed.stdout)]


def kill_and_keep_the_file(kernel) -> None:
    """``kill -9``: the kernel runs no clean-up, so its connection file stays."""
    os.kill(kernel.process.pid, signal.SIGKILL)
    kernel.process.wait()
    assert os.path.exists(kernel.info.path)


def wait_listening(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None and process.stdout.readline() == b"listening\n", (
        process.stderr.read() if process.stderr else ""
    )


def test_another_users_impostor_on_a_killed_kernels_port_and_pid_is_not_listed_and_gets_nothing(
    other_user, project
):
    received = Path(tempfile.mkdtemp(prefix="splice-impostor-"))
    os.chown(received, other_user[1], other_user[2])
    record = received / "received"
    with running_kernel(project, run_options=["--tcp"], ready="ready") as kernel:
        kill_and_keep_the_file(kernel)
        began = time.monotonic()
        impostor = start_with_pid(
            kernel.info.pid,
            **as_user(
                other_user,
                ["-c", IMPOSTOR, kernel.info.address, str(record), str(project / "app.py")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        )
        try:
            wait_listening(impostor)
            print(
                f"impostor holds pid {impostor.pid} and {kernel.info.address} after "
                f"{time.monotonic() - began:.2f} s"
            )
            assert listed_pids(kernel.runtime_dir, project) == []
            assert not os.path.exists(kernel.info.path)  # stale: its pid is another user's

            (project / "app.py").write_text(APP.replace("amount * 2", "amount * 3"))
            patched = splice(kernel.runtime_dir, "patch", "app.py", cwd=project)
            assert patched.returncode == 2, patched
            assert "no kernel found" in patched.stderr
        finally:
            stop_process(impostor)
    time.sleep(0.2)
    assert not record.exists() or record.read_bytes() == b""


def test_a_file_naming_our_live_process_whose_socket_another_holds_gets_nothing_sent(
    project, tmp_path
):
    # The file's pid is alive, ours, and started when the file says: only the socket
    # shows that something else listens at its address.
    runtime = tempfile.mkdtemp(prefix="splice-rt-")
    bystander = subprocess.Popen(["sleep", "60"])
    record = tmp_path / "received"
    for transport in ("unix", "tcp"):
        if transport == "unix":
            address = os.path.join(runtime, f"kernel-{bystander.pid}.sock")
        else:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{probe.getsockname()[1]}"
            probe.close()
        impostor = subprocess.Popen(
            [sys.executable, "-c", IMPOSTOR, address, str(record), str(project / "app.py")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_listening(impostor)
            info = file_for(bystander.pid, transport, address, runtime)
            assert listed_pids(runtime, project) == [bystander.pid]
            patched = splice(runtime, "patch", "--kernel", info.path, "app.py", cwd=project)
            assert patched.returncode == 1
            assert f"is held by pid {impostor.pid}" in patched.stderr or (
                "is held by another process" in patched.stderr
            ), patched.stderr
            assert "nothing was sent to it" in patched.stderr
        finally:
            stop_process(impostor)
        time.sleep(0.2)
        assert not record.exists() or record.read_bytes() == b"", transport
    stop_process(bystander)


def test_a_process_that_cannot_prove_the_token_gets_neither_the_token_nor_the_source(
    project, tmp_path
):
    # Everything else checks out (its own pid, its own socket, our user): only the
    # proof of the token is missing. It gets a random challenge and nothing more.
    runtime = tempfile.mkdtemp(prefix="splice-rt-")
    record = tmp_path / "received"
    address = os.path.join(runtime, "impostor.sock")
    impostor = subprocess.Popen(
        [sys.executable, "-c", IMPOSTOR, address, str(record), str(project / "app.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(impostor)
        info = file_for(impostor.pid, "unix", address, runtime)
        patched = splice(runtime, "patch", "app.py", cwd=project)
        assert patched.returncode == 1
        assert f"pid {impostor.pid}: not that kernel: the process at {address} gave a wrong" in (
            patched.stderr
        )
    finally:
        stop_process(impostor)
    time.sleep(0.2)
    sent = record.read_bytes()
    assert info.token.encode() not in sent
    assert b"SECRET_MARKER" not in sent and b'"patch"' not in sent and b'"modules"' not in sent
    assert sent.count(b"Content-Length") == 1 and b'"initialize"' in sent


def file_for(pid: int, transport: str, address: str, runtime: str) -> connection.ConnectionInfo:
    """A connection file of ours naming ``pid`` (alive, ours, its real start time)."""
    info = connection.ConnectionInfo(
        pid=pid,
        transport=transport,
        address=address,
        token="the-real-token-" + "k" * 30,
        protocol_version=2,
        python="3.11.7",
        executable=sys.executable,
        cwd="/",
        argv=("app.py",),
        program="app.py",
        started_at=time.time(),
        path=connection.connection_path(pid, runtime),
        uid=os.getuid(),
        process_start=peers.process_start(pid) or "",
    )
    connection.write(info)
    return info


FORKING = textwrap.dedent(
    """
    import os, sys, time
    import splice

    splice.listen()
    pid = os.fork()
    if pid == 0:
        published = os.path.join(os.environ["SPLICE_RUNTIME_DIR"], f"kernel-{os.getpid()}.json")
        while not os.path.exists(published):
            time.sleep(0.01)
        os._exit(0)  # no atexit, no clean-up of any kind
    os.waitpid(pid, 0)  # reaped: the pid is free for anyone
    print(pid, flush=True)
    while True:
        time.sleep(0.05)
    """
)


def test_a_forked_childs_stale_file_is_not_listed_once_its_pid_is_reused(tmp_path):
    (tmp_path / "prog.py").write_text(FORKING)
    with running_program(tmp_path, "prog.py") as parent:
        deadline = time.monotonic() + 20
        while not parent.stdout().strip() and time.monotonic() < deadline:
            time.sleep(0.02)
        child = int(parent.stdout().split()[0])
        stale = connection.connection_path(child, parent.runtime_dir)
        assert os.path.exists(stale)
        # An unrelated process of the same user now has the child's pid.
        unrelated = start_with_pid(child, args=["sleep", "60"])
        try:
            assert listed_pids(parent.runtime_dir, tmp_path) == [parent.info.pid]
            assert not os.path.exists(stale)
            assert unrelated.poll() is None
        finally:
            stop_process(unrelated)
