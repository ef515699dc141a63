"""Which code actions to offer at a place in a buffer, and the commands' arguments.

Every action is a command (``splice.reloadDefinition`` ...) so that the work
happens when the user picks it, on the buffer text of that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lsprotocol import types

from splice.engine.result import STATEMENT_SKIP_CODES
from splice.lsp import convert, definitions

#: The kind of the actions that are not fixes for a diagnostic.
KIND = "refactor.splice"


def code_actions(
    uri: str,
    text: str,
    selection: types.Range,
    context: types.CodeActionContext,
    findings: list[dict[str, Any]],
) -> list[types.CodeAction]:
    """The actions for a cursor or selection, given the file's splice diagnostics."""
    found: list[types.CodeAction] = []
    for diagnostic in context.diagnostics:
        if diagnostic.source != convert.SOURCE:
            continue
        rerun = _data(diagnostic, findings).get("rerun")
        if isinstance(rerun, dict) and isinstance(rerun.get("line"), int):
            # Code that ran at import with old code made what this statement holds.
            found.append(
                convert.command_action(
                    "Run this statement again",
                    types.CodeActionKind.QuickFix,
                    "splice.runStatement",
                    [rerun.get("uri") or uri, convert.lsp_line(rerun["line"])],
                    [diagnostic],
                )
            )
        elif diagnostic.code in STATEMENT_SKIP_CODES:
            found.append(
                convert.command_action(
                    "Run this statement in the kernel",
                    types.CodeActionKind.QuickFix,
                    "splice.runStatement",
                    [uri, diagnostic.range.start.line],
                    [diagnostic],
                )
            )
        elif _is_refused(diagnostic, findings):
            qualname = _qualname(diagnostic, findings)
            found.append(
                convert.command_action(
                    "Apply the other changes",
                    types.CodeActionKind.QuickFix,
                    "splice.applyOthers",
                    [uri],
                    [diagnostic],
                )
            )
            found.append(
                convert.command_action(
                    f"Why can't `{qualname}` be patched, and what now?",
                    types.CodeActionKind.QuickFix,
                    "splice.explain",
                    [str(diagnostic.code), qualname],
                    [diagnostic],
                )
            )
    target = definitions.definition_at(text, convert.buffer_line(selection.start.line))
    if target is not None:
        found.append(
            convert.command_action(
                f"Reload `{target.qualname}` in kernel",
                KIND,
                "splice.reloadDefinition",
                [uri, selection.start.line, selection.start.character],
            )
        )
    found.append(
        convert.command_action("Reload all changes in this file", KIND, "splice.reloadFile", [uri])
    )
    return found


def _data(diagnostic: types.Diagnostic, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The diagnostic's data; from our own record when the client dropped it."""
    if isinstance(diagnostic.data, dict):
        return diagnostic.data
    for item in findings:
        if item.get("line") == convert.buffer_line(diagnostic.range.start.line):
            return item
    return {}


def _is_refused(diagnostic: types.Diagnostic, findings: list[dict[str, Any]]) -> bool:
    return bool(_data(diagnostic, findings).get("refused"))


def _qualname(diagnostic: types.Diagnostic, findings: list[dict[str, Any]]) -> str:
    return str(_data(diagnostic, findings).get("qualname") or "this definition")


def refused_qualnames(findings: Iterable[dict[str, Any]]) -> frozenset[str]:
    return frozenset(
        str(item["qualname"]) for item in findings if item.get("refused") and item.get("qualname")
    )


#: What to do about a refused edit, by code; the fallback covers the rest.
_WAYS_OUT = {
    "closure-freevars-changed": "re-run the code that creates it (its factory), or restart",
    "decorator-opaque": "use functools.wraps in its decorator, or restart the program",
    "dataclass-options": "use literal @dataclass(...) arguments, or restart the program",
}


def explanation(code: str, qualname: str | None, link: str | None) -> str:
    """A short account of a refused edit and the way out."""
    name = qualname or "this definition"
    way_out = _WAYS_OUT.get(code, "restart the program (or re-run the code that creates it)")
    return (
        f"splice: `{name}` cannot be patched in place ({code}). Patches are all or nothing, "
        f"so nothing of this save was applied. Use 'Apply the other changes' to patch "
        f"everything else now; `{name}` keeps its old code until you {way_out}. "
        f"Details: {link or f'docs/edits.md#{code}'}"
    )
