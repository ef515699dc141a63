"""``splice kernels`` and ``splice patch``, run as commands against real kernels."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import pytest

from kernel_support import kernel_env, running_kernel
from splice.agent import connection

APP = """import time


def price(amount):
    return amount * 2


def label():
    return "old"


print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def splice_command(runtime_dir, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "splice", *args],
        env=kernel_env(runtime_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def kernel(project):
    with running_kernel(project, ready="ready") as running:
        yield running


def edit(project, old, new):
    path = project / "app.py"
    path.write_text(path.read_text().replace(old, new))


def test_patch_prints_one_line_and_exits_0_when_fully_applied(project, kernel):
    edit(project, "amount * 2", "amount * 3")
    done = splice_command(kernel.runtime_dir, "patch", str(project / "app.py"))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        rf"pid {kernel.info.pid}: patched app.py: price changed in \d+(\.\d)? ms\n", done.stdout
    )
    assert kernel.evaluate("price(10)") == "30"


def test_patch_exits_0_and_names_the_line_of_a_skipped_statement(project, kernel):
    edit(project, "import time\n", "import time\nprint('side effect')\n")
    done = splice_command(kernel.runtime_dir, "patch", str(project / "app.py"))
    # Applied: a statement not run is information, printed; 1 is for "not applied".
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 statement skipped (line 2)" in done.stdout
    assert kernel.stdout() == "ready\n"


def test_patch_exits_1_and_reports_an_error_when_nothing_was_applied(project, kernel):
    edit(project, "return amount * 2", "return amount *")
    done = splice_command(kernel.runtime_dir, "patch", str(project / "app.py"))
    assert done.returncode == 1
    assert f"pid {kernel.info.pid}: not patched app.py:" in done.stdout
    assert f"  {project / 'app.py'}:5: error: [syntax-error]" in done.stdout
    assert kernel.evaluate("price(10)") == "20"


def test_patch_dry_run_changes_nothing(project, kernel):
    edit(project, "amount * 2", "amount * 3")
    done = splice_command(kernel.runtime_dir, "patch", "--dry-run", str(project / "app.py"))
    assert done.returncode == 0
    assert "would patch app.py: price changed" in done.stdout
    assert kernel.evaluate("price(10)") == "20"


def test_patch_only_patches_the_named_definition(project, kernel):
    edit(project, "amount * 2", "amount * 3")
    edit(project, '"old"', '"new"')
    done = splice_command(kernel.runtime_dir, "patch", "--only", "label", str(project / "app.py"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (kernel.evaluate("label()"), kernel.evaluate("price(10)")) == ("'new'", "20")


def test_patch_json_output_holds_the_patch_result(project, kernel):
    edit(project, '"old"', '"new"')
    done = splice_command(kernel.runtime_dir, "patch", "--json", str(project / "app.py"))
    report = json.loads(done.stdout)
    assert report["file"] == str((project / "app.py").resolve())
    (entry,) = report["kernels"]
    assert entry["pid"] == kernel.info.pid and entry["ok"] is True
    assert entry["results"][0]["changed"] == ["label"]


def test_patch_reaches_every_kernel_running_the_file(project):
    with (
        running_kernel(project, ready="ready") as first,
        running_kernel(project, runtime_dir=first.runtime_dir, ready="ready") as second,
    ):
        edit(project, "amount * 2", "amount * 5")
        done = splice_command(first.runtime_dir, "patch", str(project / "app.py"))
        assert done.returncode == 0, done.stderr
        assert sorted(line.split(":")[0] for line in done.stdout.splitlines()) == sorted(
            [f"pid {first.info.pid}", f"pid {second.info.pid}"]
        )
        assert first.evaluate("price(1)") == second.evaluate("price(1)") == "5"


def test_patch_without_kernels_says_none_was_found(tmp_path, project):
    done = splice_command(str(tmp_path / "empty"), "patch", str(project / "app.py"))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("splice patch: no kernel found")


def test_patch_a_file_no_kernel_runs_is_reported(project, kernel):
    (project / "other.py").write_text("x = 1\n")
    done = splice_command(kernel.runtime_dir, "patch", str(project / "other.py"))
    assert done.returncode == 2
    assert "no kernel has" in done.stderr and "other.py loaded" in done.stderr


def test_patch_to_a_named_kernel_that_lacks_the_file_says_so(project, kernel):
    (project / "other.py").write_text("x = 1\n")
    done = splice_command(
        kernel.runtime_dir, "patch", "--kernel", str(kernel.info.pid), str(project / "other.py")
    )
    assert done.returncode == 1
    assert done.stderr == f"pid {kernel.info.pid}: other.py is not loaded in that kernel\n"


def test_patch_with_a_wrong_token_says_so(tmp_path, project, kernel):
    forged = dataclasses.replace(kernel.info, token="forged", path=str(tmp_path / "forged.json"))
    connection.write(forged)
    done = splice_command(
        kernel.runtime_dir, "patch", "--kernel", forged.path, str(project / "app.py")
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"pid {kernel.info.pid}: not that kernel: the process at")
    assert "gave a wrong proof of the token" in done.stderr


def test_patch_to_a_dead_kernel_says_it_died(tmp_path, project):
    # A live pid (this test) whose socket does not exist: what a hung or dying kernel looks like.
    unreachable = dataclasses.replace(
        _any_info(tmp_path), pid=os.getpid(), address="127.0.0.1:1", path=str(tmp_path / "k.json")
    )
    connection.write(unreachable)
    done = splice_command(
        str(tmp_path), "patch", "--kernel", unreachable.path, str(project / "app.py")
    )
    assert done.returncode == 1
    assert "kernel died or is unreachable" in done.stderr


def test_patch_to_a_pid_without_kernel_says_none_was_found(tmp_path, project):
    done = splice_command(str(tmp_path), "patch", "--kernel", "999999", str(project / "app.py"))
    assert done.returncode == 2
    assert done.stderr.startswith("splice patch: no kernel found for pid 999999")


def test_kernels_lists_pid_parent_role_program_python_and_address(project, kernel):
    done = splice_command(kernel.runtime_dir, "kernels")
    header, row = done.stdout.splitlines()
    assert header.split() == [
        *("PID", "PARENT", "ROLE", "PROGRAM", "PYTHON", "UPTIME", "ADDRESS", "COMMAND")
    ]
    info = kernel.info
    assert row.split()[:4] == [str(info.pid), str(info.parent_pid), "main", "app.py"]
    assert row.split()[6] == info.address


def test_kernels_json_omits_the_token(project, kernel):
    (entry,) = json.loads(splice_command(kernel.runtime_dir, "kernels", "--json").stdout)
    assert entry["pid"] == kernel.info.pid and "token" not in entry


def test_kernels_with_none_running_says_how_to_start_one(tmp_path):
    done = splice_command(str(tmp_path), "kernels")
    assert done.returncode == 0 and "start one with: splice run" in done.stdout


def _any_info(directory):
    return connection.ConnectionInfo(
        pid=0,
        transport="tcp",
        address="",
        token="t",
        protocol_version=2,
        python="",
        executable="",
        cwd=str(directory),
        argv=(),
        program="app.py",
        started_at=0.0,
        path="",
    )
