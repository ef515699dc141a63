"""Baseline verification time per 1,000 lines, for modules imported before the agent.

Writes modules of several sizes (functions with defaults, classes with
methods, properties, cached and static functions, literals and imports:
everything the verdict compares), imports each without splice's import hook,
then times ``splice.engine.baselines.recovery.verify_module`` on it: reading and
compiling the file, comparing every live function's code object, and the
live planner's dry run. Each repeat judges a freshly imported module.

    python benchmarks/bench_recovery.py
    python benchmarks/bench_recovery.py --lines 1000 5000 --repeats 7
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

from splice.engine.apply import patch_module
from splice.engine.baselines.recovery import forget_verdict, verify_module
from splice.engine.baselines.store import forget_baseline

HEADER = "import functools\nimport os\n\nLIMIT = 10\nNAMES = ('a', 'b')\n\n\n"
FUNCTION = '''\
def function_{n}(value, scale={n}, label="f{n}"):
    """Scale a value."""
    total = value * scale
    if total > LIMIT:
        return label, total
    return label, -total


'''
CLASS = """\
class Shape{n}:
    sides = {n}

    def __init__(self, size=1.0):
        self.size = size

    def area(self, factor=2):
        return self.size * factor * self.sides

    @property
    def label(self):
        return "shape{n}"

    @staticmethod
    def kind():
        return os.sep

    @functools.lru_cache(maxsize=None)
    def cached(self, x):
        return x * self.sides


"""


def make_source(lines: int) -> str:
    parts = [HEADER]
    count = HEADER.count("\n")
    n = 0
    while count < lines:
        piece = (CLASS if n % 3 == 2 else FUNCTION).format(n=n)
        parts.append(piece)
        count += piece.count("\n")
        n += 1
    return "".join(parts)


def time_one(folder: Path, source: str, index: int) -> tuple[float, float, str]:
    """(verify_module, the live planner's dry run alone) in ms, and the verdict."""
    name = f"bench_recovery_{index}"
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    try:
        began = time.perf_counter()
        patch_module(module, source, dry_run=True)
        planned = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        verdict = verify_module(name, module)
        elapsed = (time.perf_counter() - began) * 1000
        assert verdict is not None
        return elapsed, planned, verdict.state
    finally:
        sys.modules.pop(name, None)
        forget_baseline(name)
        forget_verdict(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    index = 0
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        time_one(folder, make_source(200), index)  # warm up: the engine's own imports
        print(
            f"{'lines':>7}  {'verdict':>9}  {'verify':>9}  {'per 1,000 lines':>15}  "
            f"{'of which dry-run plan':>21}"
        )
        for lines in options.lines:
            source = make_source(lines)
            actual = source.count("\n")
            timings, plans = [], []
            state = ""
            for _ in range(options.repeats):
                index += 1
                elapsed, planned, state = time_one(folder, source, index)
                timings.append(elapsed)
                plans.append(planned)
            median = statistics.median(timings)
            print(
                f"{actual:>7}  {state:>9}  {median:>7.1f} ms  {median * 1000 / actual:>12.1f} ms"
                f"  {statistics.median(plans):>18.1f} ms"
            )


if __name__ == "__main__":
    main()
