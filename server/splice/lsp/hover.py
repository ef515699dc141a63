"""Hover and completion with live values: what the running program holds, beside jedi's static view.

The live side asks the kernel that runs the buffer's file (``inspect``: no
user code is run but a value's ``__repr__`` and ``__dir__``). The name under
the cursor is found on its line alone, so a hover costs the same in a
2,000-line module as in a small one. With no kernel running the file, both
are skipped at once: the static side alone is any Python server's job.
jedi fills in what the kernel cannot see (a function's locals) for hover, and
merges its static completions with the live attributes.
"""

from __future__ import annotations

import keyword
import logging
import re
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from splice.errors import SpliceError
from splice.lsp.evaluate import KernelChoice
from splice.lsp.static import static_completions, static_hover

logger = logging.getLogger(__name__)

#: Seconds a hover or completion waits for the kernel before giving up on the live side.
LIVE_TIMEOUT = 1.0
#: Characters of a value shown in a hover.
HOVER_REPR = 2000

_CHAIN = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_BEFORE_DOT = re.compile(r"([^\W\d]\w*(?:\.[^\W\d]\w*)*)\.(\w*)$")


@dataclass(frozen=True)
class Chain:
    """A dotted name in a line: its text up to the part under the cursor, and that part's columns."""

    text: str
    start: int
    end: int


def chain_at(line: str, character: int) -> Chain | None:
    """The attribute chain ending at the name under ``character`` (``cfg.lr`` on ``lr``)."""
    comment = _comment_start(line)
    if comment is not None and character >= comment:
        return None
    for match in _CHAIN.finditer(line):
        if not match.start() <= character <= match.end():
            continue
        if match.start() > 0 and line[match.start() - 1] == ".":
            return None  # ``f().x``: what precedes is not a name the kernel can look up
        text = match.group()
        offset = match.start()
        parts = text.split(".")
        position = offset
        for index, part in enumerate(parts):
            if position <= character <= position + len(part):
                if any(keyword.iskeyword(name) for name in parts[: index + 1]):
                    return None
                return Chain(".".join(parts[: index + 1]), position, position + len(part))
            position += len(part) + 1
        return None
    return None


def _comment_start(line: str) -> int | None:
    """Where a ``#`` comment starts, outside string literals (one line's worth of care)."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote is not None:
            if char == quote and line[index - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return index
    return None


async def live_inspect(
    choice: KernelChoice, path: str, expression: str, *, attributes: bool = False
) -> tuple[dict[str, Any], str] | None:
    """The kernel's ``inspect`` answer for ``expression`` and who answered; None if no kernel can."""
    found = choice.pick(path)
    if found is None:
        return None
    kernel, module, _ = found
    params = {
        "module": module,
        "expression": expression,
        "maxRepr": HOVER_REPR,
        "attributes": attributes,
    }
    try:
        result = await kernel.client.request("inspect", params, timeout=LIVE_TIMEOUT)
    except SpliceError as error:
        logger.debug("inspect %s in %s: %s", expression, kernel.describe(), error)
        return None
    if not isinstance(result, dict) or not result.get("found"):
        return None
    return result, kernel.describe()


def hover_markdown(result: dict[str, Any], who: str, static: str | None) -> str:
    """The hover's text: live type and value first, then the signature and docs."""
    expression = result["expression"]
    kind = result.get("kind")
    signature = result.get("signature")
    if kind in ("function", "class") and signature:
        head = f"{expression}{signature}"
    else:
        head = f"{expression}: {result.get('type')}"
    parts = [f"```python\n{head}\n```", f"live in {who}"]
    value = result.get("value")
    if kind == "property":
        parts.append("a property: not called for a hover (evaluate it to see its value)")
    elif value is not None and kind == "value":
        suffix = "\n…" if result.get("truncated") else ""
        parts.append(f"```text\n{value}{suffix}\n```")
    doc = result.get("doc")
    if doc:
        parts.append(doc)
    elif static:
        parts.append(static)
    return "\n\n".join(parts)


def completion_prefix(line: str, character: int) -> tuple[str, str] | None:
    """``("cfg", "l")`` when the text before the cursor is ``cfg.l``."""
    match = _BEFORE_DOT.search(line[:character])
    if match is None:
        return None
    start = match.start()
    if start > 0 and line[start - 1] == ".":
        return None
    chain = match.group(1)
    if any(keyword.iskeyword(part) for part in chain.split(".")):
        return None
    return chain, match.group(2)


# LSP answers ----------------------------------------------------------------------

_COMPLETION_KINDS = {
    "module": types.CompletionItemKind.Module,
    "class": types.CompletionItemKind.Class,
    "function": types.CompletionItemKind.Method,
    "property": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.Field,
    "instance": types.CompletionItemKind.Variable,
    "statement": types.CompletionItemKind.Variable,
    "param": types.CompletionItemKind.Variable,
    "keyword": types.CompletionItemKind.Keyword,
    "path": types.CompletionItemKind.File,
}


def _server_position(document: TextDocument, position: types.Position) -> tuple[str, int]:
    """The line's text and the cursor's column in characters (the client counts in its units)."""
    lines = document.lines
    if position.line >= len(lines):
        return "", 0
    server = document.position_from_client_units(position)
    return lines[position.line].rstrip("\r\n"), server.character


async def hover_at(
    choice: KernelChoice, document: TextDocument, path: str, position: types.Position
) -> types.Hover | None:
    """Live type and value of the name under the cursor, with jedi's view where the kernel has none."""
    if choice.pick(path) is None:
        return None  # skipped, not slow: nothing runs this file
    line, character = _server_position(document, position)
    chain = chain_at(line, character)
    if chain is None:
        return None
    live = await live_inspect(choice, path, chain.text)
    if live is None:
        static = await static_hover(document.source, path, position.line + 1, character)
        if static is None:
            return None
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, static))
    result, who = live
    static = None
    if not result.get("doc") and result.get("kind") != "value":
        static = await static_hover(document.source, path, position.line + 1, character)
    text = hover_markdown(result, who, static)
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text))


async def complete_at(
    choice: KernelChoice, document: TextDocument, path: str, position: types.Position
) -> types.CompletionList | None:
    """After ``obj.``: the live attributes of ``obj`` merged with jedi's static completions."""
    if choice.pick(path) is None:
        return None
    line, character = _server_position(document, position)
    before = completion_prefix(line, character)
    if before is None:
        return None
    chain, prefix = before
    live = await live_inspect(choice, path, chain, attributes=True)
    static = await static_completions(document.source, path, position.line + 1, character)
    items: dict[str, types.CompletionItem] = {}
    for name in static:
        items[name.name] = types.CompletionItem(
            label=name.name, kind=_COMPLETION_KINDS.get(name.kind), detail=name.detail
        )
    if live is not None:
        result, who = live
        for attribute in result.get("attributes", ()):
            name = attribute["name"]
            if not name.startswith(prefix):
                continue
            kind = attribute.get("kind", "value")
            items[name] = types.CompletionItem(
                label=name,
                kind=_COMPLETION_KINDS.get(kind),
                detail=f"live {kind} in {who}",
                # Private names after public ones, as dir() users expect.
                sort_text=("1" if name.startswith("_") else "0") + name,
            )
    return types.CompletionList(is_incomplete=False, items=list(items.values()))
