"""``--watch`` finds a process that starts long after the others (the runtime directory changed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from processes_support import Program, save

HELPER = """\
def label():
    return "alpha"
"""

LATE_WORKER = """\
import multiprocessing
import os
import sys
import time

import helper


def work():
    while True:
        print("worker", os.getpid(), helper.label(), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    print("root", os.getpid(), flush=True)
    # Long enough for the watcher to have read the runtime directory and to trust
    # that reading while the directory stays unchanged (directory_reading.SETTLE).
    time.sleep(float(sys.argv[1]))
    worker = multiprocessing.get_context("fork").Process(target=work, daemon=True)
    worker.start()
    worker.join()
"""


def test_watch_patches_a_process_started_after_the_runtime_directory_settled(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "app.py").write_text(LATE_WORKER)
    program = run_program("--watch", "app.py", "4")
    program.wait_for_stdout("root")
    line = program.wait_for_stdout("worker", timeout=30)
    program.wait_for_processes(2)
    save(tmp_path / "helper.py", HELPER.replace('"alpha"', '"beta"'))
    program.wait_for_stderr("patched helper.py")
    # The worker's own lines say whether it runs the saved code.
    worker = line.split()[1]
    program.wait_for_stdout(f"worker {worker} beta", timeout=15)
