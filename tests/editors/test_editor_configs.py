"""The Helix, Zed and Sublime Text configurations (clients/, docs/editors/other-editors.md).

None of these editors runs here, so what is checked is what can be without
them: each file parses, names ``splice lsp``, says what the docs say, and
carries settings the server takes without a complaint; and Sublime Text's
palette entries, with their arguments filled in as the LSP package fills them,
drive the real server against a real kernel.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client

import kernel_support
from lsp_support import APP, Session, line_of, serving, wait_ready
from splice.lsp.settings import parse_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.11 here
    tomllib = pytest.importorskip("tomli")

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENTS = REPOSITORY / "clients"
DOCS = REPOSITORY / "docs" / "editors" / "other-editors.md"


def without_comments(text: str) -> str:
    """Sublime's JSON with its whole-line ``//`` comments dropped."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def documented(language: str, containing: str) -> str:
    """The code block of docs/editors/other-editors.md in ``language`` that contains ``containing``."""
    blocks = re.findall(
        rf"^```{language}\n(.*?)^```", DOCS.read_text(encoding="utf-8"), re.M | re.S
    )
    [block] = [block for block in blocks if containing in block]
    return block


def assert_settings_accepted(settings: dict[str, Any]) -> None:
    parsed, problems = parse_settings(settings)
    assert problems == [], problems
    assert parsed.show_notifications == "always"


def test_helix_languages_toml_runs_splice_beside_the_other_python_servers() -> None:
    config = tomllib.loads((CLIENTS / "helix" / "languages.toml").read_text(encoding="utf-8"))

    server = config["language-server"]["splice"]
    assert (server["command"], server["args"]) == ("splice", ["lsp"])
    assert_settings_accepted(server["config"])
    [python] = [language for language in config["language"] if language["name"] == "python"]
    assert "splice" in python["language-servers"] and len(python["language-servers"]) > 1
    assert tomllib.loads(documented("toml", "[language-server.splice]")) == config


def test_sublime_client_runs_splice_for_python_with_its_settings_section() -> None:
    settings = json.loads(
        without_comments((CLIENTS / "sublime" / "LSP.sublime-settings").read_text())
    )

    client = settings["clients"]["splice"]
    assert client["command"] == ["splice", "lsp"]
    assert client["selector"] == "source.python"
    # Sent as {"splice": {...}} in didChangeConfiguration; the server unwraps it.
    assert_settings_accepted(client["settings"])
    assert json.loads(documented("json", '"clients"')) == settings


def test_zed_extension_declares_splice_for_python() -> None:
    folder = CLIENTS / "zed"
    extension = tomllib.loads((folder / "extension.toml").read_text(encoding="utf-8"))
    cargo = tomllib.loads((folder / "Cargo.toml").read_text(encoding="utf-8"))
    source = (folder / "src" / "lib.rs").read_text(encoding="utf-8")

    assert extension["language_servers"]["splice"]["languages"] == ["Python"]
    assert cargo["lib"]["crate-type"] == ["cdylib"]
    assert 'const SERVER: &str = "splice";' in source
    assert 'vec!["lsp".to_string()]' in source
    assert '"splice": settings' in source
    documented_settings = json.loads(documented("json", '"language_servers"'))
    assert "splice" in documented_settings["languages"]["Python"]["language_servers"]
    assert_settings_accepted(documented_settings["lsp"]["splice"]["settings"])


def palette() -> list[dict[str, Any]]:
    text = (CLIENTS / "sublime" / "Splice.sublime-commands").read_text(encoding="utf-8")
    return [entry["args"] for entry in json.loads(without_comments(text))]


def expand(arguments: list[Any], uri: str, line: int, character: int) -> list[Any]:
    """As the LSP package's lsp_execute fills in its variables (plugin/execute_command.py)."""
    values = {"$file_uri": uri, "$line": line, "$character": character}
    return [values.get(argument, argument) for argument in arguments]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    return folder.resolve()


@pytest.fixture
def kernel(project: Path, tmp_path: Path) -> Iterator[kernel_support.RunningKernel]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    with kernel_support.running_kernel(project, "app.py", runtime_dir=str(runtime)) as running:
        wait_ready(running)
        yield running


@pytest.fixture
async def lsp(project: Path, kernel: kernel_support.RunningKernel) -> AsyncIterator[Session]:
    client = make_test_lsp_client()
    session = Session(client, pytest_lsp.client_capabilities("visual_studio_code"), project)
    async with serving(client, session, kernel.runtime_dir) as served:
        yield served


@pytest.mark.timeout(90)
async def test_sublime_palette_commands_drive_the_real_server(
    lsp: Session, kernel: kernel_support.RunningKernel
) -> None:
    commands = {entry["command_name"]: entry.get("command_args", []) for entry in palette()}
    assert set(commands) == {
        "splice.reloadDefinition",
        "splice.reloadFile",
        "splice.undoPatch",
        "splice.detach",
    }
    status = await lsp.initialize()
    assert [item["pid"] for item in status["kernels"] if item["attached"]] == [kernel.info.pid]
    client = json.loads(
        without_comments((CLIENTS / "sublime" / "LSP.sublime-settings").read_text())
    )
    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=client["clients"]["splice"]["settings"])
    )
    uri = lsp.open()
    edited = APP.replace("x * 2", "x * 5")
    lsp.edit(edited)
    line = line_of(edited, "return x * 5")

    def run(name: str) -> Any:
        return lsp.command(name, *expand(commands[name], uri, line, 8))

    reloaded = await run("splice.reloadDefinition")
    assert reloaded["ok"] is True, reloaded
    assert kernel.evaluate("total(1)") == "5"
    # showNotifications "always" came through didChangeConfiguration, as Sublime sends it.
    assert any("total changed" in message.message for message in lsp.client.messages)
    assert not [m for m in lsp.client.messages if "not understood" in m.message]

    undone = await run("splice.undoPatch")
    assert undone["ok"] is True, undone
    assert kernel.evaluate("total(1)") == "2"
    assert (await run("splice.reloadFile"))["ok"] is True
    assert kernel.evaluate("total(1)") == "5"
    detached = await run("splice.detach")
    assert [item for item in detached if item["attached"]] == []
