"""Splicing one definition's new text into a baseline.

Patching only some definitions (``patch_module(..., only=...)``, the editor's
"Reload this function") means patching the baseline with just those
definitions taken from the new text: afterwards the baseline is still exactly
what the module runs. This is the one implementation of that splice.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import TypeGuard

from splice.engine.outline.definitions import (
    DEFINITION_NODES,
    DefinitionNode,
    parse_definitions,
    source_lines_with_ends,
)

_WHITESPACE = " \t\f"
#: Token types that open a string which may span lines (f-strings since 3.12,
#: template strings since 3.14: their pieces arrive as several tokens).
_STRING_STARTS = frozenset(
    getattr(tokenize, name)
    for name in ("FSTRING_START", "TSTRING_START")
    if hasattr(tokenize, name)
)
_STRING_ENDS = frozenset(
    getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)
)


def splice_definition(baseline: str, qualname: str, text: str) -> str:
    """``baseline`` with the definition ``qualname`` taken from ``text``.

    ``text`` is the definition's lines as they stand in the new source
    (decorators included, at any indentation). An existing definition is
    replaced in its place; a new one goes at the end of its class body, or of
    the module. Raises ``LookupError`` when its class is not in the baseline,
    and ``SyntaxError`` when the baseline does not parse.
    """
    outline = parse_definitions(baseline)
    lines = source_lines_with_ends(baseline)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    new_lines = source_lines_with_ends(text)
    if new_lines and not new_lines[-1].endswith(("\n", "\r")):
        new_lines[-1] += "\n"
    definitions = outline.definitions
    previous = definitions.get(qualname)
    if previous is not None:
        indent = _indentation(lines[previous.line - 1])
        placed = _reindent(new_lines, indent)
        return "".join(lines[: previous.line - 1] + placed + lines[previous.end_line :])
    parent_name = qualname.rpartition(".")[0]
    if not parent_name:
        return "".join([*lines, "\n", *_reindent(new_lines, "")])
    parent = definitions.get(parent_name)
    if parent is None or parent.kind != "class":
        raise LookupError(
            f"{parent_name} is not in the module the kernel runs; reload {parent_name} instead"
        )
    first = parent.node.body[0]
    first_line = first.decorator_list[0].lineno if _decorated(first) else first.lineno
    if first_line == parent.node.lineno:
        raise LookupError(
            f"{parent_name} has its body on the line of its header, so nothing can follow it; "
            f"reload {parent_name} instead"
        )
    placed = _reindent(new_lines, _indentation(lines[first_line - 1]))
    return "".join(lines[: parent.end_line] + placed + lines[parent.end_line :])


def _indentation(line: str) -> str:
    # A form feed before the indentation only resets the tokenizer's column:
    # it is not indentation, and is not carried over to other lines.
    line = line.lstrip("\f")
    return line[: len(line) - len(line.lstrip(" \t"))]


def _decorated(node: ast.stmt) -> TypeGuard[DefinitionNode]:
    return isinstance(node, DEFINITION_NODES) and bool(node.decorator_list)


def _reindent(lines: list[str], indent: str) -> list[str]:
    """``lines`` (one definition) moved to ``indent``, string contents untouched.

    A line that starts inside a string (a docstring's second line, reaching
    column 0 or not) keeps every character: its whitespace is the string's.
    """
    if not lines:
        return lines
    current = _indentation(lines[0])
    if current == indent:
        return lines
    inside = _lines_inside_strings("".join(lines))
    placed = []
    for number, line in enumerate(lines, start=1):
        if number in inside or not line.strip(_WHITESPACE + "\r\n"):
            placed.append(line)
            continue
        rest = line.lstrip("\f")
        feeds = line[: len(line) - len(rest)]
        if rest.startswith(current):
            placed.append(feeds + indent + rest[len(current) :])
        else:  # a comment or a bracket's continuation less indented than the header
            placed.append(feeds + indent + rest.lstrip(" \t"))
    return placed


def _lines_inside_strings(text: str) -> set[int]:
    """The 1-based lines of ``text`` that begin inside a string literal."""
    inside: set[int] = set()
    depth = 0
    opened = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _STRING_STARTS:
                if depth == 0:
                    opened = token.start[0]
                depth += 1
            elif token.type in _STRING_ENDS:
                depth -= 1
                if depth == 0:
                    inside.update(range(opened + 1, token.end[0] + 1))
            elif token.type == tokenize.STRING and depth == 0:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        # A fragment the tokenizer cannot finish (it stops at the end of the
        # definition): what it saw before is still right.
        pass
    return inside


__all__ = ["splice_definition"]
