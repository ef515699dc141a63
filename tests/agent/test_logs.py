"""What splice logs inside a user's program (``splice.logs``): never on their stderr unasked,
never a reason to load ``logging``, and through ``logging`` as usual once they configured it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A connection file others may read: discovery ignores it and logs a warning.
PROGRAM = """
import json, os, sys
before = set(sys.modules)
{setup}
from splice.agent import connection
{configure}
runtime = {runtime!r}
path = os.path.join(runtime, "kernel-1.json")
with open(path, "w") as stream:
    json.dump({{"pid": 1, "transport": "tcp", "address": "127.0.0.1:1", "token": "t"}}, stream)
os.chmod(path, 0o644)
assert connection.discover(runtime) == []
assert len(connection.scan(runtime).ignored) == 1  # the warning was logged
print("logging loaded by splice:", "logging" in set(sys.modules) - before)
"""


def _run(tmp_path: Path, setup: str = "", configure: str = "") -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    script = PROGRAM.format(setup=setup, configure=configure, runtime=str(runtime))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_warning_in_a_program_without_logging_loads_nothing_and_prints_nothing(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "logging loaded by splice: False\n"
    assert done.stderr == ""


def test_a_warning_in_a_program_with_logging_unconfigured_stays_off_its_stderr(
    tmp_path: Path,
) -> None:
    # logging's last-resort handler would print it, but for the NullHandler splice adds.
    done = _run(tmp_path, setup="import logging")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_warning_reaches_a_program_that_configured_logging_after_importing_splice(
    tmp_path: Path,
) -> None:
    configure = (
        "import logging\n"
        "logging.basicConfig(format='%(levelname)s %(name)s %(funcName)s: %(message)s')"
    )
    done = _run(tmp_path, configure=configure)
    assert done.returncode == 0, done.stderr
    file = tmp_path / "runtime" / "kernel-1.json"
    # Named after the module and the function that logged, not splice.logs' forwarding.
    assert done.stderr == (
        f"WARNING splice.agent.connection discover: ignored connection file {file}:"
        " it has mode 0644, so other users may read or replace it (splice writes 0600)\n"
    )
