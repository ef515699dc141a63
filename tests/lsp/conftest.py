"""Fixtures for the language server's end-to-end tests (helpers: tests/lsp_support.py).

Every session runs ``python -m splice lsp`` as a subprocess, driven by
pytest-lsp's client, once with Neovim's and once with VS Code's client
capabilities. Kernels are real ``splice run`` subprocesses that share one
runtime directory with the server, so the server discovers them as it would
on a user's machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp.client import make_test_lsp_client

from kernel_support import RunningKernel, running_kernel
from lsp_support import (
    APP,
    KernelFactory,
    Session,
    fix_code_action_structure,
    serving,
    wait_ready,
)


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

    marker = request.node.get_closest_marker("server_env")
    env = dict(marker.kwargs) if marker is not None else None
    async with serving(client, session, runtime_dir, env) as served:
        yield served
