"""``splice attach`` on plain Python processes, then ``splice patch`` changes what they run."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from attach_support import (
    LOOP,
    SERVER,
    SYSTEM_PYTHON,
    attach_json,
    base_python,
    patch_body,
    pyenv_python,
    requires_gdb,
    run_splice,
)

from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

pytestmark = requires_gdb

OTHER_PYTHONS = ("3.10.13", "3.12.1", "3.13.0")


def _interpreters() -> list[object]:
    found: list[object] = [
        pytest.param(base_python(), id=f"{sys.version_info[0]}.{sys.version_info[1]}")
    ]
    for version in OTHER_PYTHONS:
        path = pyenv_python(version)
        marks = [] if path else [pytest.mark.skip(reason=f"pyenv has no CPython {version} here")]
        found.append(pytest.param(path or "", id=version, marks=marks))
    return found


@pytest.mark.parametrize("python", _interpreters())
def test_attach_then_patch_changes_what_the_process_runs(
    start_target, runtime_dir: str, python: str
) -> None:
    target = start_target(python=python)
    target.wait_for("before")

    completed = run_splice("attach", str(target.pid))

    assert completed.returncode == 0, completed.stderr
    path = completed.stdout.strip()
    assert path == connection.connection_path(target.pid, runtime_dir)
    assert Path(path).exists()
    listed = json.loads(run_splice("kernels", "--json").stdout)
    assert [row["pid"] for row in listed] == [target.pid]
    target.script.write_text(target.script.read_text().replace('"before"', '"after"'))
    patch_body(target.script)
    printed = len(target.stdout())
    target.wait_for("after", after=printed)
    assert "before" not in target.stdout()[printed:].split("after", 1)[1]
    target.assert_running_normally()


def test_attach_twice_says_already_attached_and_prints_the_same_file(
    start_target, runtime_dir: str
) -> None:
    target = start_target()
    first = run_splice("attach", str(target.pid))

    second = run_splice("attach", str(target.pid))

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert second.stdout.strip() == f"pid {target.pid} is already attached: {first.stdout.strip()}"
    assert [name for name in os.listdir(runtime_dir) if name.endswith(".json")] == [
        f"kernel-{target.pid}.json"
    ]
    target.assert_running_normally()


def test_attach_to_a_listening_process_whose_file_is_elsewhere_reuses_its_agent(
    start_target, runtime_dir: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    source = (
        f"import sys; sys.path.insert(0, {SERVER!r}); import splice\n"
        f"splice.listen(runtime_dir={str(elsewhere)!r})\n"
        "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.02)\n"
    )
    target = start_target(source)

    result = attach_json(target.pid)

    assert result["already"] is True
    assert result["connectionFile"] == str(elsewhere / f"kernel-{target.pid}.json")


def test_attach_leaves_sys_path_argv_and_main_as_they_were(start_target, runtime_dir: str) -> None:
    source = (
        "import sys, time\n"
        "before = (list(sys.path), list(sys.argv), sorted(vars(sys.modules['__main__'])))\n"
        "print('ready', flush=True)\n"
        "while True:\n    time.sleep(0.02)\n"
    )
    target = start_target(source)

    result = attach_json(target.pid)

    info = connection.read(str(result["connectionFile"]))
    with BlockingKernelClient(info) as client:
        now = client.evaluate(
            "(list(sys.path), list(sys.argv), sorted(set(vars(sys.modules['__main__'])) - {'before'}))"
        )
        before = client.evaluate("before")
        spliced = client.evaluate("sys.modules['splice'].__file__")
        editor_side = client.evaluate(
            "[name for name in sys.modules if name.startswith(('splice.client', 'splice.lsp',"
            " 'pygls', 'lsprotocol', 'parso'))]"
        )
    assert now == before
    assert "sys" in before and SERVER not in before
    assert spliced.strip("'") == str(Path(SERVER, "splice", "__init__.py"))
    assert editor_side == "[]"


def test_attach_reports_the_method_and_the_connection_file_as_json(
    start_target, runtime_dir: str
) -> None:
    target = start_target()

    result = attach_json(target.pid)

    assert result["method"] == "gdb"
    assert result["already"] is False
    assert result["pid"] == target.pid
    assert Path(str(result["connectionFile"])).parent == Path(runtime_dir)


#: A loop that never sleeps or calls into C for long, printing ``value()`` now and then.
BUSY_LOOP = (
    "count = 0\n"
    "while True:\n"
    "    count += 1\n"
    "    if count % 200000 == 0:\n"
    "        print(value(), flush=True)\n"
)


def attach_and_patch_value(target) -> None:
    """Attach to ``target``, patch its ``value()`` to return 'after', and see the loop print it."""
    result = attach_json(target.pid)

    assert "error" not in result
    target.script.write_text(target.script.read_text().replace("'before'", "'after'"))
    patch_body(target.script)
    target.wait_for("after", after=len(target.stdout()))
    target.assert_running_normally()


def test_attach_to_a_busy_pure_python_loop_reaches_it(start_target, runtime_dir: str) -> None:
    source = "def value():\n    return 'before'\n\nprint('ready', flush=True)\n" + BUSY_LOOP
    target = start_target(source)

    attach_and_patch_value(target)


def test_attach_as_root_to_another_users_process_lists_and_patches_it(
    runtime_dir: str, throwaway_user: pwd.struct_passwd
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="splice-attach-test-"))
    script = folder / "app.py"
    script.write_text(LOOP)
    os.chmod(folder, 0o755)
    os.chmod(script, 0o644)
    output = folder / "stdout"
    with open(output, "wb") as stdout:
        process = subprocess.Popen(
            [
                "setpriv",
                f"--reuid={throwaway_user.pw_uid}",
                f"--regid={throwaway_user.pw_gid}",
                "--clear-groups",
                SYSTEM_PYTHON,
                str(script),
            ],
            stdout=stdout,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"},
        )
    try:
        _wait_for_text(output, "before")

        result = attach_json(process.pid)

        assert result["connectionFile"] == connection.connection_path(process.pid, runtime_dir)
        listed = json.loads(run_splice("kernels", "--json").stdout)
        assert [row["pid"] for row in listed] == [process.pid]
        script.write_text(LOOP.replace('"before"', '"after"'))
        patch_body(script)
        _wait_for_text(output, "after")
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_text(path: Path, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, path.read_text(errors="replace")[-300:]
        time.sleep(0.02)


def test_attach_with_a_busy_main_thread_and_a_sleeping_worker_reaches_the_main_thread(
    start_target, runtime_dir: str
) -> None:
    source = (
        "import threading, time\n\n"
        "def value():\n    return 'before'\n\n"
        "threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()\n"
        "print('ready', flush=True)\n" + BUSY_LOOP
    )
    target = start_target(source)

    attach_and_patch_value(target)


def test_an_attached_process_exits_normally_and_removes_its_connection_file(
    start_target, runtime_dir: str
) -> None:
    source = (
        "import os, time\nprint('ready', flush=True)\n"
        "while not os.path.exists('stop'):\n    time.sleep(0.02)\n"
    )
    target = start_target(source)
    path = Path(str(attach_json(target.pid)["connectionFile"]))
    assert path.exists()

    Path(target.script.parent, "stop").touch()

    assert target.process.wait(timeout=10) == 0
    assert not path.exists()
    assert Path(str(target.output) + ".err").read_text() == ""
