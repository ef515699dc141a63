"""The figures of docs/benchmarks.md, drawn from the benchmarks' own JSON output.

    python benchmarks/plot.py               # run both benchmarks, keep their JSON, draw both figures
    python benchmarks/plot.py processes     # run only bench_processes.py again, draw both figures
    python benchmarks/plot.py --replot      # draw from the JSON kept in benchmarks/results/

Needs matplotlib (``pip install -e '.[docs]'``). Each benchmark runs in a
subprocess with ``--json``; its output is kept in ``benchmarks/results/``
and the figures go to ``docs/plots/``: commit both, so that a figure can be
traced to the numbers it was drawn from and redrawn without measuring again.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PLOTS = HERE.parent / "docs" / "plots"

#: benchmark name -> (script, its arguments for the figure)
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "patch": (
        "bench_patch.py",
        ["--json", "--no-heap", "--sizes", "200", "500", "1000", "2000", "5000", "10000", "20000"],
    ),
    "processes": ("bench_processes.py", ["--json", "--workers", "1", "2", "4", "8", "16"]),
}


def run(name: str) -> None:
    """Run one benchmark and keep its JSON output in ``benchmarks/results/NAME.json``."""
    script, arguments = BENCHMARKS[name]
    print(f"running {script} {' '.join(arguments)} ...", file=sys.stderr)
    completed = subprocess.run(
        [sys.executable, str(HERE / script), *arguments],
        cwd=HERE,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    json.loads(completed.stdout)  # refuse to keep anything but the benchmark's JSON
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(completed.stdout)


def load(name: str) -> dict[str, Any]:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        raise SystemExit(f"no {path}: run 'python benchmarks/plot.py {name}' first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def where(machine: dict[str, Any]) -> str:
    """The caption under a figure: the machine, and how busy it was."""
    load_range = f"{machine['load_average']:.1f}-{machine['load_average_end']:.1f}"
    return (
        f"Python {machine['python']}, {machine['cores']} cores shared with other work "
        f"(load average {load_range}), {machine['date']}"
    )


def duration(milliseconds: float, _: object = None) -> str:
    """An axis label: ``0.1 ms``, ``10 ms``, ``1 s``."""
    if milliseconds >= 1000:
        return f"{milliseconds / 1000:g} s"
    return f"{milliseconds:g} ms"


def plot_patch(pyplot: Any, ticker: Any) -> Path:
    """Edit-to-live time against module size, without and with 300 ms of top-level work."""
    data = load("patch")
    figure, axes = pyplot.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    series = (
        ("splice_ms", "splice", "tab:blue", "o"),
        ("autoreload_ms", "IPython %autoreload 2", "tab:red", "s"),
        ("reload_ms", "importlib.reload", "tab:orange", "^"),
        ("floor_ms", "floor: read + parse + compile", "black", "x"),
    )
    for axis, top_level in zip(axes, (0.0, 300.0), strict=True):
        rows = sorted(
            (row for row in data["rows"] if row["top_level_ms"] == top_level),
            key=lambda row: row["lines"],
        )
        lines = [row["lines"] for row in rows]
        for key, label, color, marker in series:
            values = [row[key] for row in rows]
            if all(math.isnan(value) for value in values):
                continue  # IPython was not installed
            style = "--" if key == "floor_ms" else "-"
            axis.plot(lines, values, style, color=color, marker=marker, label=label)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(lines, [f"{count:,}" for count in lines], rotation=45)
        axis.xaxis.set_minor_locator(ticker.NullLocator())
        axis.yaxis.set_major_formatter(ticker.FuncFormatter(duration))
        axis.set_xlabel("module size (lines)")
        axis.set_title(f"top-level work of the module: {top_level:.0f} ms")
        axis.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("edit to live (median)")
    axes[0].legend(loc="upper left", fontsize="small")
    figure.suptitle("One function edited in the middle of a module")
    figure.text(0.5, 0.01, where(data["machine"]), ha="center", fontsize="small", color="dimgray")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return save(pyplot, figure, "edit-to-live.png")


def plot_processes(pyplot: Any) -> Path:
    """One ``--watch`` save against the number of worker processes it patches."""
    data = load("processes")
    rows = sorted(data["rows"], key=lambda row: row["workers"])
    workers = [row["workers"] for row in rows]
    figure, axis = pyplot.subplots(figsize=(7, 4.2))
    for row in rows:
        samples = row["save_ms_samples"]
        axis.scatter([row["workers"]] * len(samples), samples, color="tab:blue", alpha=0.25, s=12)
    axis.plot(workers, [row["save_ms"] for row in rows], "-o", color="tab:blue", label="one save")
    axis.plot(
        workers,
        [row["engine_slowest_ms"] for row in rows],
        "--s",
        color="tab:green",
        label="the slowest worker's engine time",
    )
    axis.set_xscale("log", base=2)
    axis.set_xticks(workers, [str(count) for count in workers])
    axis.set_xlabel("worker processes")
    axis.set_ylabel("ms (median line; dots: each save)")
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
    axis.legend(loc="best", fontsize="small")
    axis.set_title(f"One save of a {data['lines']:,}-line module into every worker")
    figure.text(0.5, 0.01, where(data["machine"]), ha="center", fontsize="small", color="dimgray")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return save(pyplot, figure, "save-vs-workers.png")


def save(pyplot: Any, figure: Any, name: str) -> Path:
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / name
    # No "Software" stamp: a redraw of the same numbers gives the same file.
    figure.savefig(path, dpi=100, metadata={"Software": None})
    pyplot.close(figure)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help=f"the benchmarks to run again, of {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument(
        "--replot", action="store_true", help="run nothing: draw from benchmarks/results/"
    )
    options = parser.parse_args()
    unknown = sorted(set(options.benchmarks) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot, ticker
    except ImportError:
        raise SystemExit("plot.py needs matplotlib: pip install -e '.[docs]'") from None
    if not options.replot:
        for name in options.benchmarks or list(BENCHMARKS):
            run(name)
    for path in (plot_patch(pyplot, ticker), plot_processes(pyplot)):
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
