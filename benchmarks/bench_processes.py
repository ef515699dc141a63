"""One save patching every process of a program: 1, 4 and 16 worker processes.

The benchmark process plays the root of a program under ``splice run``: it
listens, starts N forked worker processes (each gets its own agent, as
gunicorn's workers do) that import a generated module of about 2,000 lines
after the fork, and runs the ``--watch`` machinery (``splice.agent.watch.Watcher``)
without its thread. Each save edits one function of the module and times one
``poll()``: noticing the save, reading the file, sending the patch to every
worker over the connections the watcher keeps open, and every worker's
answer. The watcher's deliberate 30 ms wait for a save to settle is set to
zero here, since it is the same for any number of processes. It checks that
every worker applied every save, and reports the median of several saves,
the slowest worker's engine time, and the CPU time one save costs each
worker (all its threads, from ``/proc``) and the watcher: on a machine with
fewer cores than workers, their sum bounds how fast one save can be.

    python benchmarks/bench_processes.py            # 1, 4 and 16 workers, 9 saves each
    python benchmarks/bench_processes.py --quick    # 5 saves each
    python benchmarks/bench_processes.py --json --workers 1 2 4 8 16  # for plot.py
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from generated_module import LINES, make_module

import splice
from splice.agent import directory_reading, watch, watch_processes
from splice.agent.connection import runtime_dir
from splice.agent.program import program_processes
from splice.engine.result import ProcessOutcome


def worker(name: str, ready: Any) -> None:
    """A worker: import the module after the fork (as gunicorn without --preload), then wait."""
    __import__(name)
    ready.put(os.getpid())
    time.sleep(3600)


def save(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


def measure(workers: int, saves: int, folder: Path) -> dict[str, Any]:
    name = f"bench_processes_{workers}"
    path = folder / f"{name}.py"
    path.write_text(make_module(0))
    context = multiprocessing.get_context("fork")
    ready = context.Queue()
    processes = [context.Process(target=worker, args=(name, ready)) for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=60)
        deadline = time.monotonic() + 60
        while len(program_processes(os.getpid())) < workers + 1:
            if time.monotonic() > deadline:
                raise SystemExit(f"only some of the {workers} workers listen")
            time.sleep(0.05)
        watcher = watch.Watcher(report=lambda path, outcomes: None)
        watcher.start_without_thread()
        for _ in range(3):  # connect to every worker, learn what each runs
            watcher.poll()
            time.sleep(watch_processes.PROCESS_SCAN_INTERVAL)
        # Steady state: the watcher's reading of the runtime directory holds once
        # the directory has not changed for SETTLE seconds (directory_reading.py).
        since_change = time.time() - os.stat(runtime_dir()).st_mtime
        time.sleep(max(0.0, directory_reading.SETTLE + 0.2 - since_change))
        watcher.poll()
        timings, slowest = [], []
        worker_cpu = watcher_cpu = 0.0
        for marker in range(1, saves + 2):  # the first save warms every worker's engine up
            save(path, make_module(marker))
            cpu_before = sum(cpu_seconds(process.pid) for process in processes)
            watcher_before = time.process_time()
            started = time.perf_counter()
            outcomes = watcher.poll()
            elapsed = (time.perf_counter() - started) * 1000
            watcher_after = time.process_time()
            cpu_after = sum(cpu_seconds(process.pid) for process in processes)
            check(outcomes, workers)
            if marker > 1:
                timings.append(elapsed)
                slowest.append(max(o.result.duration_ms for o in outcomes if o.result))
                worker_cpu += cpu_after - cpu_before
                watcher_cpu += watcher_after - watcher_before
        watcher.stop()
        return {
            "workers": workers,
            "save_ms": statistics.median(timings),
            "engine_slowest_ms": statistics.median(slowest),
            "worker_cpu_ms": worker_cpu * 1000 / saves / workers,
            "watcher_cpu_ms": watcher_cpu * 1000 / saves,
            "save_ms_samples": timings,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(10)


def cpu_seconds(pid: int) -> float:
    """The CPU time of all of a process's threads so far (Linux ``schedstat``, in ns)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stream:
                total += int(stream.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass  # no /proc (macOS), or a thread that just ended
    return total / 1e9


def check(outcomes: list[ProcessOutcome], workers: int) -> None:
    if len(outcomes) != workers or not all(
        outcome.result is not None and outcome.result.changed == ("target",) for outcome in outcomes
    ):
        raise SystemExit(f"a save did not patch all {workers} workers: {outcomes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 saves per size instead of 9")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 4, 16],
        metavar="N",
        help="the numbers of worker processes to measure",
    )
    options = parser.parse_args()
    saves = 5 if options.quick else 9
    watch._SETTLE_SECONDS = 0.0
    splice.listen()
    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory).resolve()
        sys.path.insert(0, str(folder))
        for workers in options.workers:
            rows.append(measure(workers, saves, folder))
    if options.json:
        machine = {
            "python": sys.version.split()[0],
            "cores": os.cpu_count(),
            # At the start and at the end: this machine is often shared.
            "load_average": load,
            "load_average_end": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d"),
        }
        print(
            json.dumps({"machine": machine, "lines": LINES, "saves": saves, "rows": rows}, indent=2)
        )
        return
    print(
        f"one save, {LINES}-line module, median of {saves} saves; CPU per save: each"
        f" worker's (all threads) and the watcher's; load {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'workers':>8} {'save':>10} {'engine, slowest':>16} {'vs 1':>6}"
        f" {'CPU/worker':>11} {'CPU/watcher':>12}"
    )
    for row in rows:
        ratio = row["save_ms"] / rows[0]["save_ms"]
        print(
            f"{row['workers']:>8} {row['save_ms']:>8.1f} ms {row['engine_slowest_ms']:>13.1f} ms"
            f" {ratio:>5.1f}x {row['worker_cpu_ms']:>8.2f} ms {row['watcher_cpu_ms']:>9.2f} ms"
        )


if __name__ == "__main__":
    main()
