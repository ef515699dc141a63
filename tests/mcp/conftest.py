"""A running program under ``splice run`` for the MCP tests, in a runtime directory of its own."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, running_kernel

#: A program that keeps running: ``greeting`` is what the tests edit.
APP = textwrap.dedent(
    """
    import time

    import shapes

    LIMIT = 3


    def greeting(name):
        return "hello " + name


    class Config:
        lr = 0.001

        @property
        def expensive(self):
            raise RuntimeError("a property was called")


    cfg = Config()
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

SHAPES = textwrap.dedent(
    """
    class Shape:
        pass


    class Square(Shape):
        def area(self):
            return 4
    """
)


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "runtime"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    (folder / "shapes.py").write_text(SHAPES)
    return folder


@pytest.fixture
def kernel(project: Path, runtime_dir: Path) -> Iterator[RunningKernel]:
    with running_kernel(project, "app.py", runtime_dir=str(runtime_dir), ready="ready") as running:
        yield running
