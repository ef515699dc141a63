"""Each way attach can fail, on a real process: a specific message, and the process as it was."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from attach_support import (
    SERVER,
    SYSTEM_PYTHON,
    attach_json,
    pyenv_python,
    requires_gdb,
    run_splice,
)


def test_attach_to_a_pid_that_does_not_exist_says_so(runtime_dir: str) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()

    result = attach_json(finished.pid)

    assert result["error"] == "no_such_process"
    assert result["message"] == f"no process with pid {finished.pid}"


def test_attach_to_a_process_that_is_not_python_says_so(runtime_dir: str) -> None:
    sleeper = subprocess.Popen(["sleep", "100"])
    try:
        result = attach_json(sleeper.pid)

        assert result["error"] == "not_python"
        assert f"pid {sleeper.pid} (sleep) is not a Python process" in str(result["message"])
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("version", ["3.9.18", "3.8.18"])
def test_attach_to_a_python_older_than_3_10_names_its_version(
    start_target, runtime_dir: str, version: str
) -> None:
    python = pyenv_python(version)
    if python is None:
        pytest.skip(f"pyenv has no CPython {version} here")
    target = start_target(python=python)

    result = attach_json(target.pid)

    assert result["error"] == "python_too_old"
    short = version.rsplit(".", 1)[0]
    assert f"runs Python {short}; splice attach needs CPython 3.10 or newer" in str(
        result["message"]
    )
    target.assert_running_normally()


def test_attach_to_a_stopped_process_asks_to_continue_it(start_target, runtime_dir: str) -> None:
    target = start_target()
    os.kill(target.pid, signal.SIGSTOP)
    try:
        _wait_for_state(target, "T")

        result = attach_json(target.pid)

        assert result["error"] == "process_stopped"
        assert f"kill -CONT {target.pid}" in str(result["message"])
        assert target.state().startswith("T")  # as it was: stopped by its user, not by us
    finally:
        os.kill(target.pid, signal.SIGCONT)
    target.assert_running_normally()


@requires_gdb
def test_attach_without_gdb_on_path_says_how_to_install_it(
    start_target, runtime_dir: str, tmp_path: Path
) -> None:
    target = start_target()
    empty = tmp_path / "empty-bin"
    empty.mkdir()

    result = attach_json(target.pid, PATH=str(empty))

    assert result["error"] == "gdb_missing"
    assert "gdb is not installed (not on PATH)" in str(result["message"])
    assert "apt-get install gdb" in str(result["message"])
    target.assert_running_normally()


def test_attach_with_splice_gdb_pointing_nowhere_names_the_path(
    start_target, runtime_dir: str, tmp_path: Path
) -> None:
    target = start_target()
    missing = tmp_path / "no-such-gdb"

    result = attach_json(target.pid, SPLICE_GDB=str(missing))

    assert result["error"] == "gdb_missing"
    assert f"gdb not found at {missing} ($SPLICE_GDB)" in str(result["message"])
    assert "apt-get install gdb" in str(result["message"])
    target.assert_running_normally()


# A main thread that never returns to the eval loop: pause() called through
# PyDLL keeps the GIL and sleeps in the kernel until a signal arrives.
STUCK_IN_C = """\
import ctypes, signal, time
signal.signal(signal.SIGUSR1, lambda number, frame: None)
print("ready", flush=True)
ctypes.PyDLL(None).pause()
print("woke", flush=True)
while True:
    print("tick", flush=True)
    time.sleep(0.02)
