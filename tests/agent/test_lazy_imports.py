"""What starting an agent and ``splice patch`` load: only what they need (docs/benchmarks.md, "Cost at scale").

Every process that starts an agent (every pool worker of a program under
``splice run``) pays for what ``listen()`` imports; the engine loads with the
first request that needs it. ``splice patch`` is a short-lived command: no
event loop, no engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kernel_support import kernel_env, running_kernel

LISTEN = """
import sys
before = set(sys.modules)
sys.path.insert(0, {folder!r})
import splice
info = splice.listen()
loaded = sorted(name for name in sys.modules if name.startswith("splice.engine."))
deferred = [name for name in {deferred!r} if name in sys.modules]
unneeded = sorted(name for name in {unneeded!r} if name in set(sys.modules) - before)
typing_loaded = "typing" in sys.modules
import json
import os
import mod  # after listen(): its baseline is recorded, so no recovery pass loads the engine
from splice.client.blocking import BlockingKernelClient
with BlockingKernelClient(info) as client:
    client.patch("mod", "def added():\\n    return 1\\n")
after = sorted(name for name in sys.modules if name.startswith("splice.engine."))
print(json.dumps({{"listen": loaded, "deferred": deferred, "unneeded": unneeded,
                  "typing": typing_loaded,
                  "patched": after, "added": mod.added()}}))
"""

#: What only a connected client, or a host that owns the process, needs.
DEFERRED = (
    "hashlib",
    "hmac",
    "secrets",
    "random",
    "base64",
    "signal",
    "splice.agent.authentication",
    "splice.agent.dispatch",
    "splice.agent.methods",
)

#: What serving does not need at all: loaded by a program that uses them, never by splice.
UNNEEDED = ("logging", "dataclasses", "inspect", "tempfile", "argparse", "json")


def test_listen_loads_no_engine_and_no_request_handlers_until_a_client(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def old():\n    return 0\n")
    # With -c, __main__ has no file: nothing for the recovery pass to judge.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LISTEN.format(folder=str(tmp_path), deferred=DEFERRED, unneeded=UNNEEDED),
        ],
        env=kernel_env(str(tmp_path / "runtime")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # The import hook's store, the lock, the debugger's probe and the recovery pass's entry.
    assert report["listen"] == [
        "splice.engine.baselines",
        "splice.engine.baselines.process",
        "splice.engine.baselines.recovery",
        "splice.engine.baselines.scope",
        "splice.engine.baselines.store",
        "splice.engine.debugging",
        "splice.engine.locking",
    ]
    # Loaded by the first client (the patch below), not by listen().
    assert report["deferred"] == []
    assert report["unneeded"] == []
    # Loaded in the program's thread: splice's threads import it later, and a program's
    # @dataclass looks it up in sys.modules, where another thread's import is half made.
    assert report["typing"] is True
    assert "splice.engine.apply" in report["patched"]
    assert report["added"] == 1


PATCH = """
import runpy, sys
before = set(sys.modules)
sys.argv = ["splice", "patch", "--kernel", {pid!r}, {path!r}]
try:
    runpy.run_module("splice", run_name="__main__")
except SystemExit as exit:
    status = exit.code
heavy = [name for name in ("asyncio", "splice.engine.apply", "splice.engine.outline.definitions",
                           "secrets", "random", "shutil", "argparse", "gettext", "logging",
                           "typing", "dataclasses", "inspect", "tempfile")
         if name in set(sys.modules) - before]
print("STATUS", status, "HEAVY", heavy)
"""


def test_splice_patch_imports_no_event_loop_and_no_engine(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import time\ndef price():\n    return 1\nprint('ready', flush=True)\n"
        "while True:\n    time.sleep(0.05)\n"
    )
    with running_kernel(tmp_path, "app.py", ready="ready") as kernel:
        app.write_text(app.read_text().replace("return 1", "return 2"))
        script = PATCH.format(pid=str(kernel.info.pid), path=str(app))
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=kernel_env(kernel.runtime_dir),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert kernel.evaluate("price()") == "2"
    assert "STATUS 0 HEAVY []" in done.stdout, done.stdout + done.stderr


TEMPORARY = """
import json, sys
before = set(sys.modules)
import splice
info = splice.listen()
loaded = "tempfile" in set(sys.modules) - before
import tempfile
print(json.dumps({"loaded": loaded, "file": info.path, "temporary": tempfile.gettempdir()}))
"""


def test_listen_without_a_runtime_directory_finds_tempfiles_directory_without_tempfile(
    tmp_path: Path,
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SPLICE_RUNTIME_DIR", "XDG_RUNTIME_DIR", "TEMP", "TMP")
    }
    env["TMPDIR"] = str(temporary)
    done = subprocess.run(
        [sys.executable, "-c", TEMPORARY], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["loaded"] is False
    assert report["temporary"] == str(temporary)
    assert Path(report["file"]).parent == temporary / f"splice-{os.getuid()}"
