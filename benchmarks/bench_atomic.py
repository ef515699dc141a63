"""Torn patches and patches per second under load, through a real kernel.

A ``splice run`` kernel runs busy threads that call ``f0()``, the last
function, then ``f0()`` again; each patch, sent over the socket as the language
server sends it, changes every function to return a higher version (see
tests/agent/test_atomic_kernel.py, which runs a shorter version of this).
Prints the torn count (patches some thread saw half applied: must be 0),
patches per second, and the median and 99th-percentile patch time.

    python benchmarks/bench_atomic.py                      # 1,000 patches, 4 threads
    python benchmarks/bench_atomic.py --threads 8 --patches 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "agent")]

from test_atomic_kernel import busy_program, numbered  # noqa: E402

from kernel_support import running_kernel  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--patches", type=int, default=1000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "funcs.py").write_text(numbered(0, options.functions))
        (folder / "app.py").write_text(busy_program(options.threads, options.functions))
        texts = [numbered(version, options.functions) for version in range(options.patches + 1)]
        with running_kernel(folder) as kernel, kernel.client(timeout=120) as client:
            kernel.wait_for_output("checking")
            durations = []
            started = time.perf_counter()
            for version in range(1, options.patches + 1):
                before = time.perf_counter()
                result = client.patch("funcs", texts[version])
                durations.append(time.perf_counter() - before)
                if not result.ok:
                    raise SystemExit(f"patch {version} failed: {result.errors}")
            elapsed = time.perf_counter() - started
            torn = client.evaluate("len(torn)")
            checks = client.evaluate("sum(checks)")
            final = client.evaluate(f"(funcs.f0(), funcs.f{options.functions - 1}())")
    durations.sort()
    print(
        f"Python {sys.version.split()[0]}: {options.patches} patches of {options.functions} "
        f"functions, {options.threads} busy threads: torn {torn}, "
        f"{options.patches / elapsed:.1f} patches/s, median "
        f"{statistics.median(durations) * 1000:.1f} ms, p99 "
        f"{durations[int(len(durations) * 0.99) - 1] * 1000:.1f} ms "
        f"({checks} checks; final versions {final})"
    )
    return 0 if torn == "0" else 1


if __name__ == "__main__":
    raise SystemExit(main())
