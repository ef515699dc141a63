"""A second local user for attack tests, and processes started with a chosen pid (importable as ``users_support``).

``other_user`` is a throwaway account made with ``useradd`` for a test
module and deleted afterwards. It needs root (as CI has); elsewhere the test
is skipped with the reason, except under CI or ``SPLICE_E2E=required``,
where a skip would hide a gap, so it fails. The attacker's code runs in the
system Python as that user, with the standard library only, as a real other
user would.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

ATTACKER_PYTHON = "/usr/bin/python3"
#: Writing the last pid handed out makes the next fork get the one after it (root only).
LAST_PID = "/proc/sys/kernel/ns_last_pid"

User = tuple[str, int, int]


def required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("SPLICE_E2E") == "required"


def unavailable(problem: str) -> None:
    if required():
        pytest.fail(f"{problem} (required under CI)")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def other_user() -> Iterator[User]:
    """A throwaway local account (name, uid, gid), deleted afterwards."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        unavailable("needs root to create a second local user with useradd")
    if shutil.which("useradd") is None or not os.path.exists(ATTACKER_PYTHON):
        unavailable(f"needs useradd and {ATTACKER_PYTHON}")
    import pwd

    name = f"splice-attack-{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )
    try:
        record = pwd.getpwnam(name)
        yield name, record.pw_uid, record.pw_gid
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def as_user(user: User, args: list[str], **options: Any) -> dict[str, Any]:
    """Popen keyword arguments that run ``args`` in the attacker's Python as ``user``."""
    _, uid, gid = user
    return dict(
        args=[ATTACKER_PYTHON, "-I", *args],
        user=uid,
        group=gid,
        extra_groups=[],
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        **options,
    )


def attack(user: User, code: str) -> str:
    """Run ``code`` as ``user``; what it printed."""
    completed = subprocess.run(
        **as_user(user, ["-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=30)
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def start_with_pid(pid: int, **popen: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(**popen)`` as process ``pid`` (free by now), by setting the last pid.

    What an attacker without root gets by forking until the pid comes round
    (31,497 forks in 56 s, in the attack that issue 20 reports); root can
    ask for it. Skips where the system has no such knob or it is not ours.
    """
    if not os.path.exists(LAST_PID) or not os.access(LAST_PID, os.W_OK) or os.geteuid() != 0:
        unavailable(f"needs root and {LAST_PID} to give a new process a chosen pid")
    for _ in range(50):  # another process may fork between the write and ours
        with open(LAST_PID, "w") as stream:
            stream.write(str(pid - 1))
        process = subprocess.Popen(**popen)
        if process.pid == pid:
            return process
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    raise AssertionError(f"could not start a process as pid {pid}")
