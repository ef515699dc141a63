"""Fixtures for the debugger tests: a project with app.py, a runtime directory, a language server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from debug_support import APP, python
from pytest_lsp.client import make_test_lsp_client

from lsp_support import Session, fix_code_action_structure, serving

__all__ = ["python"]


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
async def lsp(project: Path, runtime_dir: str) -> AsyncIterator[Session]:
    """A running ``splice lsp`` (not yet initialized), with VS Code's capabilities."""
    client = make_test_lsp_client()
    fix_code_action_structure(client)
    session = Session(client, pytest_lsp.client_capabilities("visual_studio_code"), project)
    async with serving(client, session, runtime_dir) as served:
        yield served
