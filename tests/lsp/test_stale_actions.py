""" "Run this statement again": a statement that still holds what old code made, re-run from the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from lsp_support import KernelFactory, Session, line_of

CONFIG = """\
from dataclasses import dataclass


@dataclass
class Config:
    lr: float = 0.1
"""

LOOP = """\
ready = True
while True:
    time.sleep(0.02)
"""

APP = "import time\n\n" + CONFIG + "\n\nCFG = Config()\n" + LOOP

IMPORTER = "import time\n\nfrom config import Config\n\nCFG = Config()\n" + LOOP


def stale(diagnostics: list[types.Diagnostic]) -> types.Diagnostic:
    [found] = [item for item in diagnostics if item.code == "statement-stale"]
    return found


def run_again(actions: list[Any]) -> types.CodeAction:
    [action] = [item for item in actions if item.title == "Run this statement again"]
    assert isinstance(action, types.CodeAction) and action.command is not None
    return action


async def test_statement_named_stale_is_run_again_from_its_code_action(
    lsp: Session, start_kernel: KernelFactory, project: Path
) -> None:
    (project / "app.py").write_text(APP)
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = APP.replace("0.1", "0.01")
    await lsp.save(text)
    diagnostic = stale(lsp.client.diagnostics[uri])
    assert diagnostic.range.start.line == line_of(text, "CFG = Config()")
    assert kernel.evaluate("CFG.lr") == "0.1"

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic])
    action = run_again(actions)
    assert action.command is not None
    await lsp.command(action.command.command, *(action.command.arguments or []))

    assert kernel.evaluate("CFG.lr") == "0.01"


async def test_statement_of_an_importing_module_is_run_again_in_that_module(
    lsp: Session, start_kernel: KernelFactory, project: Path
) -> None:
    (project / "config.py").write_text(CONFIG)
    (project / "app.py").write_text(IMPORTER)
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open("config.py")
    await lsp.save(CONFIG.replace("0.1", "0.01"), "config.py")
    diagnostic = stale(lsp.client.diagnostics[uri])
    # On the change the statement missed, pointing at the statement in app.py.
    assert diagnostic.range.start.line == line_of(CONFIG, "@dataclass")
    [related] = diagnostic.related_information or []
    assert related.location.uri == lsp.uri("app.py")
    assert related.location.range.start.line == line_of(IMPORTER, "CFG = Config()")

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic], "config.py")
    action = run_again(actions)
    assert action.command is not None
    await lsp.command(action.command.command, *(action.command.arguments or []))

    assert kernel.evaluate("CFG.lr") == "0.01"
