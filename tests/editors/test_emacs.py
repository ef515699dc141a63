"""Emacs through eglot (clients/emacs/splice.el), in a real headless Emacs.

``emacs --batch`` loads splice.el, connects eglot to ``<this interpreter> -m
splice lsp`` as docs/editors/emacs.md configures it, and runs
tests/editors/emacs/patch.el against a real ``splice run`` program; pytest then
asks the program what it runs. Needs Debian's emacs-nox (28.2) and elpa-eglot
(1.9), which .ci/run installs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kernel_support
import support

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT = REPOSITORY / "clients" / "emacs"
SCRIPTS = Path(__file__).resolve().parent / "emacs"

APP = textwrap.dedent(
    """\
    import time

    PRICES = [3, 4]


    def greet(name):
        return "hello " + name


    class Base:
        pass


    class Shape:
        def area(self):
            return 0


    def main():
        while True:
            time.sleep(0.05)


    if __name__ == "__main__":
        main()
    """
)


def documented_dir_locals() -> str:
    """The .dir-locals.el of docs/editors/emacs.md: every patch result shown (showNotifications)."""
    text = (REPOSITORY / "docs" / "editors" / "emacs.md").read_text(encoding="utf-8")
    [block] = [
        block
        for block in re.findall(r"^```elisp\n(.*?)^```", text, re.M | re.S)
        if "eglot-workspace-configuration" in block
    ]
    assert ':showNotifications "always"' in block
    return block


def emacs_with_eglot() -> str:
    emacs = shutil.which("emacs")
    if emacs is None:
        support.e2e_unavailable("emacs is not installed (apt-get install emacs-nox elpa-eglot)")
    probe = subprocess.run(
        [emacs, "--batch", "-q", "--eval", "(require 'eglot)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        support.e2e_unavailable(
            f"eglot is not installed (apt-get install elpa-eglot): {probe.stderr}"
        )
    return emacs


def run_emacs(
    emacs: str, home: Path, *arguments: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``emacs --batch -q`` (Debian's site-start finds elpa-eglot) with a private HOME."""
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [emacs, "--batch", "-q", "-L", str(CLIENT), *arguments],
        cwd=cwd,
        env={**os.environ, "HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def said(output: str, key: str) -> list[str]:
    """The values of the script's ``splice-test: KEY: VALUE`` lines."""
    return re.findall(rf"^splice-test: {key}: (.*)$", output, re.M)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "app.py").write_text(APP)
    (directory / ".dir-locals.el").write_text(documented_dir_locals())
    return directory


@pytest.fixture
def kernel(project: Path) -> Iterator[kernel_support.RunningKernel]:
    with kernel_support.running_kernel(project, "app.py") as running:
        # The agent listens before app.py's definitions exist.
        deadline = time.monotonic() + 10
        while running.evaluate("'main' in dir()") != "True":
            assert time.monotonic() < deadline, "app.py never defined main()"
            time.sleep(0.02)
        yield running


@pytest.mark.timeout(180)
def test_emacs_eglot_save_patches_the_program_and_a_refusal_is_a_diagnostic(
    kernel: kernel_support.RunningKernel, project: Path, tmp_path: Path
) -> None:
    emacs = emacs_with_eglot()
    assert kernel.evaluate("greet('ann')") == "'hello ann'"

    run = run_emacs(
        emacs,
        tmp_path / "home",
        "-l",
        str(SCRIPTS / "patch.el"),
        cwd=project,
        env={
            "SPLICE_RUNTIME_DIR": kernel.runtime_dir,
            "SPLICE_TEST_PYTHON": sys.executable,
            "SPLICE_TEST_FILE": str(project / "app.py"),
        },
    )

    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    assert said(output, "done") == ["ok"]
    assert said(output, "mode") == ["python-mode"]
    assert said(output, "attached") == ["splice: 1 kernel"]
    # The save went live, and the refused save after it changed nothing.
    assert kernel.evaluate("greet('ann')") == "'patched ann'"
    assert kernel.evaluate("Shape.__bases__") == "(<class 'object'>,)"
    [patched] = said(output, "patched")
    assert patched.startswith("patched app.py: greet changed in ")
    mode_lines = said(output, "mode-line")
    assert mode_lines[0].startswith("splice: 1 kernel, patched 1 in "), output[-6000:]
    assert mode_lines[1].startswith("splice: 1 kernel, refused ("), output[-6000:]
    diagnostics = said(output, "diagnostic")
    shape_line = APP.splitlines().index("class Shape:") + 1
    assert any(
        line.startswith(f"{shape_line} eglot-error splice [class-bases-changed]: Shape")
        for line in diagnostics
    ), diagnostics
    assert "Why can't `Shape` be patched, and what now?" in said(output, "action")
    assert said(output, "explained")[0]
    assert said(output, "evaluated") == ["[3, 4]"]
    # showNotifications "always" came through eglot-workspace-configuration
    # (.dir-locals.el): by default a patch that went through shows no message.
    assert "splice: patched app.py: greet changed in" in run.stderr


def test_emacs_mode_line_text_matches_the_other_clients(tmp_path: Path) -> None:
    emacs = emacs_with_eglot()

    run = run_emacs(
        emacs,
        tmp_path / "home",
        "-l",
        "ert",
        "-l",
        str(SCRIPTS / "status.el"),
        "-f",
        "ert-run-tests-batch-and-exit",
        cwd=tmp_path,
        env={},
        timeout=60,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"Ran \d+ tests, \d+ results as expected, 0 unexpected", run.stderr)


def test_emacs_splice_el_byte_compiles_without_warnings(tmp_path: Path) -> None:
    emacs = emacs_with_eglot()
    # A copy: the .elc must not land in clients/emacs.
    shutil.copy2(CLIENT / "splice.el", tmp_path / "splice.el")

    run = run_emacs(
        emacs,
        tmp_path / "home",
        "--eval",
        "(setq byte-compile-error-on-warn t)",
        "-f",
        "batch-byte-compile",
        str(tmp_path / "splice.el"),
        cwd=tmp_path,
        env={},
        timeout=60,
    )

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "splice.elc").exists()
