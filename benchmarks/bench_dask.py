"""One save patching a Dask cluster: 4 worker processes against 1.

For each cluster size it starts a real ``distributed.LocalCluster`` (worker
processes, one thread each) with ``splice.dask.SplicePlugin`` registered,
imports a generated module of about 2,000 lines on every worker, then edits
one function and times ``splice.dask.patch_cluster`` end to end (connect to
the scheduler, store the text, broadcast, every worker's answer), as the
median of several saves. It checks that every worker applied every save.

    python benchmarks/bench_dask.py            # 1 and 4 workers, 9 saves each
    python benchmarks/bench_dask.py --quick    # 5 saves each
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import distributed
from generated_module import LINES, make_module

import splice.dask


def import_module(name: str) -> int:
    __import__(name)
    return os.getpid()


def target_value(name: str) -> int:
    value: int = sys.modules[name].target()
    return value


def measure(workers: int, saves: int, folder: Path) -> dict[str, float]:
    name = f"bench_module_{workers}"
    path = folder / f"{name}.py"
    path.write_text(make_module(0))
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(splice.dask.SplicePlugin())
        client.run(import_module, name)
        totals, slowest_worker = [], []
        for save in range(1, saves + 1):
            text = make_module(save)
            path.write_text(text)
            started = time.perf_counter()
            outcomes = splice.dask.patch_cluster(cluster.scheduler_address, str(path), text)
            totals.append((time.perf_counter() - started) * 1000)
            assert len(outcomes) == workers and all(o.ok for o in outcomes), outcomes
            assert set(client.run(target_value, name).values()) == {save}
            slowest_worker.append(
                max(o.result.duration_ms for o in outcomes if o.result is not None)
            )
    return {
        "workers": workers,
        "save_ms": statistics.median(totals),
        "save_ms_min": min(totals),
        "engine_ms_slowest_worker": statistics.median(slowest_worker),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 saves per cluster size")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = parser.parse_args()
    saves = 5 if options.quick else 9
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory).resolve()
        # Spawned workers get this process's sys.path, so they find the module.
        sys.path.insert(0, str(folder))
        rows = [measure(workers, saves, folder) for workers in (1, 4)]
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"one save of a {LINES}-line module, median of {saves}")
    print(f"{'workers':>8} {'save (ms)':>10} {'min (ms)':>9} {'engine, slowest worker (ms)':>28}")
    for row in rows:
        print(
            f"{row['workers']:>8} {row['save_ms']:>10.1f} {row['save_ms_min']:>9.1f} "
            f"{row['engine_ms_slowest_worker']:>28.1f}"
        )
    print(f"4 workers / 1 worker: {rows[1]['save_ms'] / rows[0]['save_ms']:.2f}x")


if __name__ == "__main__":
    main()
