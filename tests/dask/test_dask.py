"""splice.dask on a real ``distributed.LocalCluster`` with worker processes.

One cluster (2 worker processes, spawned, two task threads each) serves the whole
module; each test uses its own user module in a shared folder, so tests do
not see each other's patches. The workers find the user modules and
``cluster_tasks`` on the sys.path that spawned workers get from their parent.
"""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cluster_tasks
import distributed
import pytest

import splice.dask
from splice.errors import KernelUnavailableError
from splice.report import describe_outcomes


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("program").resolve()


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[Any]:
    _write(folder, "early_calc", 'def answer():\n    return "old"\n')
    _write(folder, "early_defaults", 'def answer(value="old"):\n    return value\n')
    with pytest.MonkeyPatch.context() as patch:
        # multiprocessing's spawn gives each worker process its parent's sys.path.
        patch.syspath_prepend(str(folder))
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            # Imported before the plugin starts: no baseline (the engine's other mode).
            client.run(cluster_tasks.import_module, "early_calc")
            client.run(cluster_tasks.import_module, "early_defaults")
            client.register_plugin(splice.dask.SplicePlugin())
            yield client


def _workers(client: Any, count: int = 2) -> list[str]:
    client.wait_for_workers(count, timeout=30)
    return sorted(client.scheduler_info()["workers"])


def _answers(client: Any, module: str, *args: Any) -> dict[str, Any]:
    """One fresh task per worker: address -> value."""
    futures = {
        address: client.submit(
            cluster_tasks.call, module, "answer", *args, workers=[address], pure=False
        )
        for address in _workers(client)
    }
    return {address: future.result(timeout=30)[1] for address, future in futures.items()}


def _patch(client: Any, path: Path, text: str, **options: Any) -> list[Any]:
    return splice.dask.patch_cluster(
        client.scheduler.address, str(path), textwrap.dedent(text), **options
    )


def test_patch_cluster_patches_every_worker_while_a_task_loop_runs(
    client: Any, folder: Path
) -> None:
    path = _write(folder, "loop_calc", 'def answer():\n    return "old"\n')
    loops = folder / "loops"
    loops.mkdir()
    workers = _workers(client)
    running = [
        client.submit(
            cluster_tasks.call_in_a_loop,
            "loop_calc",
            "answer",
            str(loops),
            workers=[address],
            pure=False,
        )
        for address in workers
    ]
    deadline = time.monotonic() + 30
    while len(list(loops.glob("started-*"))) < len(workers):
        assert time.monotonic() < deadline, "the task loops did not start"
        time.sleep(0.05)
    assert _answers(client, "loop_calc") == dict.fromkeys(workers, "old")

    outcomes = _patch(client, path, 'def answer():\n    return "new"\n')

    (loops / "stop").touch()
    assert [outcome.result.changed for outcome in outcomes] == [("answer",), ("answer",)]
    assert all(outcome.ok for outcome in outcomes)
    pids = client.run(os.getpid)
    assert sorted(outcome.pid for outcome in outcomes) == sorted(pids.values())
    assert [future.result(timeout=30) for future in running] == [["old", "new"]] * 2
    assert _answers(client, "loop_calc") == dict.fromkeys(workers, "new")
    assert describe_outcomes("loop_calc.py", outcomes).startswith("patched loop_calc.py in 2 ")


def test_patch_cluster_refused_edit_changes_nothing_on_any_worker(
    client: Any, folder: Path
) -> None:
    before = """
        class Base:
            pass

        class Other:
            pass

        class Shape(Base):
            pass

        def answer():
            return "old"
    """
    path = _write(folder, "rude_calc", before)
    assert set(_answers(client, "rude_calc").values()) == {"old"}

    outcomes = _patch(
        client,
        path,
        before.replace("Shape(Base)", "Shape(Other)").replace('"old"', '"new"'),
    )

    assert len(outcomes) == 2
    assert not any(outcome.ok for outcome in outcomes)
    codes = {outcome.result.first_error.code for outcome in outcomes}
    assert codes == {"class-bases-changed"}
    assert set(_answers(client, "rude_calc").values()) == {"old"}
    assert "nothing was changed" in describe_outcomes("rude_calc.py", outcomes)
    # Workers that join later are not handed the refused text.
    assert client.get_metadata(["splice", "sources", str(path)], None) is None