"""


@requires_gdb
def test_attach_to_a_process_stuck_in_c_times_out_and_leaves_it_running(
    start_target, runtime_dir: str
) -> None:
    target = start_target(STUCK_IN_C)
    began = time.monotonic()

    result = attach_json(target.pid, "--timeout", "1.5")

    assert result["error"] == "timeout"
    assert time.monotonic() - began < 15
    message = str(result["message"])
    assert f"pid {target.pid} did not reach a safe point within the timeout" in message
    # What it left, said as it is: not "nothing was changed".
    assert "The bootstrap was cancelled before it started: gdb queued the bootstrap" in message
    assert "the page holding its code (4 KiB)" in message
    assert "Nothing was changed" not in message
    assert target.process.poll() is None
    assert target.state().startswith("S"), target.state()
    # When it does come back to Python, the cancelled bootstrap stays cancelled.
    os.kill(target.pid, signal.SIGUSR1)
    target.wait_for("tick")
    time.sleep(0.3)
    assert os.listdir(runtime_dir) == []
    assert run_splice("kernels", "--json").stdout.strip() == "[]"
    target.assert_running_normally()


@requires_gdb
def test_attach_to_a_process_with_another_splice_module_fails_and_leaves_it_running(
    start_target, runtime_dir: str
) -> None:
    source = (
        "import sys, time\nimport splice\n"
        "print('ready', flush=True)\nwhile True:\n    print('tick', flush=True)\n"
        "    time.sleep(0.02)\n"
    )
    target = start_target(source, files={"splice.py": "NAME = 'not the splice you want'\n"})

    result = attach_json(target.pid)

    assert result["error"] == "bootstrap_failed"
    message = str(result["message"])
    assert f"the splice agent could not start in pid {target.pid}" in message
    assert "this process already imported another module named splice" in message
    assert os.listdir(runtime_dir) == []
    target.assert_running_normally()


# ptrace permissions: a throwaway unprivileged user, running the attacher with
# the system Python and this checkout on PYTHONPATH.


def _as_user(
    user: pwd.struct_passwd, *command: str, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": SERVER,
        "HOME": "/tmp",
        "SPLICE_RUNTIME_DIR": f"/tmp/splice-attach-test-{user.pw_uid}",
    }
    return subprocess.run(
        ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def test_attach_as_another_user_to_a_root_process_is_refused_with_what_to_do(
    start_target, runtime_dir: str, throwaway_user: pwd.struct_passwd
) -> None:
    target = start_target()

    completed = _as_user(throwaway_user, SYSTEM_PYTHON, "-m", "splice", "attach", str(target.pid))

    assert completed.returncode == 1, completed
    message = completed.stderr
    assert f"pid {target.pid} belongs to another user (uid 0); ptrace is not permitted" in message
    assert "as root (or with CAP_SYS_PTRACE)" in message
    target.assert_running_normally()


@requires_gdb
def test_attach_to_a_non_dumpable_process_of_ones_own_is_refused_with_what_to_do(
    throwaway_user: pwd.struct_passwd,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="splice-attach-test-"))  # readable by the user
    script = folder / "private.py"
    script.write_text(
        "import ctypes, time\n"
        "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, even by us\n"
        "print('ready', flush=True)\nwhile True:\n    time.sleep(0.02)\n"
    )
    os.chmod(folder, 0o755)
    os.chmod(script, 0o644)
    target = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={throwaway_user.pw_uid}",
            f"--regid={throwaway_user.pw_gid}",
            "--clear-groups",
            SYSTEM_PYTHON,
            str(script),
        ],
        stdout=subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    try:
        assert target.stdout is not None and target.stdout.readline() == b"ready\n"

        completed = _as_user(
            throwaway_user, SYSTEM_PYTHON, "-m", "splice", "attach", str(target.pid)
        )

        assert completed.returncode == 1, completed
        assert "ptrace" in completed.stderr and "CAP_SYS_PTRACE" in completed.stderr, completed
        assert target.poll() is None
    finally:
        target.kill()
        target.wait()
        if target.stdout is not None:
            target.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_state(target: object, letter: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not target.state().startswith(letter):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, target.state()  # type: ignore[attr-defined]
        time.sleep(0.01)


assert sys.platform.startswith("linux"), "splice attach reads /proc"
