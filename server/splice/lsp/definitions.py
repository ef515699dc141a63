"""Definitions in a buffer that may not parse, found with parso's error recovery.

The engine needs a whole module that compiles; an editor buffer often has a
half-typed line somewhere. parso (jedi's parser) recovers from errors and keeps
the intact definitions as nodes, so we can still take one definition's exact
text; the engine's ``splice_definition`` puts it into the kernel's baseline,
and the kernel gets a module that parses.

Only the definitions the engine patches by qualname are listed: module-level
functions and classes, and (recursively) the functions and classes in a class
body. A function nested in a function belongs to its outer function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import parso
from parso.utils import split_lines

from splice.engine.outline.definitions import parse_definitions

#: A class that hosts a method's text so it parses without dedenting it
#: (dedenting breaks on docstrings that reach column 0).
_HOST = "__splice_host__"


@dataclass(frozen=True)
class SourceDefinition:
    """One definition's place and exact text in a source (lines 1-based, inclusive)."""

    qualname: str
    name: str
    line: int  # the first decorator's line, or the def/class line
    end_line: int
    indent: int
    text: str  # the lines line..end_line, each ending in a newline
    header_line: int  # the ``def``/``class`` line, after any decorators

    def contains(self, line: int) -> bool:
        return self.line <= line <= self.end_line


def find_definitions(source: str) -> list[SourceDefinition]:
    """Every patchable definition of ``source``, outer before inner, in file order."""
    lines = _lines(source)
    module = parso.parse(source, error_recovery=True)  # type: ignore[no-untyped-call]
    return list(_walk(module.children, "", lines))


def definition_at(source: str, line: int) -> SourceDefinition | None:
    """The innermost patchable definition around 1-based ``line``, if any."""
    found = None
    for definition in find_definitions(source):
        if definition.contains(line) and (found is None or definition.line >= found.line):
            found = definition
    return found


def _walk(nodes: list[Any], prefix: str, lines: list[str]) -> Iterator[SourceDefinition]:
    for node in nodes:
        target = _definition_node(node)
        if target is None:
            # Definitions inside a module- or class-level if/try/with count as
            # the engine's own (it patches those too).
            if node.type in _BLOCKS:
                for child in node.children:
                    if child.type == "suite":
                        yield from _walk(child.children, prefix, lines)
            continue
        name = target.name.value
        qualname = prefix + name
        yield _make(node, qualname, name, lines)
        if target.type == "classdef":
            body = target.children[-1]
            if body.type == "suite":
                yield from _walk(body.children, qualname + ".", lines)


_BLOCKS = frozenset({"if_stmt", "try_stmt", "with_stmt", "for_stmt", "while_stmt"})


def _definition_node(node: Any) -> Any | None:
    """The funcdef/classdef a module- or class-level node stands for, if any."""
    if node.type in ("funcdef", "classdef"):
        return node
    if node.type == "decorated":
        return _definition_node(node.children[-1])
    if node.type == "async_stmt" and node.children[-1].type == "funcdef":
        return node.children[-1]
    if node.type == "async_funcdef":
        return node.children[-1]
    return None


def _make(node: Any, qualname: str, name: str, lines: list[str]) -> SourceDefinition:
    start_line, indent = node.start_pos
    last = node.get_last_leaf()
    # A body's final newline belongs to the node; the definition ends on the
    # line that newline terminates, not on the next one.
    end_line = last.start_pos[0] if last.type == "newline" else last.end_pos[0]
    end_line = max(start_line, min(end_line, len(lines)))
    text = "".join(lines[start_line - 1 : end_line])
    if text and not text.endswith("\n"):
        text += "\n"
    header = node.children[-1] if node.type == "decorated" else node
    header_line = min(header.start_pos[0], end_line)
    return SourceDefinition(qualname, name, start_line, end_line, indent, text, header_line)


def fingerprint(definition: SourceDefinition) -> str | None:
    """What the definition's code is, ignoring comments and layout; None if it does not parse.

    Two definitions with equal fingerprints compile to the same code, so the
    engine would not change one into the other. A class's fingerprint covers
    its decorators, bases, keywords and class-level statements, not its
    members: they are definitions of their own. A method is parsed inside a
    stand-in class, so its text needs no dedenting (which breaks on docstrings
    reaching column 0).
    """
    if definition.indent == 0:
        snippet, qualname = definition.text, definition.name
    else:
        snippet, qualname = f"class {_HOST}:\n{definition.text}", f"{_HOST}.{definition.name}"
    try:
        outline = parse_definitions(snippet, filename="<buffer>")
    except SyntaxError:
        return None
    found = outline.definitions.get(qualname)
    if found is None:
        return None
    node = found.node
    if isinstance(node, ast.ClassDef):
        own = [
            *node.decorator_list,
            *node.bases,
            *node.keywords,
            *(item for item in node.body if not isinstance(item, _DEFINITION_NODES)),
        ]
        return "|".join(ast.dump(item) for item in own)
    return ast.dump(node)


_DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def fingerprints(source: str) -> dict[str, str | None]:
    """qualname -> fingerprint for every definition of ``source`` (None: does not parse)."""
    return {item.qualname: fingerprint(item) for item in find_definitions(source)}


@dataclass(frozen=True)
class Changes:
    """How a buffer's definitions differ from a baseline's, by qualname."""

    changed: tuple[str, ...]
    added: tuple[str, ...]
    deleted: tuple[str, ...]

    @property
    def patchable(self) -> tuple[str, ...]:
        return self.changed + self.added


def compare(buffer: str, baseline: str) -> Changes:
    """Which definitions the buffer changes, adds or deletes relative to the baseline."""
    new, old = fingerprints(buffer), fingerprints(baseline)
    changed = tuple(
        name
        for name, value in new.items()
        if value is not None and name in old and old[name] != value
    )
    added = tuple(name for name, value in new.items() if value is not None and name not in old)
    deleted = tuple(name for name in old if name not in new)
    return Changes(changed, added, deleted)


def _lines(source: str) -> list[str]:
    """Lines as parso counts them (its positions index this list), with their ends."""
    lines: list[str] = split_lines(source, keepends=True)
    return lines[:-1] if lines and lines[-1] == "" else lines
