"""The asyncio KernelClient against real ``splice run`` kernels."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import textwrap

import pytest

from kernel_support import running_kernel
from splice.client.client import KernelClient
from splice.engine.result import PatchResult
from splice.errors import RPC_CODES, AuthenticationError, KernelUnavailableError, RemoteError

APP = textwrap.dedent(
    """
    import time


    def total(items):
        return sum(items)


    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


@contextlib.asynccontextmanager
async def connected(kernel):
    """A ``KernelClient`` on ``kernel``, closed when the block ends."""
    client = await KernelClient.connect(kernel.info)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "extra.py").write_text("def f():\n    return 1\n")
    return tmp_path


async def test_connect_returns_the_kernel_identity(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            assert client.kernel["pid"] == kernel.process.pid
            assert client.kernel["protocolVersion"] == 2
            assert client.kernel["program"] == "app.py"
            assert "patch" in client.kernel["capabilities"]["methods"]


async def test_modules_lists_main_with_its_real_path(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            modules = {entry["name"]: entry for entry in await client.modules()}
    assert modules["__main__"] == {
        "name": "__main__",
        "file": str((project / "app.py").resolve()),
        "hasBaseline": True,
        "baseline": "import",
    }


async def test_baseline_is_the_text_that_runs(project):
    with running_kernel(project, ready="ready") as kernel:
        (project / "app.py").write_text(
            APP.replace("sum(items)", "0")
        )  # the disk changes, the baseline not
        async with connected(kernel) as client:
            assert await client.baseline("__main__") == APP


async def test_patch_returns_a_patch_result_and_changes_behaviour(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            assert await client.evaluate("total([1, 2])") == "3"
            result = await client.patch("__main__", APP.replace("sum(items)", "sum(items) * 100"))
            assert isinstance(result, PatchResult) and result.ok
            assert result.changed == ("total",)
            assert await client.evaluate("total([1, 2])") == "300"


async def test_dry_run_changes_nothing(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            result = await client.patch("__main__", APP.replace("sum(items)", "0"), dry_run=True)
            assert result.dry_run and result.changed == ("total",)
            assert await client.evaluate("total([1, 2])") == "3"


async def test_patch_keeps_removed_definitions_when_asked(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            without_total = APP.replace("def total(items):\n    return sum(items)\n", "")
            assert without_total != APP
            result = await client.patch("__main__", without_total, delete_removed=False)
            assert result.ok and result.deleted == ()
            assert [finding.code for finding in result.skipped] == ["deletion-skipped"]
            assert await client.evaluate("total([1, 2])") == "3"


async def test_run_statement_runs_a_skipped_statement(project):
    source = APP.replace("import time\n", "import time\nCOUNT = len('abc')\n")
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            result = await client.run_statement("__main__", 3, source)
            assert result.ok and result.statements_applied == (3,)
            assert await client.evaluate("COUNT") == "3"


async def test_one_connection_serves_many_patches(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            for factor in range(2, 7):
                result = await client.patch(
                    "__main__", APP.replace("sum(items)", f"sum(items) * {factor}")
                )
                assert result.ok
            assert await client.evaluate("total([1])") == "6"


async def test_module_imported_notification_arrives(project):
    received: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
    with running_kernel(project, ready="ready") as kernel:
        client = await KernelClient.connect(
            kernel.info, on_notification=lambda m, p: received.put_nowait((m, p))
        )
        try:
            await client.evaluate("__import__('extra').f()")
            # Modules the request itself loaded first (traceback, on the agent's side) come too.
            params: object = None
            while not (isinstance(params, dict) and params.get("name") == "extra"):
                method, params = await asyncio.wait_for(received.get(), 5)
                assert method == "moduleImported"
        finally:
            await client.close()
    assert params == {"name": "extra", "file": str((project / "extra.py").resolve())}


async def test_wrong_token_raises_authentication_error(project):
    # The kernel proves first, so a client with a wrong token takes it for an impostor.
    with running_kernel(project, ready="ready") as kernel:
        forged = dataclasses.replace(kernel.info, token="not-the-token")
        with pytest.raises(AuthenticationError, match="gave a wrong proof of the token"):
            await KernelClient.connect(forged)


async def test_unknown_module_raises_remote_error_with_its_code(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            with pytest.raises(RemoteError) as caught:
                await client.patch("not_loaded", "")
            assert caught.value.code == RPC_CODES["unknown_module"]


async def test_connecting_to_a_dead_kernel_raises_kernel_unavailable(project):
    with running_kernel(project, ready="ready") as kernel:
        info = kernel.info
    with pytest.raises(KernelUnavailableError, match=f"pid {info.pid}"):
        await KernelClient.connect(info)


async def test_kernel_exit_closes_the_client_and_fails_requests(project):
    with running_kernel(project, ready="ready") as kernel:
        client = await KernelClient.connect(kernel.info)
        kernel.process.kill()
        await asyncio.wait_for(client.wait_closed(), 5)
    assert client.closed
    with pytest.raises(KernelUnavailableError):
        await client.evaluate("1")
    await client.close()


async def test_a_request_in_flight_fails_when_the_kernel_dies(project):
    with running_kernel(project, ready="ready") as kernel:
        async with connected(kernel) as client:
            pending = asyncio.ensure_future(client.evaluate("__import__('time').sleep(30)"))
            await asyncio.sleep(0.2)
            kernel.process.kill()
            with pytest.raises(KernelUnavailableError):
                await asyncio.wait_for(pending, 5)


def test_modules_with_a_file_lists_only_the_modules_that_run_it(project):
    # One module imports the file by its own name, another through a link of another name.
    (project / "alias.py").symlink_to(project / "extra.py")
    (project / "app.py").write_text("import extra, alias\n" + APP)
    with running_kernel(project, ready="ready") as kernel, kernel.client() as client:
        every = client.modules()
        only = client.modules(str((project / "extra.py").resolve()))
        none = client.modules(str(project / "missing.py"))
    assert {entry["name"] for entry in every} >= {"__main__", "extra", "alias"}
    assert [entry["name"] for entry in only] == ["alias", "extra"]
    assert {entry["file"] for entry in only} == {str((project / "extra.py").resolve())}
    assert only == [entry for entry in every if entry["name"] in ("alias", "extra")]
    assert none == []
