"""Outlining a new text by parsing only the top-level statements an edit touched.

Most saves change a few lines. The lines the old and new text share at the
start and at the end are found by comparing characters; the changed lines
are widened to whole top-level statements of the old outline (found by
bisection), and only that region of the new text is parsed (its line numbers
moved after). Definitions and statements before the region are reused as
they are; those after it are reused with their lines shifted. Nothing here
takes time in proportion to the module's lines, and little in proportion to
its definitions (no Python loop over them unless the edit moves lines), so
that a save to many processes costs each about what its edit costs.

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
import copy
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TypeVar

from splice.engine.outline.definitions import (
    Definition,
    Derivation,
    Outline,
    OutlineBuilder,
    Statement,
    future_flags,
    top_level_spans,
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
    old_source = old.source
    # The lines both texts share at each end, found on characters (no list of
    # lines of either text): a line counts as shared only if it is whole
    # within the shared characters, so the changed lines may come out a
    # little wider than they are, never narrower.
    head = _common_prefix(old_source, new_source)
    tail = _common_suffix(old_source, new_source, head)
    old_middle = old_source.count("\n", head, len(old_source) - tail)
    delta = new_source.count("\n", head, len(new_source) - tail) - old_middle
    if head <= tail:
        prefix = old_source.count("\n", 0, head)
        suffix = old.line_count - 1 - prefix - old_middle
    else:
        suffix = old_source.count("\n", len(old_source) - tail)
        prefix = old.line_count - 1 - suffix - old_middle
    spans = old.spans
    start, end = _region(spans, prefix + 1, old.line_count - suffix)
    new_end = end + delta
    first = _line_offset(new_source, head, prefix + 1, start)
    last = _line_end(new_source, len(new_source) - tail, old.line_count + delta - suffix, new_end)
    region = new_source[first:last]
    try:
        tree = ast.parse(region + "\n", filename)
    except (SyntaxError, ValueError):
        return None
    # Moved to its lines afterwards: padding the text with newlines instead costs the
    # tokenizer time in proportion to the lines above the edit.
    ast.increment_lineno(tree, start - 1)
    if start > 1 and any(is_future_import(node) for node in tree.body):
        return None  # legal only at the top: let the full parse judge it

    # Items never straddle the region (it was widened to whole top-level items),
    # and both tuples are in source order: the region's ends are found by bisection.
    ordered, statements = old.ordered, old.statements
    first_definition = bisect_left(ordered, start, key=_line)
    after_definition = bisect_right(ordered, end, key=_line)
    first_statement = bisect_left(statements, start, key=_line)
    after_statement = bisect_right(statements, end, key=_line)
    before = ordered[:first_definition]
    replaced = ordered[first_definition:after_definition]
    # The lines before the region are the old text's: only their row numbers are used.
    builder = OutlineBuilder(_padded(start, region), _counter(old, before, start))
    builder.visit_body(
        tree.body,
        scope=None,
        in_block=False,
        docstring_allowed=not first_statement and not any(d.parent is None for d in before),
    )
    added = builder.definitions
    after = ordered[after_definition:]
    reused = not delta and Counter(map(_qualname, replaced)) == Counter(map(_qualname, added))
    if not reused:
        after = tuple(_shift_definition(d, delta, builder) for d in after)
    statements_after = statements[after_statement:]
    if delta:
        statements_after = tuple(_shift_statement(s, delta) for s in statements_after)
    new_statements = (*statements[:first_statement], *builder.module_statements, *statements_after)
    flags = old.future_flags
    if start == 1 or any(
        is_future_import(s.node) for s in statements[first_statement:after_statement]
    ):
        flags = future_flags(_module_head(before, statements[:first_statement], tree))
    derivation = Derivation(
        base=weakref.ref(old),
        first=first_definition,
        base_end=after_definition,
        end=first_definition + len(added),
        first_statement=first_statement,
        base_statement_end=after_statement,
        statement_end=first_statement + len(builder.module_statements),
        shift=delta,
        start=start,
        base_end_line=end,
        text_start=first,
        text_end=last,
    )
    outline = Outline(
        source=new_source,
        parsed=None,
        ordered=(*before, *added, *after),
        statements=new_statements,
        future_flags=flags,
        derivation=derivation,
    )
    # Cached properties, known already.
    outline.__dict__["line_count"] = old.line_count + delta
    if reused:
        definitions = _definitions_after_edit(old, replaced, added)
        if definitions is not None:
            outline.__dict__["definitions"] = definitions
    spans_before = spans[: bisect_left(spans, start, key=_span_start)]
    spans_after = spans[bisect_right(spans, end, key=_span_start) :]
    if delta:
        spans_after = [(line + delta, end_line + delta) for line, end_line in spans_after]
    outline.__dict__["spans"] = [
        *spans_before,
        *top_level_spans(added, builder.module_statements),
        *spans_after,
    ]
    return outline


def _definitions_after_edit(
    old: Outline, replaced: Iterable[Definition], added: Iterable[Definition]
) -> dict[str, Definition] | None:
    """The new outline's ``definitions`` as the old one's with the region's changed,
    when no name the region defines is defined outside it; else None (built on use)."""
    known = old.__dict__.get("definitions")
    if known is None:
        return None
    counts = Counter(map(_qualname, replaced))
    inside = {id(definition) for definition in replaced}
    for qualname, count in counts.items():
        last = known[qualname]
        if id(last) not in inside or last.occurrence != count - 1:
            return None
    for definition in added:
        if definition.qualname in known and definition.qualname not in counts:
            return None
    definitions = dict(known)
    for qualname in counts:
        del definitions[qualname]
    definitions.update((definition.qualname, definition) for definition in added)
    return definitions


def _span_start(span: tuple[int, int]) -> int:
    return span[0]


def _counter(old: Outline, before: tuple[Definition, ...], start: int) -> Callable[[str], int]:
    """How many definitions of a qualname come before the region (without counting all of them)."""

    def earlier(qualname: str) -> int:
        last = old.definitions.get(qualname)
        if last is None:
            return 0
        if last.line < start:
            return last.occurrence + 1
        if last.occurrence == 0:
            return 0
        return sum(1 for definition in before if definition.qualname == qualname)

    return earlier


def _line(item: Definition | Statement) -> int:
    return item.line


def _qualname(definition: Definition) -> str:
    return definition.qualname


def _padded(start: int, region: str) -> list[str]:
    """The new text's lines as the builder reads them: rows before ``start`` left empty."""
    lines = [""] * (start - 1)
    lines.extend(region.split("\n"))
    return lines


