"""Fixtures for the attach tests: real target processes and a private runtime directory."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_support import (
    LOOP,
    SYSTEM_PYTHON,
    THROWAWAY_USER,
    Target,
    base_python,
    clean_environment,
)


@pytest.fixture
def start_target(tmp_path: Path) -> Iterator[object]:
    """``start_target(source, python=..., ready="ready", user=None)`` -> Target."""
    targets: list[Target] = []

    def start(
        source: str = LOOP,
        python: str | None = None,
        ready: str | None = "ready",
        name: str = "app.py",
        prefix: list[str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Target:
        folder = tmp_path / f"target{len(targets)}"
        folder.mkdir()
        os.chmod(folder, 0o755)
        script = folder / name
        script.write_text(source)
        for file_name, text in (files or {}).items():
            (folder / file_name).write_text(text)
        output = folder / "stdout"
        with open(output, "wb") as stdout, open(str(output) + ".err", "wb") as stderr:
            process = subprocess.Popen(
                [*(prefix or []), python or base_python(), str(script)],
                cwd=folder,
                stdout=stdout,
                stderr=stderr,
                env=clean_environment(),
            )
        target = Target(process, script, output)
        targets.append(target)
        if ready is not None:
            target.wait_for(ready)
        return target

    yield start
    for target in targets:
        if target.process.poll() is None:
            target.process.kill()
        target.process.wait(timeout=10)


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private runtime directory for the attacher (and so for the kernels it starts)."""
    directory = tmp_path / "runtime"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(directory))
    return str(directory)


@pytest.fixture(scope="module")
def throwaway_user() -> Iterator[pwd.struct_passwd]:
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd to create an unprivileged user")
    if not os.path.exists(SYSTEM_PYTHON):
        pytest.skip(f"no {SYSTEM_PYTHON} for the unprivileged attacher")
    created = False
    try:
        pwd.getpwnam(THROWAWAY_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", THROWAWAY_USER], check=True)
        created = True
    try:
        yield pwd.getpwnam(THROWAWAY_USER)
    finally:
        if created:
            subprocess.run(["userdel", THROWAWAY_USER], check=False)
