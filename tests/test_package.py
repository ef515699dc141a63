"""The public surface: what ``import splice`` offers and what the command line says."""

from __future__ import annotations

import subprocess
import sys

import splice


def test_public_api_is_exactly_the_curated_names() -> None:
    assert sorted(splice.__all__) == [
        "AuthenticationError",
        "Finding",
        "KernelUnavailableError",
        "PatchResult",
        "ProtocolError",
        "RemoteError",
        "SpliceError",
        "UnknownModuleError",
        "__version__",
        "listen",
        "load_ipython_extension",
        "patch_module",
        "run_statement",
        "unload_ipython_extension",
    ]
    for name in splice.__all__:
        assert getattr(splice, name) is not None


def test_errors_share_one_root() -> None:
    for name in (
        "AuthenticationError",
        "KernelUnavailableError",
        "ProtocolError",
        "RemoteError",
        "UnknownModuleError",
    ):
        assert issubclass(getattr(splice, name), splice.SpliceError)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_version_prints_the_package_version() -> None:
    completed = run_cli("--version")
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"splice {splice.__version__}"


def test_cli_help_lists_every_command() -> None:
    completed = run_cli("--help")
    assert completed.returncode == 0
    for command in ("run", "kernel", "kernels", "patch", "lsp"):
        assert f"  {command} " in completed.stdout


def test_cli_unknown_command_fails_with_usage() -> None:
    completed = run_cli("frobnicate")
    assert completed.returncode == 2
    assert "unknown command 'frobnicate'" in completed.stderr


def test_cli_run_reports_a_missing_script() -> None:
    completed = run_cli("run", "--no-listen", "does-not-exist.py")
    assert completed.returncode == 2
    assert "no such file: does-not-exist.py" in completed.stderr
