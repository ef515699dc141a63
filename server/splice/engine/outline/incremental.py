"""Outlining a new text by parsing only the top-level statements an edit touched.

Most saves change a few lines. The lines the old and new text share at the
start and at the end are found by comparing lines; the changed lines are
widened to whole top-level statements of the old outline, and only that
region of the new text is parsed (padded with newlines, so line numbers come
out right). Definitions and statements before the region are reused as they
are; those after it are reused with their lines shifted.

This is sound because the region starts and ends at top-level statement
boundaries that both texts share: if the region parses as a module, the
whole new text parses as prefix, region and suffix, and the suffix means
what it meant before. When anything is unusual (the region does not parse,
carriage returns), the caller parses the whole text instead.

Reused definitions keep their old syntax tree, whose positions may be stale;
only their ``line``/``end_line`` fields are kept true. That is enough: a
definition whose text did not change is never compiled from its tree, only
compared (``ast.dump`` ignores positions) or moved (line shift of its code).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from itertools import compress, count
from operator import ne

from splice.engine.outline.definitions import (
    Definition,
    Outline,
    OutlineBuilder,
    Statement,
    future_flags,
    source_lines,
)
from splice.engine.outline.statements import is_future_import


def reoutline(old: Outline, new_source: str, filename: str) -> Outline | None:
    """The outline of ``new_source``, reusing ``old``; None if a full parse is needed.

    Raises nothing: a region that does not parse returns None, so that the
    caller's full parse reports the error exactly as the compiler would.
    """
    if "\r" in new_source or "\r" in old.source:
        return None
    if new_source == old.source:
        return old
    old_lines, new_lines = source_lines(old.source), source_lines(new_source)
    prefix = _common_prefix(old_lines, new_lines)
    suffix = _common_suffix(old_lines, new_lines, prefix)
    delta = len(new_lines) - len(old_lines)
    start, end = _region(old, prefix + 1, len(old_lines) - suffix)
    new_end = end + delta
    region = "\n".join(new_lines[start - 1 : new_end])
    try:
        tree = ast.parse("\n" * (start - 1) + region + "\n", filename)
    except (SyntaxError, ValueError):
        return None
    if start > 1 and any(is_future_import(node) for node in tree.body):
        return None  # legal only at the top: let the full parse judge it

    before = [d for d in old.ordered if d.end_line < start]
    after = [d for d in old.ordered if d.line > end]
    builder = OutlineBuilder(new_lines)
    for definition in before:
        builder.seen[definition.qualname] = definition.occurrence + 1
    statements_before = [s for s in old.statements if s.end_line < start]
    builder.visit_body(
        tree.body,
        scope=None,
        in_block=False,
        docstring_allowed=not statements_before and not any(d.parent is None for d in before),
    )
    shifted = [_shift_definition(d, delta, builder.seen) for d in after]
    statements = [
        *statements_before,
        *builder.module_statements,
        *(_shift_statement(s, delta) for s in old.statements if s.line > end),
    ]
    definitions = [*before, *builder.definitions, *shifted]
    body = _top_level_nodes(definitions, statements)
    return Outline(
        source=new_source,
        tree=ast.Module(body=body, type_ignores=[]),
        ordered=tuple(definitions),
        statements=tuple(statements),
        future_flags=future_flags(ast.Module(body=body, type_ignores=[])),
    )


def _common_prefix(old: list[str], new: list[str]) -> int:
    # The first index where the lines differ, found by C code (no Python loop per line).
    limit = min(len(old), len(new))
    return next(compress(count(), map(ne, old, new)), limit)


def _common_suffix(old: list[str], new: list[str], prefix: int) -> int:
    limit = min(len(old), len(new)) - prefix
    return min(next(compress(count(), map(ne, reversed(old), reversed(new))), limit), limit)


def _region(old: Outline, first_changed: int, last_changed: int) -> tuple[int, int]:
    """Old lines ``[start, end]`` covering the change, widened to whole top-level items.

    ``last_changed`` is below ``first_changed`` for a pure insertion; the
    items around the insertion point are taken in then.
    """
    start, end = first_changed, max(last_changed, first_changed - 1)
    for line, end_line in _top_level_spans(old):
        # One line of margin on each side: an insertion right after a
        # statement may continue it (a decorator, an ``else:``).
        if line <= end + 1 and end_line >= start - 1:
            start, end = min(start, line), max(end, end_line)
    return max(start, 1), end


def _top_level_spans(old: Outline) -> Iterable[tuple[int, int]]:
    for definition in old.ordered:
        if definition.parent is None and not definition.in_block:
            yield definition.line, definition.end_line
    for statement in old.statements:
        yield statement.line, statement.end_line


def _shift_definition(definition: Definition, delta: int, seen: dict[str, int]) -> Definition:
    occurrence = seen.get(definition.qualname, 0)
    seen[definition.qualname] = occurrence + 1
    if delta == 0 and occurrence == definition.occurrence:
        return definition
    return dataclasses.replace(
        definition,
        line=definition.line + delta,
        end_line=definition.end_line + delta,
        occurrence=occurrence,
        statements=tuple(_shift_statement(s, delta) for s in definition.statements),
    )


def _shift_statement(statement: Statement, delta: int) -> Statement:
    if delta == 0:
        return statement
    return dataclasses.replace(
        statement, line=statement.line + delta, end_line=statement.end_line + delta
    )


def _top_level_nodes(definitions: list[Definition], statements: list[Statement]) -> list[ast.stmt]:
    """The module's top-level nodes in source order (for its ``from __future__`` flags)."""
    items: list[tuple[int, ast.stmt]] = [
        (d.line, d.node) for d in definitions if d.parent is None and not d.in_block
    ]
    items.extend((s.line, s.node) for s in statements)
    items.sort(key=lambda item: item[0])
    return [node for _, node in items]
