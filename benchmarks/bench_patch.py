"""Edit-to-live latency of a patch, against the floor and against importlib.reload.

For modules of 200, 2,000 and 20,000 lines, with top-level work of 0 and
300 ms, it edits one function in the middle of the file and measures, as
medians over repeats in the same run:

- floor: read the file + ``ast.parse`` + ``compile`` of the whole new text (what
  any tool that looks at the new text at all must pay);
- splice: read the file + ``splice.patch_module`` (the edit is live after it);
- reload: ``importlib.reload`` (re-runs the module, top-level work included);
- autoreload: IPython's ``%autoreload 2`` machinery (``superreload``: a reload
  that also updates the old functions and classes), when IPython is installed.

Then the same patch with 5 million live objects in the process, against an
empty process (each in a fresh subprocess).

``--no-baseline`` measures instead, at 2,000 and 20,000 lines, the same patch
on a module with no baseline (imported before splice: the engine compares the
new text with the live objects), against the floor and the baseline patch.

``--moves`` measures, at 2,000 lines where every fourth function is a closure
factory, an edit that also inserts a line at the top (every function moves),
with and without a baseline, with the closures the factories made at import
alive or not, in an empty process and with 5 million live objects: the cost
of keeping closures made before a move on the new lines (a heap walk, only
when a reference count shows such closures are alive).

    python benchmarks/bench_patch.py                # the full table (about a minute)
    python benchmarks/bench_patch.py --quick        # fewer repeats
    python benchmarks/bench_patch.py --no-baseline  # no-baseline vs baseline vs floor
    python benchmarks/bench_patch.py --moves        # edits that move closure factories
    python benchmarks/bench_patch.py --json --sizes 200 2000 20000 --no-heap  # for plot.py
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import splice
from splice.engine.baselines.store import forget_baseline, watch_imports

try:  # IPython's %autoreload 2, for comparison
    from IPython.extensions.autoreload import superreload
except ImportError:
    superreload = None

SIZES = (200, 2_000, 20_000)
TOP_LEVEL_WORK = (0.0, 0.3)
FUNCTIONS_PER_CLASS = 5


def make_module(lines: int, top_level_seconds: float, marker: int) -> str:
    """A module of about ``lines`` lines of functions and classes; ``target`` in the middle."""
    header = [
        '"""A generated module for benchmarks."""',
        "import time",
        f"time.sleep({top_level_seconds})",
        "RATE = 3",
        "",
    ]
    blocks: list[list[str]] = []
    size = len(header)
    while size < lines:
        index = len(blocks)
        if index % 4 == 3:
            block = [f"class Shape{index}:", f"    scale = {index}"]
            for method in range(FUNCTIONS_PER_CLASS):
                block += [
                    f"    def area_{method}(self, width, height=2):",
                    "        total = 0",
                    "        for step in range(3):",
                    "            total += width * height * step",
                    f"        return total * self.scale + {method}",
                    "",
                ]
        else:
            block = _function(f"function_{index}", 0)
        blocks.append(block)
        size += len(block)
    blocks.insert(len(blocks) // 2, _function("target", marker))
    return "\n".join(header + [line for block in blocks for line in block]) + "\n"


def make_moving_module(lines: int, marker: int, alive: bool) -> str:
    """``make_module`` with every fourth function a closure factory, shifted down
    by one line every other ``marker`` (so each patch moves every function)."""
    blocks: list[list[str]] = []
    size = 0
    while size < lines:
        index = len(blocks)
        if index % 4 == 1:
            block = [
                f"def factory_{index}(k):",
                "    def inner(x):",
                f"        return x * k + {index}",
                "    return inner",
                "",
            ]
            if alive:
                block += [f"held_{index} = factory_{index}(2)", ""]
        else:
            block = _function(f"function_{index}", 0)
        blocks.append(block)
        size += len(block)
    blocks.insert(len(blocks) // 2, _function("target", marker))
    padding = ["# padding"] * (marker % 2)
    header = ['"""A generated module for benchmarks."""', "RATE = 3", ""]
    return "\n".join(padding + header + [line for block in blocks for line in block]) + "\n"


def measure_moves(repeats: int, folder: Path, alive: bool) -> dict[str, float]:
    """Floor, baseline and no-baseline patch of an edit that moves every function."""
    name = f"bench_moves_{int(alive)}"
    path = folder / f"{name}.py"
    path.write_text(make_moving_module(2_000, 1, alive))
    module = importlib.import_module(name)
    floor, baseline, live = [], [], []
    marker = 1
    for _ in range(repeats):
        for samples, forget in ((baseline, False), (live, True)):
            marker += 1
            path.write_text(make_moving_module(2_000, marker, alive))
            if not forget:
                floor.append(floor_once(path))
            else:
                forget_baseline(name)  # as if imported before splice
            samples.append(patch_once(module, path))
            assert module.target([1]) == 3 + marker
    return {
        "floor_ms": median_ms(floor),
        "baseline_ms": median_ms(baseline),
        "no_baseline_ms": median_ms(live),
    }


def print_moves(repeats: int, folder: Path) -> None:
    print(
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores, medians of {repeats} repeats; "
        "2,000 lines, one function changed and every function moved\n"
    )
    print("| closures made at import | heap | floor | baseline | no baseline |")
    print("|---|---|---:|---:|---:|")
    for alive in (False, True):
        row = measure_moves(repeats, folder, alive)
        print(
            f"| {'alive' if alive else 'none'} | empty | {row['floor_ms']:.2f} ms "
            f"| {row['baseline_ms']:.2f} ms | {row['no_baseline_ms']:.2f} ms |"
        )
        empty, full = heap_probe(5_000_000, repeats, moves=True, alive=alive)
        print(
            f"| {'alive' if alive else 'none'} | 5,000,000 objects | | {full:.2f} ms "
            f"(empty heap in the same process: {empty:.2f} ms) | |"
        )


def _function(name: str, value: int) -> list[str]:
    return [
        f"def {name}(values, factor=RATE):",
        '    """Sum the values, scaled."""',
        "    result = 0",
        "    for value in values:",
        "        if value > 0:",
        "            result += value * factor",
        "        else:",
        "            result -= value",
        f"    return result + {value}",
        "",
    ]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def floor_once(path: Path) -> float:
    started = time.perf_counter()
    text = path.read_text()
    ast.parse(text, str(path))
    compile(text, str(path), "exec")
    return time.perf_counter() - started


def patch_once(module: object, path: Path) -> float:
    started = time.perf_counter()
    text = path.read_text()
    result = splice.patch_module(module, text)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert result.ok and result.changed == ("target",), result
    return elapsed


def measure(lines: int, top_level: float, repeats: int, folder: Path) -> dict[str, float]:
    name = f"bench_{lines}_{int(top_level * 1000)}"
    path = folder / f"{name}.py"
    path.write_text(make_module(lines, top_level, marker=1))
    module = importlib.import_module(name)
    floor, patch, reload, autoreload = [], [], [], []
    marker = 1
    for _ in range(repeats):
        marker += 1
        path.write_text(make_module(lines, top_level, marker))
        floor.append(floor_once(path))
        patch.append(patch_once(module, path))
        assert module.target([1]) == 3 + marker
    reload_repeats = max(3, repeats // 5) if top_level else repeats
    for _ in range(reload_repeats):
        marker += 1
        path.write_text(make_module(lines, top_level, marker))
        started = time.perf_counter()
        importlib.reload(module)
        reload.append(time.perf_counter() - started)
        if superreload is not None:
            marker += 1
            path.write_text(make_module(lines, top_level, marker))
            started = time.perf_counter()
            superreload(module)
            autoreload.append(time.perf_counter() - started)
            assert module.target([1]) == 3 + marker
        splice.engine.baselines.store.remember_baseline(name, path.read_text())
    actual_lines = len(path.read_text().splitlines())
    return {
        "lines": actual_lines,
        "top_level_ms": top_level * 1000,
        "floor_ms": median_ms(floor),
        "splice_ms": median_ms(patch),
        "reload_ms": median_ms(reload),
        "splice_over_floor": median_ms(patch) / median_ms(floor),
        "reload_over_floor": median_ms(reload) / median_ms(floor),
        "autoreload_ms": median_ms(autoreload) if autoreload else float("nan"),
        "autoreload_over_floor": median_ms(autoreload) / median_ms(floor)
        if autoreload
        else float("nan"),
    }


NO_BASELINE_SIZES = (2_000, 20_000)


def measure_no_baseline(lines: int, repeats: int, folder: Path) -> dict[str, float]:
    """Floor, baseline patch and no-baseline patch of the same edit, interleaved."""
    name = f"bench_nobase_{lines}"
    path = folder / f"{name}.py"
    path.write_text(make_module(lines, 0.0, marker=1))
    module = importlib.import_module(name)
    floor, baseline, live = [], [], []
    marker = 1
    for _ in range(repeats):
        marker += 1
        path.write_text(make_module(lines, 0.0, marker))
        floor.append(floor_once(path))
        baseline.append(patch_once(module, path))
        marker += 1
        path.write_text(make_module(lines, 0.0, marker))
        forget_baseline(name)  # as if imported before splice
        live.append(patch_once(module, path))
        assert module.target([1]) == 3 + marker
    return {
        "lines": len(path.read_text().splitlines()),
        "floor_ms": median_ms(floor),
        "baseline_ms": median_ms(baseline),
        "no_baseline_ms": median_ms(live),
    }


def print_no_baseline(repeats: int, folder: Path) -> None:
    rows = [measure_no_baseline(lines, repeats, folder) for lines in NO_BASELINE_SIZES]
    print(
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores, medians of {repeats} repeats\n"
    )
    print("| lines | floor | baseline | no baseline | no baseline/floor | no baseline/baseline |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['lines']:,} | {row['floor_ms']:.2f} ms | {row['baseline_ms']:.2f} ms "
            f"| {row['no_baseline_ms']:.2f} ms | {row['no_baseline_ms'] / row['floor_ms']:.2f}x "
            f"| {row['no_baseline_ms'] / row['baseline_ms']:.1f}x |"
        )


def heap_probe(
    objects: int, repeats: int, *, moves: bool = False, alive: bool = False
) -> tuple[float, float]:
    """Median patch times at 2,000 lines without and with ``objects`` live objects.

    Both in one fresh subprocess, on the same module, so that only the heap
    differs; three rounds each, alternating, and the median round of each.
    ``moves``: the module and edit of ``--moves`` (closures made at import ``alive``).
    """
    make = (
        f"lambda marker: bench.make_moving_module(2000, marker, {alive})"
        if moves
        else "lambda marker: bench.make_module(2000, 0.0, marker)"
    )
    code = f"""
