"""Finding kernels, attaching to them, and following them as they start and die."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp_support import APP, KernelFactory, Session


def attached(status: dict) -> list[int]:
    return [kernel["pid"] for kernel in status["kernels"] if kernel["attached"]]


async def test_initialized_status_lists_the_attached_kernels(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()

    status = await lsp.initialize()

    assert status["ready"] is True
    assert attached(status) == [kernel.info.pid]
    assert status["lastPatch"] is None


async def test_save_patches_two_kernels(lsp: Session, start_kernel: KernelFactory) -> None:
    first, second = start_kernel(), start_kernel()
    await lsp.initialize({"showNotifications": "always"})
    lsp.open()

    status = await lsp.save(APP.replace("x * 2", "x * 3"))

    assert first.evaluate("total(5)") == "15"
    assert second.evaluate("total(5)") == "15"
    assert sorted(item["pid"] for item in status["lastPatch"]["kernels"]) == sorted(
        [first.info.pid, second.info.pid]
    )
    [message] = lsp.client.messages
    assert message.message.startswith("splice: patched app.py in 2 processes: total changed")


async def test_killed_kernel_is_reported_and_its_diagnostics_cleared(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    await lsp.save(APP.replace("ready = True", 'greeting = "hi".upper()\nready = True'))
    assert len(lsp.client.diagnostics[uri]) == 1

    gone = lsp.wait_status()
    kernel.process.kill()
    kernel.process.wait()
    status = await lsp.within(gone)

    assert attached(status) == []
    assert list(lsp.client.diagnostics[uri]) == []
    warning = lsp.client.messages[-1]
    assert warning.type == types.MessageType.Warning
    assert f"pid {kernel.info.pid}" in warning.message and "exited" in warning.message


async def test_save_after_the_kernel_died_says_no_kernel_runs_it(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    gone = lsp.wait_status()
    kernel.process.kill()
    kernel.process.wait()
    await lsp.within(gone)

    status = await lsp.save(APP.replace("x * 2", "x * 3"))

    assert status["lastPatch"] is None
    assert status["message"] == "no kernel attached"


async def test_new_kernel_is_picked_up(lsp: Session, start_kernel: KernelFactory) -> None:
    status = await lsp.initialize()
    assert attached(status) == []

    kernel = start_kernel()

    await lsp.wait_until(lambda: kernel.info.pid in attached(lsp.statuses[-1]))
    lsp.open()
    await lsp.save(APP.replace("x * 2", "x * 3"))
    assert kernel.evaluate("total(5)") == "15"


async def test_list_kernels_returns_every_live_kernel(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"autoAttach": "off"})

    [listed] = await lsp.command("splice.listKernels")

    assert listed["pid"] == kernel.info.pid
    assert listed["attached"] is False
    assert listed["program"] == "app.py"
    assert listed["address"] == kernel.info.address


async def test_auto_attach_off_attaches_nothing(lsp: Session, start_kernel: KernelFactory) -> None:
    start_kernel()

    status = await lsp.initialize({"autoAttach": "off"})

    assert attached(status) == []


async def test_attach_command_attaches_a_kernel_by_pid(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"autoAttach": "off"})

    listing = await lsp.command("splice.attach", kernel.info.pid)

    assert [item["attached"] for item in listing] == [True]
    lsp.open()
    await lsp.save(APP.replace("x * 2", "x * 3"))
    assert kernel.evaluate("total(5)") == "15"


async def test_attach_command_without_argument_returns_the_choices(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"autoAttach": "off"})

    listing = await lsp.command("splice.attach")

    assert [(item["pid"], item["attached"]) for item in listing] == [(kernel.info.pid, False)]


async def test_detach_command_stops_patching_that_kernel(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()

    listing = await lsp.command("splice.detach", kernel.info.pid)
    await lsp.save(APP.replace("x * 2", "x * 3"))

    assert [item["attached"] for item in listing] == [False]
    assert kernel.evaluate("total(5)") == "10"


async def test_kernels_setting_attaches_the_named_kernel(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()

    status = await lsp.initialize({"autoAttach": "off", "kernels": [kernel.info.pid]})

    assert attached(status) == [kernel.info.pid]


async def test_single_file_attaches_the_kernels_that_loaded_it(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    status = await lsp.initialize(folder=False)
    assert attached(status) == []

    lsp.open()

    await lsp.wait_until(lambda: kernel.info.pid in attached(lsp.statuses[-1]))


BUSY = """\
import os
import time


def total(x):
    return x * 2


ready = True
while True:
    if os.path.exists("busy"):
        os.remove("busy")
        sum(range(2 * 10**8))  # a C loop that holds the GIL for seconds
    time.sleep(0.01)
"""


@pytest.mark.server_env(SPLICE_LSP_PATCH_TIMEOUT="0.3")
async def test_save_while_the_kernel_is_busy_says_so_and_loses_nothing(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    (lsp.project / "busy.py").write_text(BUSY)
    kernel = start_kernel("busy.py")
    await lsp.initialize()
    lsp.open("busy.py")
    (lsp.project / "busy").touch()
    await lsp.wait_until(lambda: not (lsp.project / "busy").exists())

    status = await lsp.save(BUSY.replace("x * 2", "x * 3"), "busy.py")

    assert status["lastPatch"]["ok"] is False
    assert "busy" in status["lastPatch"]["kernels"][0]["summary"]
    assert "nothing is lost" in lsp.client.messages[-1].message
    assert kernel.evaluate("'still here'") == "'still here'"  # blocks until it is free
    status = await lsp.save(BUSY.replace("x * 2", "x * 4"), "busy.py")
    assert status["lastPatch"]["ok"] is True
    assert kernel.evaluate("total(1)") == "4"


async def test_detach_clears_that_kernels_diagnostics(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    await lsp.save(APP.replace("ready = True", 'greeting = "hi".upper()\nready = True'))
    assert len(lsp.client.diagnostics[uri]) == 1

    await lsp.command("splice.detach", kernel.info.pid)

    assert list(lsp.client.diagnostics[uri]) == []
