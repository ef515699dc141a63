"""``splice patch FILE --dask SCHEDULER``: the command line's hook into ``splice.dask.patch_cluster``."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")
import splice.dask  # noqa: E402

CALC = 'def answer():\n    return "old"\n'


def import_and_answer(name: str) -> str:
    return str(importlib.import_module(name).answer())


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Path]]:
    folder = tmp_path.resolve()
    (folder / "calc_for_cli.py").write_text(CALC)
    # Spawned workers get their parent's sys.path.
    monkeypatch.syspath_prepend(str(folder))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        client.register_plugin(splice.dask.SplicePlugin())
        client.wait_for_workers(2, timeout=30)
        client.run(importlib.import_module, "calc_for_cli")
        yield client, folder


def splice_patch(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", "patch", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "SPLICE_RUNTIME_DIR": str(cwd / "runtime")},
    )


def test_patch_dask_patches_every_worker_and_says_so_in_one_line(
    cluster: tuple[Any, Path],
) -> None:
    client, folder = cluster
    address = client.scheduler.address
    (folder / "calc_for_cli.py").write_text(CALC.replace('"old"', '"new"'))
    finished = splice_patch("calc_for_cli.py", "--dask", address, cwd=folder)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[0].startswith(
        f"{address}: patched calc_for_cli.py in 2 processes: answer changed in "
    )
    answers = client.run(import_and_answer, "calc_for_cli")
    assert set(answers.values()) == {"new"}


def test_patch_dask_json_lists_each_worker(cluster: tuple[Any, Path]) -> None:
    client, folder = cluster
    (folder / "calc_for_cli.py").write_text(CALC.replace('"old"', '"json"'))
    finished = splice_patch(
        "calc_for_cli.py", "--dask", client.scheduler.address, "--json", cwd=folder
    )
    assert finished.returncode == 0, finished.stderr
    [cluster_report] = json.loads(finished.stdout)["clusters"]
    assert cluster_report["error"] is None
    assert [process["ok"] for process in cluster_report["processes"]] == [True, True]
    assert all(
        process["result"]["changed"] == ["answer"] for process in cluster_report["processes"]
    )


def test_patch_dask_exits_2_when_the_scheduler_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    finished = splice_patch(
        "calc.py", "--dask", "tcp://127.0.0.1:9", "--timeout", "2", cwd=tmp_path
    )
    assert finished.returncode == 2
    assert "tcp://127.0.0.1:9" in finished.stderr