import sys, importlib, json, tempfile, pathlib
sys.path.insert(0, {str(Path(__file__).parent)!r})
import bench_patch as bench
from splice.engine.baselines.store import forget_baseline, watch_imports
watch_imports()
folder = pathlib.Path(tempfile.mkdtemp())
sys.path.insert(0, str(folder))
path = folder / "heap_module.py"
make = {make}
path.write_text(make(1))
module = importlib.import_module("heap_module")
marker = 1

def median_patch():
    global marker
    samples = []
    for _ in range({repeats} + 3):
        marker += 1
        path.write_text(make(marker))
        samples.append(bench.patch_once(module, path))
    return bench.median_ms(samples[3:])

# Alternate the two states, so that drift in the machine's speed hits both alike.
empty, full = [], []
for _ in range(3):
    empty.append(median_patch())
    keep = [[index] for index in range({objects})]
    full.append(median_patch())
    del keep
print(json.dumps([sorted(empty)[1], sorted(full)[1]]))
"""
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    empty, full = json.loads(output.strip().splitlines()[-1])
    return float(empty), float(full)


def machine() -> dict[str, object]:
    """Where and when the figures were measured (the JSON output carries it)."""
    return {
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=SIZES, metavar="LINES", help="module sizes"
    )
    parser.add_argument(
        "--no-heap", action="store_true", help="skip the probe with 5 million live objects"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="no-baseline patch vs baseline patch vs floor"
    )
    parser.add_argument(
        "--moves", action="store_true", help="edits that move closure factories (heap walks)"
    )
    options = parser.parse_args()
    repeats = 7 if options.quick else 21
    watch_imports()
    folder = Path(tempfile.mkdtemp(prefix="splice-bench-"))
    sys.path.insert(0, str(folder))
    if options.no_baseline:
        print_no_baseline(repeats, folder)
        return
    if options.moves:
        print_moves(repeats, folder)
        return
    started = machine()
    rows = [
        measure(lines, top_level, repeats, folder)
        for lines in options.sizes
        for top_level in TOP_LEVEL_WORK
    ]
    empty, full = (
        (float("nan"), float("nan")) if options.no_heap else heap_probe(5_000_000, repeats)
    )
    if options.json:
        # Load at the start and at the end: this machine is often shared.
        measured = started | {"load_average_end": machine()["load_average"], "repeats": repeats}
        heap = None if options.no_heap else {"empty_ms": empty, "five_million_ms": full}
        print(json.dumps({"machine": measured, "rows": rows, "heap": heap}, indent=2))
        return
    print(
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores, medians of {repeats} repeats\n"
    )
    print(
        "| lines | top-level work | floor | splice | reload | autoreload "
        "| splice/floor | reload/floor | autoreload/floor |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['lines']:,} | {row['top_level_ms']:.0f} ms | {row['floor_ms']:.2f} ms "
            f"| {row['splice_ms']:.2f} ms | {row['reload_ms']:.2f} ms "
            f"| {row['autoreload_ms']:.2f} ms "
            f"| {row['splice_over_floor']:.2f}x | {row['reload_over_floor']:.1f}x "
            f"| {row['autoreload_over_floor']:.1f}x |"
        )
    if options.no_heap:
        return
    print(
        f"\nPatch at 2,000 lines: {empty:.2f} ms in an empty process, {full:.2f} ms with "
        f"5,000,000 live objects ({full / empty:.2f}x)."
    )


if __name__ == "__main__":
    main()
