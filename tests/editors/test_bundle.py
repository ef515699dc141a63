"""The VS Code extension's bundled splice: built by scripts/bundle_python.py, run by
bundled/tool/splice_launcher.py with interpreters that have nothing installed.

One bundle is built per test module (pip resolves pure-Python wheels for
CPython 3.10) and then used, as the .vsix uses it, by a bare venv of every
CPython 3.10+ this machine has.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
EXTENSION = REPOSITORY / "clients" / "vscode"
LAUNCHER = EXTENSION / "bundled" / "tool" / "splice_launcher.py"
COMPILED = (".so", ".pyd", ".dylib", ".dll")


def other_pythons() -> list[Path]:
    """This interpreter and the pyenv CPythons 3.10+ beside it."""
    found = [Path(sys.executable)]
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        for version in listed:
            parts = version.split(".")
            if len(parts) == 3 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= 10:
                prefix = subprocess.run(
                    [pyenv, "prefix", version], capture_output=True, text=True, check=False
                ).stdout.strip()
                if prefix and (Path(prefix) / "bin" / "python").exists():
                    found.append(Path(prefix) / "bin" / "python")
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    shutil.copytree(LAUNCHER.parent, folder / "tool")
    built = subprocess.run(
        [sys.executable, str(EXTENSION / "scripts" / "bundle_python.py"), "--output", str(folder)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return folder


def bare_venv(python: Path, folder: Path) -> Path:
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(folder)], check=True)
    bare = folder / "bin" / "python"
    assert subprocess.run([str(bare), "-c", "import splice"], capture_output=True).returncode != 0
    return bare


def launch(
    bare: Path, bundle: Path, *args: str, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bare), str(bundle / "tool" / "splice_launcher.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def test_bundle_is_pure_python_with_the_server_dependencies(bundle: Path) -> None:
    libs = bundle / "libs"
    names = {path.name.split("-")[0].lower() for path in libs.glob("*.dist-info")}
    assert {"pygls", "lsprotocol", "parso", "jedi", "cattrs", "attrs"} <= names
    # cattrs needs it on 3.10 only: pip skips it when the build runs on 3.11+.
    assert "exceptiongroup" in names
    assert [path for path in bundle.rglob("*") if path.name.endswith(COMPILED)] == []
    assert (bundle / "splice" / "splice" / "docs" / "edits.md").exists()
    assert not (libs / "bin").exists()


@pytest.mark.parametrize("python", other_pythons(), ids=lambda path: path.parent.parent.name)
def test_bundle_runs_the_language_server_on_a_bare_interpreter(
    bundle: Path, python: Path, tmp_path: Path
) -> None:
    bare = bare_venv(python, tmp_path / "venv")
    version = launch(bare, bundle, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("splice ")
    # `splice lsp` imports pygls, lsprotocol and parso before it parses its arguments.
    server = launch(bare, bundle, "lsp", "--help")
    assert server.returncode == 0, server.stderr
    assert "usage: splice lsp" in server.stdout


def test_bundle_runs_a_program_without_the_server_dependencies(
    bundle: Path, tmp_path: Path
) -> None:
    bare = bare_venv(Path(sys.executable), tmp_path / "venv")
    program = tmp_path / "program.py"
    program.write_text(
        textwrap.dedent(
            """\
            import importlib.util, sys
            print(sys.path[0])
            print([name for name in ("pygls", "lsprotocol", "parso", "jedi", "cattrs") if importlib.util.find_spec(name)])
            print("splice" in sys.modules)
            """
        )
    )
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    ran = launch(
        bare, bundle, "run", str(program), env={**os.environ, "SPLICE_RUNTIME_DIR": str(runtime)}
    )
    assert ran.returncode == 0, ran.stderr
    path0, importable, agent_loaded = ran.stdout.splitlines()
    assert path0 == str(tmp_path)  # as `python program.py` would have it
    assert importable == "[]"
    assert agent_loaded == "True"


def test_bundle_launcher_names_a_missing_bundle(tmp_path: Path) -> None:
    (tmp_path / "tool").mkdir()
    shutil.copy2(LAUNCHER, tmp_path / "tool")
    result = launch(Path(sys.executable), tmp_path, "lsp")
    assert result.returncode != 0
    assert "the extension's bundled copy of splice is missing" in result.stderr
    assert "pip" not in result.stderr


def test_bundle_is_in_the_packaged_vsix() -> None:
    vsix = EXTENSION / "splice.vsix"
    if not vsix.exists():
        pytest.skip("clients/vscode/splice.vsix is not built (npm run package)")
    with zipfile.ZipFile(vsix) as archive:
        names = archive.namelist()
    assert "extension/bundled/tool/splice_launcher.py" in names
    assert "extension/bundled/splice/splice/lsp/server.py" in names
    assert "extension/bundled/libs/pygls/server.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(COMPILED)]
