"""Runtime directories: a shared one is refused, never tightened; a hijacked fallback is avoided."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from kernel_support import kernel_env, stop_process, wait_for_connection_file

APP = textwrap.dedent(
    """
    import time

    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


def splice(env, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "splice", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def shared(tmp_path):
    """A directory like /tmp: world-writable with the sticky bit."""
    path = tmp_path / "shared"
    path.mkdir()
    os.chmod(path, 0o1777)
    (tmp_path / "app.py").write_text(APP)
    return path


def test_splice_run_refuses_a_shared_runtime_dir_and_leaves_its_mode(tmp_path, shared):
    completed = splice(kernel_env(str(shared)), "run", "app.py", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""  # the program did not start half-configured
    [line] = completed.stderr.splitlines()
    assert line.startswith(f"splice run: SPLICE_RUNTIME_DIR={shared} is writable by other users")
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777


@pytest.mark.parametrize("command", [["kernels"], ["patch", "app.py"]])
def test_clients_refuse_a_shared_runtime_dir_in_one_line(tmp_path, shared, command):
    completed = splice(kernel_env(str(shared)), *command, cwd=tmp_path)
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert f"SPLICE_RUNTIME_DIR={shared} is writable by other users" in line
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to give the fallback directory to another user (chown)",
)
def test_a_fallback_dir_taken_by_another_user_gives_way_to_a_private_one(tmp_path):
    temporary, home = tmp_path / "tmp", tmp_path / "home"
    temporary.mkdir()
    home.mkdir()
    taken = temporary / f"splice-{os.getuid()}"
    taken.mkdir(mode=0o777)
    os.chown(taken, 65534, 65534)  # nobody: as if they had created it first
    (tmp_path / "app.py").write_text(APP)
    env = kernel_env("", {"TMPDIR": str(temporary), "HOME": str(home), "XDG_RUNTIME_DIR": ""})
    private = home / ".cache" / "splice" / "runtime"
    stderr_path = tmp_path / "stderr"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "splice", "run", "app.py"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        info = wait_for_connection_file(process, str(private), stderr_path=str(stderr_path))
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        listed = splice(env, "kernels", "--json")
        assert listed.returncode == 0, listed.stderr
        assert f'"pid": {info.pid}' in listed.stdout
        # The warning goes to splice's logger, which the program did not configure.
        assert stderr_path.read_text() == ""
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
        assert os.listdir(taken) == []
    finally:
        stop_process(process)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def small_disk(tmp_path):
    """``mount(options)``: a private tmpfs at a new folder (root only), unmounted afterwards."""
    mounted = []

    def mount(options: str) -> str:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir(mode=0o700)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"{options},mode=0700", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(folder)
        return str(folder)

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.mark.parametrize(
    ("state", "reason"),
    [("read-only", "Read-only file system"), ("full", "No space left on device")],
)
@pytest.mark.parametrize("transport", ["--unix-socket", "--tcp"])
def test_splice_run_with_an_unwritable_runtime_dir_says_so_in_one_line(
    small_disk, tmp_path, state, reason, transport
):
    (tmp_path / "app.py").write_text(APP)
    if state == "read-only":
        directory = small_disk("ro,size=64k")
    else:
        directory = small_disk("size=16k")
        with open(os.path.join(directory, "filler"), "wb") as filler, contextlib.suppress(OSError):
            filler.write(b"\0" * 65536)
    done = splice(kernel_env(directory), "run", transport, "app.py", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"splice run: cannot publish the kernel's connection file in {directory}: {reason}"
        " (is the disk full or read-only? SPLICE_RUNTIME_DIR=DIR picks another directory);"
        " the program was not started\n"
    )
    assert sorted(os.listdir(directory)) == ([] if state == "read-only" else ["filler"])
