"""The ``run_program`` fixture: ``splice run`` programs stopped, with all their processes, after each test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from processes_support import Program


@pytest.fixture
def run_program(tmp_path: Path) -> Iterator[Callable[..., Program]]:
    started: list[Program] = []

    def start(
        *command: str, env: dict[str, str] | None = None, under_splice_run: bool = True
    ) -> Program:
        runtime_dir = tmp_path / "runtime"
        merged = {
            **os.environ,
            "SPLICE_RUNTIME_DIR": str(runtime_dir),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            # gunicorn 27 keeps a control socket in the home directory.
            "HOME": str(tmp_path / "home"),
            **(env or {}),
        }
        merged.pop("PYTHONSTARTUP", None)
        program = Program(command, tmp_path, runtime_dir, merged, under_splice_run=under_splice_run)
        started.append(program)
        return program

    yield start
    for program in started:
        program.stop()
