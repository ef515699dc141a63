"""A process forked without exec inherited its parent's imports: its parent's start time counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from recovery_support import MYMOD, settled, wait_until

from kernel_support import kernel_env
from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

#: Imports mymod; once ``go`` exists, forks a child that starts the agent.
APP = """\
import os, time
import mymod

print("imported", flush=True)
while not os.path.exists("go"):
    time.sleep(0.01)
time.sleep(0.05)
if os.fork() == 0:
    import splice

    splice.listen()
    while True:
        time.sleep(0.05)
while True:
    time.sleep(0.05)
"""


def test_forked_child_does_not_vouch_for_a_file_edited_after_its_parent_imported_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "mymod.py").write_text(MYMOD + "\nTABLE = dict(size=1)\n")
    (tmp_path / "app.py").write_text(APP)
    time.sleep(0.05)
    runtime = tempfile.mkdtemp(prefix="splice-rt-")
    output = tmp_path / "stdout"
    with open(output, "wb") as stdout:
        parent = subprocess.Popen(
            [sys.executable, "app.py"], cwd=tmp_path, env=kernel_env(runtime), stdout=stdout
        )
    try:
        wait_until(lambda: "imported" in output.read_text(), what="the parent's import")
        # Only a statement changes: the live objects cannot show it, only the file times can.
        (tmp_path / "mymod.py").write_text(MYMOD + "\nTABLE = dict(size=2)\n")
        (tmp_path / "go").touch()
        info = wait_until(lambda: connection.discover(runtime), what="the child's kernel")[0]
        assert info.pid != parent.pid

        with BlockingKernelClient(info) as client:
            entry = wait_until(lambda: settled(client.modules(), "mymod"), what="mymod")

        assert entry["baseline"] == "unconfirmed", entry
        assert "written after the process started" in entry["baselineReason"]
    finally:
        for kernel in connection.discover(runtime):
            os.kill(kernel.pid, signal.SIGKILL)
        parent.kill()
        parent.wait(timeout=10)
