"""The VS Code extension: its unit tests, and the end-to-end test in a real VS Code.

Both run the extension's own npm scripts in clients/vscode (``npm test``,
``npm run test:e2e``), which clients/vscode/scripts/install-e2e.sh prepares.
The end-to-end scenarios (clients/vscode/e2e) install the .vsix into a fresh
code-server profile each, edit a running program through chromium, and ask
the program what changed: "patch" attaches to a program started outside the
editor, "bundled" starts one with "Run Current File with Kernel" from an
interpreter that has nothing installed (the .vsix brings splice).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import support

REPOSITORY = Path(__file__).resolve().parents[2]
EXTENSION = REPOSITORY / "clients" / "vscode"
TOOLS = Path(
    os.environ.get("SPLICE_E2E_TOOLS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "splice-e2e"
)
CODE_SERVER = Path(
    os.environ.get("SPLICE_CODE_SERVER") or TOOLS / "node_modules" / ".bin" / "code-server"
)
CHROMIUM = Path(os.environ.get("SPLICE_CHROMIUM") or "/usr/bin/chromium")
INSTALL = "bash clients/vscode/scripts/install-e2e.sh"


def npm(*args: str, timeout: float, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SPLICE_TEST_PYTHON": sys.executable,
        "SPLICE_E2E_PYTHON": sys.executable,
        **extra_env,
    }
    return subprocess.run(
        ["npm", "--silent", *args],
        cwd=EXTENSION,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def require_node_modules() -> None:
    if shutil.which("npm") is None:
        support.e2e_unavailable("npm is not installed")
    if not (EXTENSION / "node_modules" / ".bin" / "tsc").exists():
        support.e2e_unavailable(f"clients/vscode/node_modules is missing; run {INSTALL}")


def test_vscode_unit_tests_pass() -> None:
    require_node_modules()
    result = npm("test", timeout=110)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout


def require_editor() -> None:
    require_node_modules()
    if not CODE_SERVER.exists():
        support.e2e_unavailable(f"code-server is not installed at {CODE_SERVER}; run {INSTALL}")
    if not CHROMIUM.exists():
        support.e2e_unavailable(f"chromium is not installed at {CHROMIUM}; run {INSTALL}")
    if not (EXTENSION / "splice.vsix").exists():
        build = npm("run", "package", timeout=170, SPLICE_BUILD_PYTHON=sys.executable)
        assert build.returncode == 0, build.stdout + build.stderr


def run_scenario(name: str, screenshots: Path) -> subprocess.CompletedProcess[str]:
    # Not docs/editors, which `npm run test:e2e` refreshes: a test run must not
    # leave the working tree changed.
    return npm("run", "test:e2e", "--", name, timeout=220, SPLICE_E2E_SCREENSHOTS=str(screenshots))


@pytest.mark.timeout(240)
def test_vscode_save_and_reload_patch_the_running_program(tmp_path: Path) -> None:
    require_editor()
    result = run_scenario("patch", tmp_path)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-4000:]
    assert "e2e: passed" in result.stdout
    assert 'missing interpreter: "Splice could not run the Python interpreter' in result.stdout
    assert (tmp_path / "vscode.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.timeout(240)
def test_vscode_run_file_with_kernel_works_with_a_bare_interpreter(tmp_path: Path) -> None:
    """The installed .vsix alone: the interpreter has neither splice nor pygls."""
    require_editor()
    result = run_scenario("bundled", tmp_path)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-4000:]
    assert "the program now writes: patched live" in result.stdout
    assert "terminal: greeting: patched live" in result.stdout
    assert (tmp_path / "vscode-run.png").read_bytes().startswith(b"\x89PNG")
