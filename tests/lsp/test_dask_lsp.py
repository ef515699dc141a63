"""The setting ``dask.scheduler``: every save also patches each worker of a real Dask cluster."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from lsp_support import KernelFactory, Session

distributed = pytest.importorskip("distributed")
import splice.dask  # noqa: E402

NO_DISTRIBUTED = str(Path(__file__).resolve().parent / "no_distributed")
CALC = """\
class Base:
    pass


class Other:
    pass


class Cart(Base):
    pass


def answer():
    return "old"
"""
NEOVIM_ONLY = pytest.mark.parametrize("lsp", ["neovim"], indirect=True)


def answer_of(name: str) -> str:
    return str(importlib.import_module(name).answer())


@pytest.fixture
def cluster(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A LocalCluster of 2 worker processes running calc_lsp.py from the project, with the plugin."""
    (project / "calc_lsp.py").write_text(CALC)
    # Spawned workers get their parent's sys.path.
    monkeypatch.syspath_prepend(str(project))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        client.register_plugin(splice.dask.SplicePlugin())
        client.wait_for_workers(2, timeout=30)
        client.run(importlib.import_module, "calc_lsp")
        yield client


@NEOVIM_ONLY
async def test_dask_lsp_save_patches_every_worker_of_the_cluster(
    lsp: Session, cluster: Any
) -> None:
    address = cluster.scheduler.address
    await lsp.initialize({"dask": {"scheduler": address}})
    lsp.open("calc_lsp.py")
    assert set(cluster.run(answer_of, "calc_lsp").values()) == {"old"}

    status = await lsp.save(CALC.replace('"old"', '"new"'), "calc_lsp.py")

    last = status["lastPatch"]
    assert last["ok"] is True
    assert last["changed"] == ["answer"]
    assert len(last["kernels"]) == 2
    assert all(kernel["program"].startswith("dask worker tcp://") for kernel in last["kernels"])
    assert last["summary"].startswith("patched calc_lsp.py in 2 processes: answer changed")
    assert set(cluster.run(answer_of, "calc_lsp").values()) == {"new"}


@NEOVIM_ONLY
async def test_dask_lsp_one_save_patches_the_kernels_and_the_cluster(
    lsp: Session, cluster: Any, start_kernel: KernelFactory
) -> None:
    (lsp.project / "uses_calc.py").write_text(
        "import time\n\nimport calc_lsp\n\nready = True\nwhile True:\n    time.sleep(0.02)\n"
    )
    kernel = start_kernel("uses_calc.py")
    await lsp.initialize({"dask": {"scheduler": cluster.scheduler.address}})
    lsp.open("calc_lsp.py")
    await lsp.wait_until(
        lambda: any(
            k["pid"] == kernel.info.pid and k["attached"]
            for status in lsp.statuses[-1:]
            for k in status["kernels"]
        )
    )

    status = await lsp.save(CALC.replace('"old"', '"new"'), "calc_lsp.py")

    last = status["lastPatch"]
    assert last["ok"] is True
    assert len(last["kernels"]) == 3
    assert kernel.info.pid in {item["pid"] for item in last["kernels"]}
    assert kernel.evaluate("calc_lsp.answer()") == "'new'"
    assert set(cluster.run(answer_of, "calc_lsp").values()) == {"new"}


@NEOVIM_ONLY
async def test_dask_lsp_a_refused_edit_is_on_the_diagnostics_once(
    lsp: Session, cluster: Any
) -> None:
    await lsp.initialize({"dask": {"scheduler": cluster.scheduler.address}})
    lsp.open("calc_lsp.py")
    published = lsp.wait_diagnostics()

    # A class's bases cannot change in place: refused in every worker, nothing applied.
    refused = CALC.replace("class Cart(Base):", "class Cart(Other):").replace('"old"', '"new"')
    status = await lsp.save(refused, "calc_lsp.py")

    assert status["lastPatch"]["ok"] is False
    assert [kernel["ok"] for kernel in status["lastPatch"]["kernels"]] == [False, False]
    diagnostics = (await asyncio.wait_for(published, 15)).diagnostics
    errors = [item for item in diagnostics if item.severity == types.DiagnosticSeverity.Error]
    # The same finding from both workers: one diagnostic, not naming a process.
    assert len(errors) == 1
    assert not errors[0].message.startswith("pid ")
    assert set(cluster.run(answer_of, "calc_lsp").values()) == {"old"}


@NEOVIM_ONLY
@pytest.mark.server_env(PYTHONPATH=NO_DISTRIBUTED)
async def test_dask_lsp_without_distributed_says_what_to_install(lsp: Session) -> None:
    (lsp.project / "calc_lsp.py").write_text(CALC)
    await lsp.initialize({"dask": {"scheduler": "tcp://127.0.0.1:8786"}})
    lsp.open("calc_lsp.py")

    status = await lsp.save(CALC.replace('"old"', '"new"'), "calc_lsp.py")

    last = status["lastPatch"]
    assert last["ok"] is False
    [cluster] = last["kernels"]
    assert "needs Dask's distributed: pip install 'splice[dask]'" in cluster["error"]
    [message] = lsp.client.messages
    assert message.type == types.MessageType.Error
    assert "pip install 'splice[dask]'" in message.message
