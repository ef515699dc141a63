"""A late ``splice.listen()`` in a real program: modules imported before it get verified baselines."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from recovery_support import (
    FIVE_EDITS_AFTER,
    FIVE_EDITS_BEFORE,
    FIVE_EDITS_CHECK,
    MYMOD,
    five_edits,
    settled,
    wait_until,
)

from kernel_support import (
    RunningKernel,
    kernel_env,
    running_program,
    stop_process,
    wait_for_connection_file,
)

#: Imports mymod, then (once ``go`` exists) starts the agent, then idles.
LATE_LISTEN = """\
import os, time
import mymod

print("imported", flush=True)
while not os.path.exists("go"):
    time.sleep(0.01)
import splice

splice.listen()
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def _write_project(folder: Path, main: str = LATE_LISTEN, mymod: str = MYMOD) -> None:
    (folder / "mymod.py").write_text(mymod)
    (folder / "app.py").write_text(main)
    # /proc counts a process's start in 10 ms ticks: start clearly after the files were written.
    time.sleep(0.05)


@contextlib.contextmanager
def _listening_after_edit(folder: Path, edited: str) -> Iterator[RunningKernel]:
    """The program imports mymod; then mymod.py is edited; then the program listens."""
    runtime_dir = tempfile.mkdtemp(prefix="splice-rt-")
    output = folder / "stdout"
    with open(output, "wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=folder,
            env=kernel_env(runtime_dir),
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
    try:
        wait_until(lambda: "imported" in output.read_text(), what="the program's import")
        (folder / "mymod.py").write_text(edited)
        (folder / "go").touch()
        info = wait_for_connection_file(process, runtime_dir)
        yield RunningKernel(info, process, runtime_dir, str(folder))
    finally:
        stop_process(process)


def _verdict(kernel: RunningKernel, name: str) -> dict[str, object]:
    entry = wait_until(
        lambda: settled(kernel.request("modules")["modules"], name), what=f"a verdict on {name}"
    )
    assert isinstance(entry, dict)
    return entry


def test_late_listen_unchanged_module_gets_a_verified_baseline_and_five_edits_apply(
    tmp_path: Path,
) -> None:
    _write_project(tmp_path)
    (tmp_path / "go").touch()
    with running_program(tmp_path, "app.py", ready="ready") as kernel:
        entry = _verdict(kernel, "mymod")
        assert entry["baseline"] == "verified", entry
        # Its decorators' wrappers show which decorator made them: no file times needed.
        assert "matches the live objects" in str(entry["baselineReason"])
        assert kernel.request("baseline", {"module": "mymod"})["source"] == MYMOD
        assert kernel.evaluate(FIVE_EDITS_CHECK) == FIVE_EDITS_BEFORE
        edited = five_edits(MYMOD)
        (tmp_path / "mymod.py").write_text(edited)

        result = kernel.patch("mymod", edited)

        assert result.ok, result.summary()
        assert not result.skipped, result.skipped
        assert result.rebound == ("title",) and result.deleted == ("doomed",)
        assert kernel.evaluate(FIVE_EDITS_CHECK) == FIVE_EDITS_AFTER


def test_late_listen_edited_module_differs_and_its_edit_still_applies(tmp_path: Path) -> None:
    _write_project(tmp_path)
    edited = MYMOD.replace('"old body"', '"edited before the agent"')
    with _listening_after_edit(tmp_path, edited) as kernel:
        entry = _verdict(kernel, "mymod")
        assert entry["baseline"] == "differs", entry
        assert "body (line" in str(entry["baselineReason"])
        assert kernel.request("baseline", {"module": "mymod"})["source"] is None

        result = kernel.patch("mymod", edited)

        assert result.ok and result.changed == ("body",), result.summary()
        assert kernel.evaluate("mymod.body()") == "'edited before the agent'"


def test_late_listen_main_module_default_only_edit_applies(tmp_path: Path) -> None:
    main = (
        "import time\n\n\ndef greet(name='world'):\n    return 'hello ' + name\n\n\n"
        "import splice\n\nsplice.listen()\nprint('ready', flush=True)\n"
        "while True:\n    time.sleep(0.05)\n"
    )
    _write_project(tmp_path, main=main)
    with running_program(tmp_path, "app.py", ready="ready") as kernel:
        entry = _verdict(kernel, "__main__")
        assert entry["baseline"] == "verified", entry

        result = kernel.patch("__main__", main.replace("name='world'", "name='splice'"))

        assert result.ok and result.changed == ("greet",), result.summary()
        assert kernel.evaluate("greet()") == "'hello splice'"


def test_listen_before_the_definitions_below_it_ran_still_verifies_main(tmp_path: Path) -> None:
    main = (
        "import time\nimport splice\n\nsplice.listen()\ntime.sleep(0.5)\n\n\n"
        "def doomed():\n    return 1\n\n\ndef greet(name='world'):\n    return 'hello ' + name\n\n\n"
        "print('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"
    )
    _write_project(tmp_path, main=main)
    with running_program(tmp_path, "app.py", ready="ready") as kernel:
        entry = _verdict(kernel, "__main__")
        assert entry["baseline"] == "verified", entry
        edited = main.replace("def doomed():\n    return 1\n\n\n", "").replace("'world'", "'you'")

        result = kernel.patch("__main__", edited)

        assert result.ok and result.deleted == ("doomed",), result.summary()
        assert kernel.evaluate("(greet(), 'doomed' in globals())") == "('hello you', False)"
