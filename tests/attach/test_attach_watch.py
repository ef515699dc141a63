"""``splice attach PID --watch``: a process started without splice follows saves, no editor needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from attach_support import requires_gdb, run_splice

pytestmark = requires_gdb


def _lines(process: subprocess.Popen[str], collected: list[str], text: str) -> str:
    """Read the attacher's stdout until a line holds ``text``."""
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        collected.append(line.rstrip("\n"))
        if text in line:
            return line
    raise AssertionError(f"never printed {text!r}: {collected}")


def test_attach_watch_patches_the_process_on_every_save_until_stopped(
    start_target, runtime_dir: str
) -> None:
    target = start_target()
    target.wait_for("before")
    watching = subprocess.Popen(
        [sys.executable, "-m", "splice", "attach", str(target.pid), "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    printed: list[str] = []
    try:
        _lines(watching, printed, f"splice watch: patching pid {target.pid}")
        time.sleep(1.0)  # the watcher has met the process and read what it runs
        for word in ("after", "again"):
            source = target.script.read_text()
            target.script.write_text(source.replace(source.split('"')[1], word, 1))
            stamp = time.time() + 1
            os.utime(target.script, (stamp, stamp))
            line = _lines(watching, printed, "patched app.py")
            assert line.startswith("patched app.py: value changed"), printed
            seen = len(target.stdout())
            target.wait_for(word, after=seen)
        watching.send_signal(signal.SIGINT)
        assert watching.wait(timeout=20) == 0, watching.stderr.read() if watching.stderr else ""
    finally:
        if watching.poll() is None:
            watching.kill()
        watching.wait()
        for stream in (watching.stdout, watching.stderr):
            if stream is not None:
                stream.close()
    target.assert_running_normally()


def test_attach_watch_refuses_json() -> None:
    completed = run_splice("attach", "1", "--watch", "--json")
    assert completed.returncode == 2
    assert "takes no --json" in completed.stderr
