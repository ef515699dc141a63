"""Two outlines in, the typed list of what changed out. Pure.

Definitions are matched by qualified name; same-name siblings by content
and by which one the namespace binds, never by position alone.
Text is compared first because it is cheap; only definitions whose text
differs have their parts compared as syntax trees, so a comment or a moved
line never counts as a change of code.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from splice.engine.outline.definitions import Definition, Outline, Statement

ChangeKind = Literal["changed", "added", "deleted", "moved"]
#: What may differ between two versions of a definition.
Part = Literal["decorators", "signature", "body", "docstring", "bases", "keywords"]


@dataclass(frozen=True)
class DefinitionChange:
    """One definition's fate: ``changed``, ``added``, ``deleted`` or ``moved``.

    For ``changed``, ``parts`` names what differs among ``decorators``,
    ``signature``, ``body``, ``docstring`` (functions) and ``decorators``,
    ``bases``, ``keywords`` (classes). A function whose text changed but whose
    code did not (a comment, a blank line) is ``moved``: it needs new line
    numbers, nothing else.
    """

    kind: ChangeKind
    old: Definition | None
    new: Definition | None
    parts: frozenset[Part] = frozenset()


@dataclass(frozen=True)
class Diff:
    changes: tuple[DefinitionChange, ...]
    #: New or edited statements that are not definitions, in source order.
    statements: tuple[Statement, ...]
    #: Statements of the old text that the new one no longer has (edited or
    #: removed), in the old text's order.
    removed: tuple[Statement, ...] = ()


def diff_definitions(old: Outline, new: Outline) -> Diff:
    """What must happen to a module running ``old`` so that it runs ``new``.

    When ``new`` was made from ``old`` by parsing one edited region
    (incremental.py), only that region is compared, unless a name or a
    statement's text in it also occurs outside it (then matching could pair
    across the region's border): the same diff, in time proportional to the edit.
    """
    derivation = new.derivation
    if derivation is not None and derivation.base() is old:
        old_region = old.ordered[derivation.first : derivation.base_end]
        new_region = new.ordered[derivation.first : derivation.end]
        old_statements = old.statements[derivation.first_statement : derivation.base_statement_end]
        new_statements = new.statements[derivation.first_statement : derivation.statement_end]
        if (
            _alone(old, old_region)
            and _alone(new, new_region)
            and _texts_alone(old, old_statements)
            and _texts_alone(new, new_statements)
        ):
            moved = (
                zip(old.ordered[derivation.base_end :], new.ordered[derivation.end :], strict=True)
                if derivation.shift
                else ()
            )
            return _diff(old_region, new_region, old_statements, new_statements, moved)
    return _diff(old.ordered, new.ordered, old.statements, new.statements, ())


def _alone(outline: Outline, region: Sequence[Definition]) -> bool:
    """Whether every qualname defined in ``region`` is defined nowhere else in ``outline``."""
    inside = {id(definition) for definition in region}
    counts = Counter(definition.qualname for definition in region)
    definitions = outline.definitions
    for qualname, count in counts.items():
        last = definitions.get(qualname)
        if last is None or id(last) not in inside or last.occurrence != count - 1:
            return False
    return True


def _texts_alone(outline: Outline, statements: Sequence[Statement]) -> bool:
    """Whether no statement outside ``statements`` has the text of one inside."""
    counts = Counter(statement.text for statement in statements)
    texts = outline.statement_texts
    return all(texts[text] == count for text, count in counts.items())


def _diff(
    old_ordered: Sequence[Definition],
    new_ordered: Sequence[Definition],
    old_statements: Sequence[Statement],
    new_statements: Sequence[Statement],
    moved: Iterable[tuple[Definition, Definition]],
) -> Diff:
    """The diff of these definitions and statements; ``moved``: definitions after
    an edited region, each old one with its copy whose lines the edit shifted."""
    pairs = _match(old_ordered, new_ordered)
    matched = {id(previous) for previous in pairs.values()}
    # Members of a class that is added or deleted as a whole come and go with it.
    added_classes: set[str] = set()
    deleted_classes: set[str] = set()
    changes: list[DefinitionChange] = []
    statements: list[Statement] = list(_new_statements(old_statements, new_statements))
    for definition in new_ordered:
        previous = pairs.get(id(definition))
        if previous is definition:
            continue  # reused from the old outline as it was (incremental.py): unchanged
        if previous is None or previous.kind != definition.kind:
            if previous is not None:
                changes.append(DefinitionChange("deleted", previous, None))
                if previous.kind == "class":
                    deleted_classes.add(previous.qualname)
            if not _within(definition, added_classes):
                changes.append(DefinitionChange("added", None, definition))
                if definition.kind == "class":
                    added_classes.add(definition.qualname)
            continue
        if _within(definition, added_classes):
            continue
        if previous.text == definition.text:
            if previous.line != definition.line and definition.kind == "function":
                changes.append(DefinitionChange("moved", previous, definition))
            continue
        parts = changed_parts(previous, definition)
        if definition.kind == "class":
            # Emitted even when only the body differs: the engine checks class
            # bodies that cannot change in place (enums, dataclass fields).
            statements.extend(_new_statements(previous.statements, definition.statements))
            changes.append(DefinitionChange("changed", previous, definition, parts))
        elif parts:
            changes.append(DefinitionChange("changed", previous, definition, parts))
        else:
            changes.append(DefinitionChange("moved", previous, definition))
    for previous, definition in moved:
        if definition.kind == "function":
            changes.append(DefinitionChange("moved", previous, definition))
    for definition in old_ordered:
        if id(definition) not in matched and not _within(definition, deleted_classes):
            changes.append(DefinitionChange("deleted", definition, None))
            if definition.kind == "class":
                deleted_classes.add(definition.qualname)
    statements.sort(key=lambda statement: statement.line)
    removed = _new_statements(new_statements, old_statements)
    for definition in new_ordered:
        previous = pairs.get(id(definition))
        if (
            previous is not None
            and definition.kind == "class"
            and previous.kind == "class"
            and previous.text != definition.text
        ):
            removed.extend(_new_statements(definition.statements, previous.statements))
    removed.sort(key=lambda statement: statement.line)
    return Diff(tuple(changes), tuple(statements), tuple(removed))


def match_definitions(old: Outline, new: Outline) -> dict[int, Definition]:
    """id of each new definition -> the old definition it continues.

    A qualname defined once on each side pairs directly. Same-name siblings
    (``typing.overload`` stubs and their implementation, several
    ``@registry.register def do``, a redefinition) pair the last of each side
    (the one the namespace binds) when their texts are equal, then by content,
    then the last of each side, then in order,
    so inserting or deleting one sibling never shifts the others' identities.
    """
    return _match(old.ordered, new.ordered)


def _match(
    old_ordered: Sequence[Definition], new_ordered: Sequence[Definition]
) -> dict[int, Definition]:
    old_groups = _groups(old_ordered)
    pairs: dict[int, Definition] = {}
    for qualname, news in _groups(new_ordered).items():
        olds = old_groups.get(qualname, [])
        if not olds:
            continue
        if len(olds) == 1 and len(news) == 1:
            pairs[id(news[0])] = olds[0]
            continue
        free = list(olds)
        rest = list(news)
        if news[-1].text == olds[-1].text:
            # Among identical siblings, the binding one stays the binding one.
            pairs[id(rest.pop())] = free.pop()
        unmatched: list[Definition] = []
        for definition in rest:
            same = next((o for o in free if o.text == definition.text), None)
            if same is None:
                unmatched.append(definition)
            else:
                free.remove(same)
                pairs[id(definition)] = same
        if unmatched and free and unmatched[-1] is news[-1] and free[-1] is olds[-1]:
            pairs[id(unmatched.pop())] = free.pop()
        for definition, previous in zip(unmatched, free, strict=False):
            pairs[id(definition)] = previous
    return pairs


def _groups(definitions: Iterable[Definition]) -> dict[str, list[Definition]]:
    groups: dict[str, list[Definition]] = {}
    for definition in definitions:
        groups.setdefault(definition.qualname, []).append(definition)
    return groups


def changed_parts(old: Definition, new: Definition) -> frozenset[Part]:
    """Which parts of a definition differ, compared as syntax (positions ignored)."""
    before, after = old.node, new.node
    parts: set[Part] = set()
    if _dump(before.decorator_list) != _dump(after.decorator_list):
        parts.add("decorators")
    if isinstance(before, ast.ClassDef) and isinstance(after, ast.ClassDef):
        if _dump(_bases(before)) != _dump(_bases(after)):
            parts.add("bases")
        if _dump(before.keywords) != _dump(after.keywords) or _dump(
            getattr(before, "type_params", [])
        ) != _dump(getattr(after, "type_params", [])):
            parts.add("keywords")
        return frozenset(parts)
    assert not isinstance(before, ast.ClassDef) and not isinstance(after, ast.ClassDef)
    if (
        _dump(before.args) != _dump(after.args)
        or _dump(before.returns) != _dump(after.returns)
        or _dump(getattr(before, "type_params", [])) != _dump(getattr(after, "type_params", []))
    ):
        parts.add("signature")
    old_doc, old_body = _split_docstring(before.body)
    new_doc, new_body = _split_docstring(after.body)
    if old_doc != new_doc:
        parts.add("docstring")
    if type(before) is not type(after) or _dump(old_body) != _dump(new_body):
        parts.add("body")
    return frozenset(parts)


def _bases(node: ast.ClassDef) -> list[ast.expr]:
    """The bases as written, where ``(object)`` is the same as none: both make ``(object,)``."""
    bases = node.bases
    if len(bases) == 1 and isinstance(bases[0], ast.Name) and bases[0].id == "object":
        return []
    return bases


def _split_docstring(body: list[ast.stmt]) -> tuple[str | None, list[ast.stmt]]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.value.value, body[1:]
    return None, body


def _dump(node: ast.AST | Sequence[ast.AST] | None) -> str:
    if node is None:
        return ""
    if not isinstance(node, ast.AST):
        return "|".join(ast.dump(item) for item in node)
    return ast.dump(node)


def _new_statements(old: Iterable[Statement], new: Iterable[Statement]) -> list[Statement]:
    """Statements of ``new`` whose text is not among ``old``'s (a multiset match)."""
    remaining = Counter(statement.text for statement in old)
    fresh = []
    for statement in new:
        if remaining[statement.text] > 0:
            remaining[statement.text] -= 1
        else:
            fresh.append(statement)
    return fresh


def _within(definition: Definition, classes: set[str]) -> bool:
    """Whether the definition sits inside one of ``classes`` (by qualname)."""
    parent = definition.parent
    while parent:
        if parent in classes:
            return True
        parent = parent.rpartition(".")[0]
    return False