def test_patch_cluster_module_imported_before_the_plugin_gets_body_edits(
    client: Any, folder: Path
) -> None:
    assert set(client.run(cluster_tasks.has_baseline, "early_calc").values()) == {False}
    path = folder / "early_calc.py"

    outcomes = _patch(client, path, 'def answer():\n    return "new"\n')

    assert [outcome.ok for outcome in outcomes] == [True, True]
    assert set(_answers(client, "early_calc").values()) == {"new"}


def test_patch_cluster_module_imported_before_the_plugin_gets_default_changes(
    client: Any, folder: Path
) -> None:
    path = folder / "early_defaults.py"

    outcomes = _patch(client, path, 'def answer(value="new"):\n    return value\n')

    assert [outcome.ok for outcome in outcomes] == [True, True]
    assert set(_answers(client, "early_defaults").values()) == {"new"}


def test_patch_cluster_module_imported_after_the_plugin_has_a_baseline(
    client: Any, folder: Path
) -> None:
    _write(folder, "later_calc", 'def answer():\n    return "old"\n')

    assert set(client.run(cluster_tasks.has_baseline, "later_calc").values()) == {True}


def test_patch_cluster_module_imported_after_the_patch_runs_the_patched_text(
    client: Any, folder: Path
) -> None:
    # The file on disk keeps the old text, as on a worker with its own copy of the code.
    path = _write(folder, "unimported_calc", 'def answer():\n    return "old"\n')

    outcomes = _patch(client, path, 'def answer():\n    return "new"\n')

    assert outcomes == []
    assert set(_answers(client, "unimported_calc").values()) == {"new"}


def test_patch_cluster_worker_that_joins_later_runs_the_patched_text(
    client: Any, folder: Path
) -> None:
    # The disk keeps the old text: only the plugin can give the new worker the new one.
    path = _write(folder, "joining_calc", 'def answer():\n    return "old"\n')
    assert set(_answers(client, "joining_calc").values()) == {"old"}
    outcomes = _patch(client, path, 'def answer():\n    return "new"\n')
    assert [outcome.ok for outcome in outcomes] == [True, True]
    before = set(_workers(client))

    client.cluster.scale(3)
    try:
        joined = set(_workers(client, 3)) - before
        (address,) = joined
        future = client.submit(
            cluster_tasks.call, "joining_calc", "answer", workers=[address], pure=False
        )
        assert future.result(timeout=30)[1] == "new"
    finally:
        client.cluster.scale(2)
        deadline = time.monotonic() + 30
        while len(client.scheduler_info()["workers"]) > 2 and time.monotonic() < deadline:
            time.sleep(0.1)


