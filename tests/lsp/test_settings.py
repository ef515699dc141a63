"""Settings: defaults, validation, and the documentation that describes them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session
from splice.lsp.settings import AutoAttach, LogLevel, Settings, parse_settings, setting_keys

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "settings.md"
PACKAGE = ROOT / "clients" / "vscode" / "package.json"


def documented_defaults() -> dict[str, object]:
    """``{key: default}`` from the table in docs/settings.md."""
    found = {}
    for line in DOCS.read_text().splitlines():
        # Cells are split on "|" but not on "\|" (a "|" inside a cell).
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and re.fullmatch(r"`\w+(\.\w+)?`", cells[0]):
            found[cells[0].strip("`")] = json.loads(cells[2].strip("`"))
    return found


def test_settings_docs_list_every_setting_with_its_default() -> None:
    defaults = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in setting_keys().items()
    }

    assert documented_defaults() == defaults


def test_settings_vscode_package_holds_the_servers_defaults() -> None:
    properties = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]
    defaults = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in setting_keys().items()
    }

    declared = {
        key.removeprefix("splice."): item["default"]
        for key, item in properties.items()
        if key.removeprefix("splice.") in defaults
    }

    assert declared == defaults


def test_settings_vscode_package_offers_exactly_the_servers_choices() -> None:
    properties = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]

    assert tuple(properties["splice.autoAttach"]["enum"]) == get_args(AutoAttach)
    assert tuple(properties["splice.logLevel"]["enum"]) == get_args(LogLevel)


def test_settings_missing_keys_keep_their_current_values() -> None:
    current = Settings(patch_on_save=False, auto_attach="off")

    settings, problems = parse_settings({"liveMarkers": False}, current)

    assert problems == []
    assert settings == Settings(patch_on_save=False, auto_attach="off", live_markers=False)


def test_settings_null_means_the_default() -> None:
    settings, _ = parse_settings({"autoAttach": None}, Settings(auto_attach="off"))

    assert settings.auto_attach == "workspace"


def test_settings_text_is_not_a_boolean() -> None:
    settings, problems = parse_settings({"patchOnSave": "no"})

    assert settings.patch_on_save is True
    assert [str(problem) for problem in problems] == [
        "patchOnSave: expected true or false, got 'no'; using the default"
    ]


def test_settings_default_when_none_given() -> None:
    assert parse_settings(None) == (Settings(), [])


def test_settings_read_camel_case_keys() -> None:
    settings, problems = parse_settings(
        {"patchOnSave": False, "autoAttach": "off", "kernels": [12, "/x.json"]}
    )

    assert problems == []
    assert settings == Settings(patch_on_save=False, auto_attach="off", kernels=(12, "/x.json"))


def test_settings_accept_a_splice_section() -> None:
    settings, _ = parse_settings({"splice": {"liveMarkers": False}})

    assert settings.live_markers is False


def test_settings_bad_value_falls_back_to_its_default_only() -> None:
    settings, problems = parse_settings({"autoAttach": "always", "patchOnSave": False})

    assert settings == Settings(patch_on_save=False)
    assert [problem.key for problem in problems] == ["autoAttach"]


def test_settings_unknown_key_is_reported() -> None:
    _, problems = parse_settings({"patchOnSafe": True})

    assert [str(problem) for problem in problems] == ["patchOnSafe: unknown setting, ignored"]


def test_settings_client_only_keys_are_not_problems() -> None:
    assert parse_settings({"python": "/usr/bin/python3"}) == (Settings(), [])


def test_settings_pid_given_as_text_becomes_a_number() -> None:
    settings, _ = parse_settings({"kernels": ["4242"]})

    assert settings.kernels == (4242,)


async def test_bad_settings_show_one_message_then_defaults_apply(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()

    status = await lsp.initialize({"autoAttach": 3, "logLevel": "loud"})

    [message] = lsp.client.messages
    assert message.type == types.MessageType.Warning
    assert "autoAttach" in message.message and "logLevel" in message.message
    assert any(log.message == message.message for log in lsp.client.log_messages)
    assert [item["pid"] for item in status["kernels"] if item["attached"]] == [kernel.info.pid]


async def test_changed_configuration_applies_at_once(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()

    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"splice": {"patchOnSave": False}})
    )
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await lsp.command("splice.listKernels")

    assert kernel.evaluate("total(5)") == "10"
    assert lsp.statuses[-1]["lastPatch"] is None


async def test_partial_configuration_change_keeps_the_other_settings(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"patchOnSave": False})
    uri = lsp.open()

    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"splice": {"liveMarkers": False}})
    )
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            text=APP.replace("x * 2", "x * 3"),
        )
    )
    await lsp.command("splice.listKernels")

    assert kernel.evaluate("total(5)") == "10"
    assert lsp.statuses[-1]["lastPatch"] is None
