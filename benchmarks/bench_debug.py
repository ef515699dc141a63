"""Edit and continue: a patch while the debugger holds the program stopped, and stepping.

The program is a generated module of about 2,000 lines with a loop at its
end, run in a real interpreter under splice; the benchmark is its client,
through the agent's socket and, for the debugger, the real debugpy adapter
over DAP (tests/debug/dap.py). Each patch changes ``target``'s return value.

1. **Save to patched**, median of the round trip of ``patch`` requests
   (what the language server waits for) and the engine's own time, in three
   states: running without a debugger, running with debugpy attached, and
   stopped at a breakpoint (the goal: stopped within 1.2x of running).
2. **Stepping**: the round trip of a debugger ``next`` (step over) request,
   to the ``stopped`` event, under ``splice run --debug`` and under plain
   ``python -m debugpy`` (no splice in the process); and, for reference,
   plain ``python -m debugpy`` on the same program with one thread of its own
   started at the top (pydevd 1.8 on 3.12+ then steps in about 200 ms,
   whoever started the thread: the cost splice's threads no longer add,
   docs/debugging.md).

    python benchmarks/bench_debug.py                  # this interpreter
    python benchmarks/bench_debug.py --python .venv-3.12/bin/python
    python benchmarks/bench_debug.py --quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generated_module import make_module

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "debug"))

from dap import DapClient  # noqa: E402  (the tests' DAP client)

from splice.agent import connection  # noqa: E402
from splice.client.blocking import BlockingKernelClient  # noqa: E402

STEPS = [f"    total += {index}" for index in range(30)]
TAIL = [
    "",
    "",
    "def stepping(value):",
    "    total = value",
    *STEPS,
    "    return total",
    "",
    "",
    "def pause_here(count):",
    "    return count + target()",
    "",
    "",
    "import time",
    "",
    "count = 0",
    "while True:",
    "    count = pause_here(count)",
    "    stepping(count)",
    "    time.sleep(0.001)",
    "",
]


#: Functions added to the shared generated module to make 2,000 lines in all.
PADDING = [
    line
    for index in range(50)
    for line in (f"def padding_{index}(value):", f"    return value + {index}", "", "")
]


def program_text(marker: int) -> str:
    return make_module(marker) + "\n".join(PADDING + TAIL)


#: Put first in the program: a thread of the program's own, waiting.
OWN_THREAD = (
    "import threading; threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running(python: str, folder: Path, arguments: list[str], runtime: str) -> Iterator[Any]:
    env = dict(os.environ, SPLICE_RUNTIME_DIR=runtime, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [python, *arguments],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def kernel_of(process: subprocess.Popen[bytes], runtime: str) -> connection.ConnectionInfo:
    path = connection.connection_path(process.pid, runtime)
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"no kernel from pid {process.pid}")
        time.sleep(0.02)
    time.sleep(0.05)
    return connection.read(path)


def time_patches(info: connection.ConnectionInfo, count: int) -> dict[str, float]:
    """Median round trip and engine time of ``count`` patches (after one warm-up)."""
    round_trips: list[float] = []
    engine: list[float] = []
    with BlockingKernelClient(info, timeout=60) as client:
        for index in range(count + 1):
            text = program_text(index + 1)
            started = time.perf_counter()
            result = client.patch("__main__", text)
            elapsed = (time.perf_counter() - started) * 1000
            if not result.ok or not result.changed:
                raise SystemExit(f"patch {index} did not apply: {result.summary()}")
            if index:
                round_trips.append(elapsed)
                engine.append(result.duration_ms)
    return {
        "round_trip_ms": statistics.median(round_trips),
        "engine_ms": statistics.median(engine),
    }


def bench_patches(python: str, folder: Path, runtime: str, count: int) -> dict[str, Any]:
    script = str(folder / "app.py")
    results: dict[str, Any] = {}
    with running(python, folder, ["-m", "splice", "run", "app.py"], runtime) as process:
        results["running"] = time_patches(kernel_of(process, runtime), count)
    port = free_port()
    arguments = ["-m", "splice", "run", "--debug", str(port), "--wait-for-client", "app.py"]
    with running(python, folder, arguments, runtime) as process:
        info = kernel_of(process, runtime)
        with DapClient.connect(port) as dap:
            dap.attach_with_breakpoints(script, [])
            results["running under debugpy"] = time_patches(info, count)
            pause_line = line_of(program_text(0), "return count + target()")
            dap.set_breakpoints(script, [pause_line])
            dap.wait_stopped()
            results["stopped at a breakpoint"] = time_patches(info, count)
    results["stopped / running"] = (
        results["stopped at a breakpoint"]["round_trip_ms"] / results["running"]["round_trip_ms"]
    )
    return results


def time_steps(port: int, script: str, count: int) -> float:
    """Median round trip of a ``next`` request, in ms, over ``count`` steps."""
    with open(script) as file:
        text = file.read()
    first = line_of(text, "def stepping(value):") + 1
    durations: list[float] = []
    with DapClient.connect(port) as dap:
        dap.attach_with_breakpoints(script, [first])
        thread = dap.wait_stopped()["threadId"]
        dap.set_breakpoints(script, [])
        for _ in range(count):
            started = time.perf_counter()
            dap.request("next", {"threadId": thread})
            dap.wait_stopped()
            durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def bench_stepping(python: str, folder: Path, runtime: str, count: int) -> dict[str, float]:
    (folder / "threaded.py").write_text(OWN_THREAD + program_text(0))
    results = {}
    for label, arguments, script in (
        ("python -m debugpy", ["-m", "debugpy", "--listen"], "app.py"),
        ("splice run --debug", ["-m", "splice", "run", "--debug"], "app.py"),
        ("debugpy, own thread", ["-m", "debugpy", "--listen"], "threaded.py"),
    ):
        port = free_port()
        with running(python, folder, [*arguments, str(port), "--wait-for-client", script], runtime):
            results[label] = time_steps(port, str(folder / script), count)
    results["splice / debugpy alone"] = results["splice run --debug"] / results["python -m debugpy"]
    return results


def version_of(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter(s) to run the program")
    parser.add_argument("--quick", action="store_true", help="fewer patches and steps")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    pythons = [os.path.abspath(python) for python in options.python or [sys.executable]]
    patches, steps = (5, 10) if options.quick else (41, 30)
    report: dict[str, Any] = {"lines": len(program_text(0).splitlines())}
    for python in pythons:
        folder = Path(tempfile.mkdtemp(prefix="splice-bench-debug-"))
        runtime = tempfile.mkdtemp(prefix="splice-bench-rt-")
        os.chmod(runtime, 0o700)
        (folder / "app.py").write_text(program_text(0))
        try:
            version = version_of(python)
            report[version] = {
                "patch": bench_patches(python, folder, runtime, patches),
                "step": bench_stepping(python, folder, runtime, steps),
            }
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(runtime, ignore_errors=True)
    if options.json:
        print(json.dumps(report, indent=2))
        return
    print(f"module of {report['lines']} lines; medians")
    for version, figures in report.items():
        if version == "lines":
            continue
        print(f"Python {version}")
        for state, value in figures["patch"].items():
            if isinstance(value, dict):
                print(
                    f"  patch, {state:<24} {value['round_trip_ms']:7.1f} ms round trip,"
                    f" {value['engine_ms']:6.1f} ms in the engine"
                )
            else:
                print(f"  patch, {state:<24} {value:7.2f}x")
        for label, value in figures["step"].items():
            unit = "x" if "/" in label else " ms per step"
            print(f"  step,  {label:<24} {value:7.2f}{unit}")


if __name__ == "__main__":
    main()
