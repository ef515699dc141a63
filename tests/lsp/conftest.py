"""Fixtures for the language server's end-to-end tests (helpers: tests/lsp_support.py).

Every session runs ``python -m splice lsp`` as a subprocess, driven by
pytest-lsp's client, once with Neovim's and once with VS Code's client
capabilities. Kernels are real ``splice run`` subprocesses that share one
runtime directory with the server, so the server discovers them as it would
on a user's machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client

from kernel_support import RunningKernel, running_kernel
from lsp_support import APP, KernelFactory, Session, fix_code_action_structure, plain, wait_ready


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "server_env(**variables): environment of the server")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    return folder.resolve()


@pytest.fixture
def runtime_dir(tmp_path: Path) -> str:
    path = tmp_path / "runtime"
    path.mkdir(mode=0o700)
    return str(path)


@pytest.fixture
def start_kernel(project: Path, runtime_dir: str) -> Iterator[KernelFactory]:
    """Start ``splice run SCRIPT`` kernels in the project; all stopped at the end."""
    with contextlib.ExitStack() as stack:

        def start(script: str = "app.py") -> RunningKernel:
            # The kernels and the server share one runtime directory, as on a
            # user's machine; the server finds them there.
            kernel = stack.enter_context(running_kernel(project, script, runtime_dir=runtime_dir))
            wait_ready(kernel)
            return kernel

        yield start


@pytest.fixture(params=["neovim", "visual_studio_code"])
async def lsp(
    request: pytest.FixtureRequest, project: Path, runtime_dir: str
) -> AsyncIterator[Session]:
    """A running ``splice lsp`` (not yet initialized) and its test client."""
    client = make_test_lsp_client()
    fix_code_action_structure(client)
    session = Session(client, pytest_lsp.client_capabilities(request.param), project)

    @client.feature("splice/status")
    def on_status(params: Any) -> None:
        session.statuses.append(plain(params))

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def on_code_lens_refresh(params: Any) -> None:
        return None

    env = dict(os.environ, SPLICE_RUNTIME_DIR=runtime_dir)
    marker = request.node.get_closest_marker("server_env")
    if marker is not None:
        env.update(marker.kwargs)
    await client.start_io(sys.executable, "-m", "splice", "lsp", env=env)
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 10)
        server = client._server
        if server is not None and server.returncode is None:
            # Never initialized (the test failed early), or stuck: do not hang the run.
            try:
                await asyncio.wait_for(server.wait(), 3)
            except asyncio.TimeoutError:
                server.kill()
        await client.stop()
