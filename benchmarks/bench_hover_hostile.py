"""Hover on hostile objects: what it costs the program, and what is left running afterwards.

A ``splice run`` kernel runs ``tests/agent/test_security_hover.py``'s
program (every hook ``getattr``, ``isinstance``, ``dir()`` and
``inspect.getdoc`` would run loops for good; two ``__repr__``s loop, one of
them catching the first interruptions) with a main loop that counts its
iterations (1 ms sleeps). Measured: the loop's iterations a second before;
while a client hovers (``inspect``, with ``attributes``) again and again over
the names behind hooks (which must not run), then over the looping reprs
(which run, each cut after 1 s); after; the slowest hover; and whether any
hook other than ``__repr__`` ran.

    python benchmarks/bench_hover_hostile.py             # about 20 s
    python benchmarks/bench_hover_hostile.py --seconds 10
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from splice.agent import connection
from splice.client.blocking import BlockingKernelClient

TESTS = Path(__file__).resolve().parents[1] / "tests" / "agent" / "test_security_hover.py"
HOOKS = ("lazy", "Lazy", "guarded", "lazy.method", "lazy.missing")
LOOPING_REPRS = ("spinning", "stubborn", "busy.describe")
COUNTING = "loops = 0\nwhile True:\n    loops += 1\n    time.sleep(0.001)\n"


def hostile_program() -> str:
    text = TESTS.read_text()
    program = text.split('HOSTILE = """\\\n', 1)[1].split('"""', 1)[0]
    return program.replace("while True:\n    time.sleep(0.01)\n", COUNTING)


def start(folder: Path, runtime: str) -> tuple[subprocess.Popen[bytes], connection.ConnectionInfo]:
    (folder / "app.py").write_text(hostile_program())
    env = dict(os.environ, SPLICE_RUNTIME_DIR=runtime)
    process = subprocess.Popen(
        [sys.executable, "-m", "splice", "run", "app.py"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    if process.stdout.readline() != b"ready\n":
        raise SystemExit("the program did not start")
    return process, connection.read(connection.connection_path(process.pid, runtime))


def loops(info: connection.ConnectionInfo) -> int:
    with BlockingKernelClient(info, timeout=10) as client:
        return int(client.evaluate("loops"))


def rate(info: connection.ConnectionInfo, seconds: float) -> float:
    before, began = loops(info), time.monotonic()
    time.sleep(seconds)
    return (loops(info) - before) / (time.monotonic() - began)


def hover_all(
    info: connection.ConnectionInfo,
    names: tuple[str, ...],
    stop: threading.Event,
    slowest: list[float],
) -> None:
    while not stop.is_set():
        for name in names:
            began = time.monotonic()
            with BlockingKernelClient(info, timeout=30) as client:
                client.request("inspect", {"expression": name, "attributes": True})
            slowest.append(time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as runtime:
        process, info = start(Path(folder), runtime)
        try:
            time.sleep(1.0)
            before = rate(info, options.seconds)
            during = {}
            times: list[float] = []
            for label, names in (("hooks", HOOKS), ("looping reprs", LOOPING_REPRS)):
                stop = threading.Event()
                hovering = threading.Thread(target=hover_all, args=(info, names, stop, times))
                hovering.start()
                during[label] = rate(info, options.seconds)
                stop.set()
                hovering.join()
            after = rate(info, options.seconds)
            with BlockingKernelClient(info, timeout=10) as client:
                touched = client.evaluate("TOUCHED")
        finally:
            process.kill()
            process.wait()
    print(f"program loop, iterations/s: {before:.0f} before;")
    for label, value in during.items():
        print(f"  {value:.0f} while hovering again and again over the {label};")
    print(f"  {after:.0f} after ({len(times)} hovers, the slowest {max(times):.2f} s)")
    print(f"hooks other than __repr__ that ran: {touched}")


if __name__ == "__main__":
    main()
