"""``splice attach`` run as root against another user's process gives that user nothing (issue 20).

Each test is an attack by the target's user (a throwaway account): a program
named ``python3.14`` whose ``.pth`` file runs at start-up, a process that
swaps what root's gdb reads, one that writes the attach result first. Root
must never run that user's code, never inject into another process, and
never list (or send a source to) anything but the target's own agent.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_support import LOOP, SYSTEM_PYTHON, attach_json, requires_gdb, run_splice

from kernel_support import running_kernel, stop_process
from splice.agent import connection

pytestmark = requires_gdb


@contextlib.contextmanager
def as_user(
    user: pwd.struct_passwd, command: list[str], folder: Path, **popen: object
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running as ``user`` in ``folder``; stopped afterwards."""
    process = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
            *command,
        ],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        **popen,  # type: ignore[arg-type]
    )
    try:
        yield process
    finally:
        stop_process(process)


@pytest.fixture
def user_folder(throwaway_user: pwd.struct_passwd) -> Iterator[Path]:
    """A folder the throwaway user owns, readable by everyone."""
    folder = Path(tempfile.mkdtemp(prefix="splice-attach-victim-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def own(path: Path, user: pwd.struct_passwd) -> None:
    for place in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chown(place, user.pw_uid, user.pw_gid, follow_symlinks=False)


def wait_for_line(path: Path, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in (path.read_text(errors="replace") if path.exists() else ""):
        assert time.monotonic() < deadline, path.read_text() if path.exists() else "(none)"
        time.sleep(0.02)


def test_root_never_runs_a_target_executable_its_user_could_have_written(
    runtime_dir: str, throwaway_user: pwd.struct_passwd, user_folder: Path
) -> None:
    # The user's own "python3.14": a copy of the system Python in a virtualenv of theirs,
    # whose .pth file runs at start-up, in whoever starts it, and records who that was.
    marker = user_folder / "started-by"
    binary = user_folder / "bin" / "python3.14"
    binary.parent.mkdir()
    shutil.copy2(os.path.realpath(SYSTEM_PYTHON), binary)
    (user_folder / "pyvenv.cfg").write_text(f"home = {os.path.dirname(SYSTEM_PYTHON)}\n")
    version = f"python{sys.version_info[0]}.{subprocess_version()}"
    site = user_folder / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (site / "record.pth").write_text(
        f"import os; open({str(marker)!r}, 'a').write(str(os.getuid()) + chr(10))\n"
    )
    (user_folder / "app.py").write_text(LOOP)
    os.chmod(marker.parent, 0o777)
    own(user_folder, throwaway_user)
    output = user_folder / "stdout"
    with (
        open(output, "wb") as stdout,
        as_user(throwaway_user, [str(binary), "app.py"], user_folder, stdout=stdout) as target,
    ):
        wait_for_line(output, "before")
        if "libpython" in Path(f"/proc/{target.pid}/maps").read_text():
            pytest.skip(f"{SYSTEM_PYTHON} loads libpython, so its version shows anyway")

        result = attach_json(target.pid)

        assert set(marker.read_text().split()) == {str(throwaway_user.pw_uid)}  # never "0"
        assert result["error"] == "no_trusted_python", result
        message = str(result["message"])
        assert "sys.remote_exec must be called from a Python 3.14" in message
        assert f"run: python3.14 -m splice attach {target.pid}" in message
        assert target.poll() is None


def subprocess_version() -> str:
    """The minor version of the system Python (its .pth path names it)."""
    completed = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[1])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


# Watches /tmp for attach workspaces and swaps every file of them it can write: gdb's
# request (to make root's gdb inject into the victim) and the bootstrap. Prints what it did.
SWAPPER = textwrap.dedent(
    """
    import glob, json, os, sys, time

    victim, marker = int(sys.argv[1]), sys.argv[2]
    code = "open(%r, 'w').write(str(__import__('os').getuid()))" % marker
    request = json.dumps({"pid": victim, "code": code.encode().hex()})
    done = set()
    print("watching", flush=True)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        for folder in glob.glob("/tmp/splice-attach-*"):
            for name, text in (("gdb-request.json", request), ("bootstrap.py", "pass")):
                path = os.path.join(folder, name)
                if path in done or not os.path.exists(path):
                    continue
                done.add(path)
                try:
                    with open(path + ".swap", "w") as stream:
                        stream.write(text)
                    os.replace(path + ".swap", path)
                    print("swapped", name, flush=True)
                except OSError as error:
                    print("refused", name, error.strerror, flush=True)
        time.sleep(0.001)
    """
)


def test_the_user_cannot_swap_what_roots_gdb_reads_or_the_bootstrap(
    start_target, runtime_dir: str, throwaway_user: pwd.struct_passwd, user_folder: Path
) -> None:
    victim = start_target()  # root's own Python program
    marker = user_folder / "injected"
    os.chmod(user_folder, 0o777)
    (user_folder / "app.py").write_text(LOOP)
    own(user_folder / "app.py", throwaway_user)
    output = user_folder / "stdout"
    log = user_folder / "swapper.log"
    with (
        open(output, "wb") as stdout,
        open(log, "wb") as swapper_log,
        as_user(throwaway_user, [SYSTEM_PYTHON, "app.py"], user_folder, stdout=stdout) as target,
        as_user(
            throwaway_user,
            [SYSTEM_PYTHON, "-c", SWAPPER, str(victim.pid), str(marker)],
            user_folder,
            stdout=swapper_log,
        ),
    ):
        wait_for_line(output, "before")
        wait_for_line(log, "watching")

        result = attach_json(target.pid)

        time.sleep(0.5)  # a swapped request would have run in the victim by now
        assert not marker.exists(), f"root's gdb ran the user's code as {marker.read_text()}"
        assert "error" not in result, result
        assert "swapped" not in log.read_text(), log.read_text()
        assert "refused bootstrap.py Permission denied" in log.read_text()
    victim.assert_running_normally()


# Writes a result of its own into every attach workspace it can, naming its own listener
# (which records what it receives) as the kernel, under the pid of root's own kernel.
FORGER = textwrap.dedent(
    """
    import glob, json, os, socket, sys, threading, time

    folder, pretend_pid = sys.argv[1], int(sys.argv[2])
    address = os.path.join(folder, "forged.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(address)
    os.chmod(address, 0o777)
    listener.listen(8)
    record = open(os.path.join(folder, "received"), "ab", buffering=0)

    def serve():
        while True:
            sock, _ = listener.accept()
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                record.write(data)

    threading.Thread(target=serve, daemon=True).start()
    described = {
        "pid": pretend_pid, "transport": "unix", "address": address, "token": "forged-token",
        "protocolVersion": 2, "python": "3.11.7", "executable": sys.executable, "cwd": "/",
        "argv": ["app.py"], "program": "app.py", "startedAt": time.time(),
    }
    planted = os.path.join(folder, "kernel-%d.json" % pretend_pid)
    with open(planted, "w") as stream:
        json.dump(described, stream)
    result = {"connectionFile": planted, "connection": described, "already": False,
              "pid": pretend_pid, "seconds": 0.0}
    print("forging", flush=True)
    done = set()
    end = time.monotonic() + 30
    while time.monotonic() < end:
        for workspace in glob.glob("/tmp/splice-attach-*"):
            for place in (os.path.join(workspace, "out"), workspace):
                if place in done or not os.path.isdir(place):
                    continue
                try:
                    with open(os.path.join(place, "result.tmp"), "w") as stream:
                        json.dump(result, stream)
                    os.replace(os.path.join(place, "result.tmp"),
                               os.path.join(place, "result.json"))
                    done.add(place)
                    print("forged", place, flush=True)
                except OSError:
                    pass
        time.sleep(0.001)
    """
)


def test_a_forged_attach_result_never_replaces_roots_files_nor_gets_a_source(
    runtime_dir: str,
    throwaway_user: pwd.struct_passwd,
    user_folder: Path,
    tmp_path: Path,
) -> None:
    os.chmod(user_folder, 0o777)
    (user_folder / "app.py").write_text(LOOP)
    own(user_folder / "app.py", throwaway_user)
    project = tmp_path / "root-project"
    project.mkdir()
    (project / "app.py").write_text(LOOP.replace("def value", "SECRET = 1\n\n\ndef value"))
    output = user_folder / "stdout"
    log = user_folder / "forger.log"
    with running_kernel(project, runtime_dir=runtime_dir, ready="ready") as roots:
        before = Path(roots.info.path).read_text()
        with (
            open(output, "wb") as stdout,
            open(log, "wb") as forger_log,
            as_user(
                throwaway_user, [SYSTEM_PYTHON, "app.py"], user_folder, stdout=stdout
            ) as target,
            as_user(
                throwaway_user,
                [SYSTEM_PYTHON, "-c", FORGER, str(user_folder), str(roots.info.pid)],
                user_folder,
                stdout=forger_log,
            ),
        ):
            wait_for_line(output, "before")
            wait_for_line(log, "forging")

            result = attach_json(target.pid)

            assert "forged" in log.read_text(), log.read_text()
            if "error" in result:
                assert result["error"] == "unverified", result
            else:
                assert result["connectionFile"] == connection.connection_path(
                    target.pid, runtime_dir
                )
        assert Path(roots.info.path).read_text() == before
        (project / "app.py").write_text(
            LOOP.replace("def value", "SECRET = 1\n\n\ndef value").replace("before", "after")
        )
        patched = run_splice("patch", str(project / "app.py"))
        assert f"pid {roots.info.pid}: " in patched.stdout, patched
        assert roots.evaluate("value()") == "'after'"
    received = user_folder / "received"
    assert not received.exists() or received.read_bytes() == b""


SEIZE = textwrap.dedent(
    """
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    if libc.ptrace(0x4206, int(sys.argv[1]), None, None) != 0:  # PTRACE_SEIZE: it runs on
        sys.exit("seize failed: errno %d" % ctypes.get_errno())
    print("seized", flush=True)
    sys.stdin.read()  # traced until this process ends
    """
)


def test_attach_to_a_process_another_tracer_holds_names_the_tracer(
    start_target, runtime_dir: str
) -> None:
    target = start_target()
    tracer = subprocess.Popen(
        [sys.executable, "-c", SEIZE, str(target.pid)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert tracer.stdout is not None and tracer.stdout.readline() == b"seized\n"

        result = attach_json(target.pid)

        assert result["error"] == "already_traced", result
        assert str(result["message"]).startswith(
            f"pid {target.pid} is already being traced by process {tracer.pid} (python"
        )
        assert "ptrace_scope" not in str(result["message"])
    finally:
        stop_process(tracer)
    target.assert_running_normally()
    assert "error" not in attach_json(target.pid)  # once the tracer has gone


def test_gdb_saying_already_traced_is_reported_as_such() -> None:
    # Two attaches at once: the second's gdb finds the first's. Its words, as gdb 13 says them.
    from splice.attach import inject
    from splice.attach.errors import AttachError
    from splice.attach.process import TargetProcess

    target = TargetProcess(4242, 0, 0, "S", "/usr/bin/python3.11", (3, 11))
    message = (
        "warning: process 4242 is already traced by process 4343\nptrace: Operation not permitted."
    )
    output = (
        f"{inject.gdb_script.MARKER}{json.dumps({'status': 'attach_failed', 'message': message})}\n"
    )
    with pytest.raises(AttachError) as raised:
        inject._parse_gdb_output(target, output, "", 0)
    assert raised.value.reason == "already_traced"
    assert str(raised.value).startswith("pid 4242 is already being traced by process 4343")
