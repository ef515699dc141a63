"""``splice attach`` time against an empty heap and a heap of 5 million live objects.

Attach must not walk the heap: the target is within 1.2x of the empty-heap
time. Each repeat starts a fresh plain-Python target (attach is idempotent),
lets it build its heap (the two sizes alternate), then times ``splice.attach.attach.attach(pid)``:

- attach: the whole call (``/proc`` checks, gdb attach + two calls + detach,
  waiting for the main thread's safe point, reading the connection file);
- in target: how long the bootstrap held the target's main thread
  (importing splice and ``listen()``).

The heap is a list of empty lists: every one is tracked by the cyclic GC, so
a scan of ``gc.get_objects()`` would show. The target's main thread sleeps
5 ms between loop turns, as a program doing real work would return to
Python that often.

    python benchmarks/bench_attach.py            # about half a minute
    python benchmarks/bench_attach.py --repeats 3 --objects 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from splice.attach.attach import attach

TARGET = """\
import sys, time
heap = [[] for _ in range(int(sys.argv[1]))]
print("ready", flush=True)
while True:
    time.sleep(0.005)
"""


def _base_python() -> str:
    major, minor = sys.version_info[:2]
    return str(Path(sys.base_prefix, "bin", f"python{major}.{minor}"))


def _one(objects: int, folder: Path) -> tuple[float, float]:
    script = folder / "target.py"
    script.write_text(TARGET)
    process = subprocess.Popen(
        [_base_python(), str(script), str(objects)],
        stdout=subprocess.PIPE,
        env={key: value for key, value in os.environ.items() if not key.startswith("PYTHON")},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        began = time.perf_counter()
        result = attach(process.pid, timeout=30.0)
        elapsed = time.perf_counter() - began
        assert not result.already
        return elapsed, result.target_seconds
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--objects", type=int, default=5_000_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-attach-") as folder:
        os.environ["SPLICE_RUNTIME_DIR"] = os.path.join(folder, "runtime")
        sizes = {"empty heap": 0, f"{options.objects:,} objects": options.objects}
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in sizes}
        for _ in range(options.repeats):
            # Alternating the sizes spreads the machine's noise over both.
            for label, objects in sizes.items():
                samples[label].append(_one(objects, Path(folder)))
        rows = {
            label: (
                statistics.median(sample[0] for sample in taken),
                statistics.median(sample[1] for sample in taken),
            )
            for label, taken in samples.items()
        }
    print(f"{'target':<20} {'attach (median)':>16} {'in target':>12}")
    for label, (whole, inside) in rows.items():
        print(f"{label:<20} {whole * 1000:>13.0f} ms {inside * 1000:>9.1f} ms")
    (empty, empty_inside), (full, full_inside) = rows.values()
    ratio = full / empty
    print(f"ratio {ratio:.2f}x (target <= 1.2x); in target {full_inside / empty_inside:.2f}x")


if __name__ == "__main__":
    main()