def test_patch_cluster_worker_that_dies_mid_patch_is_reported_alone(
    client: Any, folder: Path
) -> None:
    before = """
        import os

        def answer():
            return "old"
    """
    path = _write(folder, "fragile_calc", before)
    assert set(_answers(client, "fragile_calc").values()) == {"old"}
    pids = client.run(os.getpid)
    victim_address = sorted(pids)[0]
    victim = pids[victim_address]
    (folder / "victim").write_text(str(victim))
    # An added definition's decorator runs while the patch commits: it kills one worker.
    after = (
        before.replace('"old"', '"new"')
        + f"""
        def _die_in_the_victim(function):
            if str(os.getpid()) == open({str(folder / "victim")!r}).read():
                os._exit(1)
            return function

        @_die_in_the_victim
        def added():
            return 1
    """
    )

    outcomes = _patch(client, path, after)

    by_pid = {outcome.pid: outcome for outcome in outcomes}
    assert set(by_pid) == set(pids.values())
    dead = by_pid[victim]
    assert dead.result is None
    assert "the worker died" in (dead.error or "")
    survivors = [outcome for outcome in outcomes if outcome.pid != victim]
    assert [outcome.ok for outcome in survivors] == [True]
    assert survivors[0].result.added == ("_die_in_the_victim", "added")
    assert "1 process failed" in describe_outcomes("fragile_calc.py", outcomes)
    # The nanny restarts the dead worker; it runs the patched text (the disk has the old one).
    deadline = time.monotonic() + 30
    # A worker that is going away may fail the call: ask the ones that answer.
    while (
        victim in client.run(os.getpid, on_error="ignore").values() and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert set(_answers(client, "fragile_calc").values()) == {"new"}


def test_patch_cluster_without_the_plugin_says_how_to_register_it(
    client: Any, folder: Path
) -> None:
    path = _write(folder, "unplugged_calc", 'def answer():\n    return "old"\n')
    assert set(_answers(client, "unplugged_calc").values()) == {"old"}
    client.unregister_worker_plugin("splice")
    try:
        outcomes = _patch(client, path, 'def answer():\n    return "new"\n')
    finally:
        client.register_plugin(splice.dask.SplicePlugin())

    assert len(outcomes) == 2
    assert all("client.register_plugin" in (outcome.error or "") for outcome in outcomes)
    assert set(_answers(client, "unplugged_calc").values()) == {"old"}


def test_patch_cluster_unreachable_scheduler_raises_kernel_unavailable(folder: Path) -> None:
    path = _write(folder, "nowhere_calc", "x = 1\n")

    with pytest.raises(KernelUnavailableError, match="cannot reach the Dask scheduler"):
        splice.dask.patch_cluster("tcp://127.0.0.1:9", str(path), "x = 2\n", timeout=1)


def test_patch_cluster_dry_run_reports_and_changes_nothing(client: Any, folder: Path) -> None:
    path = _write(folder, "dry_calc", 'def answer():\n    return "old"\n')
    assert set(_answers(client, "dry_calc").values()) == {"old"}

    outcomes = _patch(client, path, 'def answer():\n    return "new"\n', dry_run=True)

    assert [(outcome.ok, outcome.result.dry_run) for outcome in outcomes] == [(True, True)] * 2
    assert describe_outcomes("dry_calc.py", outcomes).startswith("would patch dry_calc.py")
    assert set(_answers(client, "dry_calc").values()) == {"old"}


def test_patch_cluster_applies_on_the_plugin_thread(client: Any, folder: Path) -> None:
    before = "import threading\n\nTHREADS = []\n"
    path = _write(folder, "thread_calc", before)
    _answers_of(client, "thread_calc", "THREADS")
    # An added definition's decorator runs during the commit, on the patching thread.
    after = before + textwrap.dedent("""
        def _record(function):
            THREADS.append(threading.current_thread().name)
            return function

        @_record
        def answer():
            return THREADS
    """)

    outcomes = _patch(client, path, after)

    assert [outcome.ok for outcome in outcomes] == [True, True]
    threads = _answers(client, "thread_calc").values()
    assert [len(names) for names in threads] == [1, 1]
    assert all(names[0].startswith("splice-dask") for names in threads)


def test_patch_cluster_worker_slower_than_the_timeout_is_reported(
    client: Any, folder: Path
) -> None:
    before = "import time\n"
    path = _write(folder, "slow_calc", before)
    _answers_of(client, "slow_calc", "time")
    after = before + textwrap.dedent("""
        def _slowly(function):
            time.sleep(2.5)
            return function

        @_slowly
        def answer():
            return "new"
    """)

    outcomes = _patch(client, path, after, timeout=0.5)

    assert len(outcomes) == 2
    assert all("no answer within 0.5 s" in (outcome.error or "") for outcome in outcomes)
    # It was not lost: it applies once the decorator returns, and says so when asked again.
    deadline = time.monotonic() + 30
    while set(client.run(cluster_tasks.has_attribute, "slow_calc", "answer").values()) != {True}:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _answers_of(client: Any, module: str, name: str) -> None:
    """Import ``module`` on every worker (a task that reads ``name``)."""
    assert set(client.run(cluster_tasks.has_attribute, module, name).values()) == {True}


async def test_patch_cluster_async_answers_inside_an_event_loop(client: Any, folder: Path) -> None:
    path = _write(folder, "async_calc", 'def answer():\n    return "old"\n')
    assert set(client.run(cluster_tasks.has_attribute, "async_calc", "answer").values()) == {True}

    outcomes = await splice.dask.patch_cluster_async(
        client.scheduler.address, str(path), 'def answer():\n    return "new"\n'
    )

    assert [outcome.ok for outcome in outcomes] == [True, True]