def _line_offset(text: str, position: int, line: int, wanted: int) -> int:
    """Where line ``wanted`` starts in ``text``, ``position`` being on line ``line`` (``wanted <= line``)."""
    offset = text.rfind("\n", 0, position) + 1
    for _ in range(line - wanted):
        offset = text.rfind("\n", 0, offset - 1) + 1
    return offset


def _line_end(text: str, position: int, line: int, wanted: int) -> int:
    """Where line ``wanted`` ends (at its newline, or the text's end), ``position``
    being on line ``line`` (``wanted >= line``)."""
    offset = text.find("\n", position)
    for _ in range(wanted - line):
        if offset < 0:
            break
        offset = text.find("\n", offset + 1)
    return len(text) if offset < 0 else offset


def _module_head(
    before: Iterable[Definition], statements: Iterable[Statement], region: ast.Module
) -> ast.Module:
    """Enough of the new module's top-level nodes, in order, for its ``from __future__`` flags."""
    items: list[tuple[int, ast.stmt]] = [
        (d.line, d.node) for d in before if d.parent is None and not d.in_block
    ]
    items.extend((s.line, s.node) for s in statements)
    items.sort(key=lambda item: item[0])
    return ast.Module(body=[node for _, node in items] + region.body, type_ignores=[])


#: Characters compared at a time while looking for where two texts part.
_CHUNK = 8192


def _common_prefix(old: str, new: str) -> int:
    """How many characters the two texts share at their start (compared in C, a chunk at a time)."""
    limit = min(len(old), len(new))
    low = 0
    while low < limit and old[low : low + _CHUNK] == new[low : low + _CHUNK]:
        low += _CHUNK
    high = min(low + _CHUNK, limit)
    while low < high:
        middle = (low + high + 1) // 2
        if old[low:middle] == new[low:middle]:
            low = middle
        else:
            high = middle - 1
    return min(low, limit)


def _common_suffix(old: str, new: str, prefix: int) -> int:
    """How many characters the two texts share at their end, not counting the first ``prefix``."""
    limit = min(len(old), len(new)) - prefix
    old_end, new_end = len(old), len(new)
    low = 0
    while low < limit and (
        old[old_end - low - _CHUNK : old_end - low] == new[new_end - low - _CHUNK : new_end - low]
        if low + _CHUNK <= limit
        else False
    ):
        low += _CHUNK
    high = min(low + _CHUNK, limit)
    while low < high:
        middle = (low + high + 1) // 2
        if old[old_end - middle : old_end - low] == new[new_end - middle : new_end - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _region(spans: list[tuple[int, int]], first_changed: int, last_changed: int) -> tuple[int, int]:
    """Old lines ``[start, end]`` covering the change, widened to whole top-level items.

    ``spans`` are the top-level items' lines, in order (they do not overlap).
    One line of margin on each side: an insertion right after a statement may
    continue it (a decorator, an ``else:``); items that touch an item taken
    in are taken in too.
    """
    start, end = first_changed, max(last_changed, first_changed - 1)
    low = bisect_left(spans, start - 1, key=_span_end)
    high = low
    while high < len(spans) and spans[high][0] <= end + 1:
        start, end = min(start, spans[high][0]), max(end, spans[high][1])
        high += 1
    while low > 0 and spans[low - 1][1] >= start - 1:
        low -= 1
        start = min(start, spans[low][0])
    return max(start, 1), end


def _span_end(span: tuple[int, int]) -> int:
    return span[1]


def _shift_definition(definition: Definition, delta: int, builder: OutlineBuilder) -> Definition:
    occurrence = builder.seen.get(definition.qualname)
    if occurrence is None:
        occurrence = builder.earlier(definition.qualname) if builder.earlier else 0
    builder.seen[definition.qualname] = occurrence + 1
    if delta == 0 and occurrence == definition.occurrence:
        return definition
    return _with_fields(
        definition,
        line=definition.line + delta,
        end_line=definition.end_line + delta,
        occurrence=occurrence,
        statements=tuple(_shift_statement(s, delta) for s in definition.statements),
    )


def _shift_statement(statement: Statement, delta: int) -> Statement:
    if delta == 0:
        return statement
    return _with_fields(statement, line=statement.line + delta, end_line=statement.end_line + delta)


_Item = TypeVar("_Item", Definition, Statement)


def _with_fields(item: _Item, **fields: object) -> _Item:
    """``dataclasses.replace`` without its checks and ``__init__`` call: a third of its
    time, and an edit that adds a line moves every definition below it."""
    moved = copy.copy(item)
    moved.__dict__.update(fields)
    return moved
