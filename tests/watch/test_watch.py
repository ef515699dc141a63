"""``splice run --watch``: a real program in a subprocess, patched when its files are saved."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PROGRAM = """\
import time
import helper

def value():
    return "one"

for _ in range(400):
    print(value(), helper.label(), flush=True)
    time.sleep(0.05)
"""

HELPER = """\
def label():
    return "alpha"
"""


class Running:
    """A ``splice run --watch`` subprocess whose output lines are read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.pumps = [
            threading.Thread(
                target=self._pump, args=(process.stdout, self.stdout.put), daemon=True
            ),
            threading.Thread(
                target=self._pump, args=(process.stderr, self.stderr.append), daemon=True
            ),
        ]
        for pump in self.pumps:
            pump.start()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        for pump in self.pumps:
            pump.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    @staticmethod
    def _pump(stream: object, sink: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink(line.rstrip("\n"))  # type: ignore[operator]

    def wait_for_output(self, expected: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=0.2)
            except queue.Empty:
                continue
            if line == expected:
                return line
        raise AssertionError(f"never printed {expected!r}; stderr: {self.stderr}")

    def wait_for_stderr(self, fragment: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stderr):
                if fragment in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"stderr never said {fragment!r}: {self.stderr}")


@pytest.fixture
def program(tmp_path: Path) -> Iterator[Running]:
    (tmp_path / "app.py").write_text(PROGRAM)
    (tmp_path / "helper.py").write_text(HELPER)
    with running_watch(tmp_path) as running:
        running.wait_for_output("one alpha")
        yield running


@contextlib.contextmanager
def running_watch(tmp_path: Path) -> Iterator[Running]:
    env = {
        **os.environ,
        "SPLICE_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "splice", "run", "--watch", "app.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = Running(process)
    try:
        yield running
    finally:
        running.stop()


def save(path: Path, text: str) -> None:
    # A fresh mtime even on file systems with coarse timestamps.
    path.write_text(text)
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


def test_watch_patches_the_script_on_save(program: Running, tmp_path: Path) -> None:
    save(tmp_path / "app.py", PROGRAM.replace('return "one"', 'return "two"'))

    program.wait_for_output("two alpha")
    line = program.wait_for_stderr("patched app.py")
    assert "value changed" in line and line.endswith(" ms")


def test_watch_patches_an_imported_module_of_the_project(program: Running, tmp_path: Path) -> None:
    save(tmp_path / "helper.py", HELPER.replace("alpha", "beta"))

    program.wait_for_output("one beta")
    assert "label changed" in program.wait_for_stderr("patched helper.py")


def test_watch_survives_a_save_that_replaces_the_file(program: Running, tmp_path: Path) -> None:
    replacement = tmp_path / "app.py.tmp"
    replacement.write_text(PROGRAM.replace('return "one"', 'return "three"'))
    os.replace(replacement, tmp_path / "app.py")

    program.wait_for_output("three alpha")


def test_watch_reports_a_syntax_error_with_its_line_and_keeps_running(
    program: Running, tmp_path: Path
) -> None:
    save(tmp_path / "app.py", PROGRAM.replace('return "one"', 'return "one" +'))

    line = program.wait_for_stderr("not patched app.py")
    assert "line 5" in line
    program.wait_for_stderr("[syntax-error]")
    # The summary says it once; the finding under it does not repeat it.
    assert sum(text.count("nothing was changed") for text in program.stderr) == 1, program.stderr
    program.wait_for_output("one alpha")
    save(tmp_path / "app.py", PROGRAM.replace('return "one"', 'return "four"'))
    program.wait_for_output("four alpha")


def test_watch_never_reruns_a_changed_top_level_statement(program: Running, tmp_path: Path) -> None:
    edited = PROGRAM.replace('return "one"', 'return "five"').replace(
        "import helper\n", "import helper\nprint('side effect', flush=True)\n"
    )
    save(tmp_path / "app.py", edited)

    program.wait_for_output("five alpha")
    summary = program.wait_for_stderr("patched app.py")
    assert "1 statement skipped (line 3)" in summary
    detail = program.wait_for_stderr("not run:")
    assert detail == "  app.py:3: not run: print('side effect', flush=True) [statement-not-run]"
    for _ in range(10):
        assert program.stdout.get(timeout=2) != "side effect"


def test_watch_reports_a_new_decorator_raising_system_exit_and_keeps_watching(
    program: Running, tmp_path: Path
) -> None:
    exiting = (
        HELPER
        + "\n\ndef stop(function):\n    raise SystemExit(3)\n\n\n@stop\ndef added():\n    pass\n"
    )
    save(tmp_path / "helper.py", exiting)

    line = program.wait_for_stderr("not patched helper.py")
    assert "raised SystemExit: 3" in line and "nothing was changed" in line
    program.wait_for_output("one alpha")
    save(tmp_path / "helper.py", HELPER.replace("alpha", "gamma"))
    program.wait_for_output("one gamma")
    assert program.process.poll() is None


RENAMED_HELPER = """\
def title():
    return "alpha"
"""

IMPORTING_PROGRAM = """\
import time
from helper import label

def show():
    print("one", label(), flush=True)

for _ in range(400):
    show()
    time.sleep(0.05)
"""


def test_watch_patches_files_saved_together_in_import_order(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(IMPORTING_PROGRAM)
    (tmp_path / "helper.py").write_text(HELPER)
    with running_watch(tmp_path) as program:
        program.wait_for_output("one alpha")
        # A rename and its importer, seen by one poll: app.py sorts first, but needs helper.py.
        (tmp_path / "app.tmp").write_text(
            IMPORTING_PROGRAM.replace("label", "title").replace('"one"', '"six"')
        )
        (tmp_path / "helper.tmp").write_text(RENAMED_HELPER)
        os.replace(tmp_path / "helper.tmp", tmp_path / "helper.py")
        os.replace(tmp_path / "app.tmp", tmp_path / "app.py")
        program.wait_for_output("six alpha")
        assert program.wait_for_stderr("patched app.py").startswith("patched app.py: show changed")
        assert not any("ImportError" in line or "not patched" in line for line in program.stderr), (
            program.stderr
        )
        order = [line.split(":")[0] for line in program.stderr if line.startswith("patched")]
        assert order == ["patched helper.py", "patched app.py"], program.stderr
