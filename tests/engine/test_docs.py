"""docs/edits.md documents every finding code the engine can produce."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "server" / "splice" / "engine"
EDITS = ROOT / "docs" / "edits.md"
#: The bundled framework adapters report findings of their own.
ADAPTERS = ROOT / "server" / "splice" / "adapters"
#: The agent adds a few to the engine's results (a patch that waited for an import).
AGENT = ROOT / "server" / "splice" / "agent"
#: Calls whose first argument is a finding's code.
#: Calls that name a finding's code, and which argument holds it.
_CODE_CALLS = {
    "Finding": 0,
    "error": 0,
    "skip": 0,
    "refuse": 0,
    "warn": 0,
    "unverified": 0,
    "build_new": 1,
}


def _first_argument_strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _first_argument_strings(node.body) + _first_argument_strings(node.orelse)
    return []


def engine_codes() -> set[str]:
    found: set[str] = set()
    agent = list(AGENT.glob("*.py"))
    for path in [*ENGINE.rglob("*.py"), *ADAPTERS.glob("*.py"), *agent]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            if path in agent and name != "Finding":
                continue  # the agent's other calls named error() are argparse's
            position = _CODE_CALLS.get(name)
            if position is not None and len(node.args) > position:
                found.update(_first_argument_strings(node.args[position]))
    return found


def test_docs_engine_codes_found() -> None:
    codes = engine_codes()
    assert {"syntax-error", "statement-not-run", "class-bases-changed"} <= codes
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)+", code) for code in codes), codes


def test_docs_every_engine_code_has_a_table_row() -> None:
    text = EDITS.read_text()
    missing = [code for code in sorted(engine_codes()) if f"[`{code}`](#{code})" not in text]
    assert missing == []


def test_docs_every_engine_code_has_an_anchor() -> None:
    headings = set(re.findall(r"^### ([a-z-]+)$", EDITS.read_text(), flags=re.MULTILINE))
    assert sorted(engine_codes() - headings) == []


def test_docs_documents_no_code_the_engine_lacks() -> None:
    rows = set(re.findall(r"^\| \[`([a-z-]+)`\]", EDITS.read_text(), flags=re.MULTILINE))
    assert sorted(rows - engine_codes()) == []
