"""The code a module ran at import, unit by unit, each with what it reads and calls.

A unit is a top-level statement, a class-level statement, or a definition's
header (its decorators, defaults and bases run once, when the definition
does). ``units_of`` runs over every definition of the patched module on
every patch, so it keeps to what later outlines share with earlier ones:
the texts of definitions they did not reparse.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.diff import DefinitionChange
from splice.engine.outline.statements import bound_names
from splice.engine.plan.steps import Plan
from splice.engine.stale.usage import EMPTY, Usage, body_usage, header_usage, statement_usage


@dataclass(frozen=True)
class Unit:
    """Top-level code that ran when its module was imported: a statement, or a
    definition's header (decorators, defaults, bases: evaluated once, at import)."""

    line: int
    end_line: int
    usage: Usage
    binds: frozenset[str]
    #: The enclosing class of a class-level statement.
    scope: str | None = None
    #: The definition whose header this is (None for a statement).
    definition: str | None = None
    #: A module-level assignment to names only: running it again has no other effect.
    rerunnable: bool = False


def choose_body(found: Sequence[tuple[int, Usage]], line: int) -> Usage | None:
    """The body that starts at ``line``; else the only one; else what they all do."""
    if not found:
        return None
    for start, usage in found:
        if start == line:
            return usage
    if len(found) == 1:
        return found[0][1]
    return Usage(
        frozenset().union(*(usage.reads for _, usage in found)),
        frozenset().union(*(usage.calls for _, usage in found)),
        frozenset().union(*(usage.names for _, usage in found)),
    )


def outline_bodies(outline: Outline) -> dict[str, tuple[tuple[int, Usage], ...]]:
    """qualname -> (line, body usage) of each function definition of an outline."""
    bodies: dict[str, list[tuple[int, Usage]]] = {}
    for definition in outline.ordered:
        node = definition.node
        if not isinstance(node, ast.ClassDef):
            bodies.setdefault(definition.qualname, []).append((definition.line, body_usage(node)))
    return {qualname: tuple(found) for qualname, found in bodies.items()}


def units_of(outline: Outline, keep: Callable[[Usage], bool] | None = None) -> list[Unit]:
    """Every piece of code the module ran at import that reads a name (with ``keep``,
    only those whose usage it keeps)."""
    found = statement_units(outline, keep)
    found += definition_units(outline, _memoised(keep))[0]
    return found


def patched_units(plan: Plan, previous: str | None, keep: Callable[[Usage], bool]) -> list[Unit]:
    """The units of the patched module's new text that ``keep`` keeps.

    This runs on every patch. Its module statements are few; its definitions
    may be thousands, so the distinct usages of their headers and class
    statements are remembered per text (``previous`` is the text before this
    patch), updated from the diff, and the definitions are walked only when
    one of those usages is kept (or the remembered set is not for ``previous``).
    """
    assert plan.outline is not None
    keep = _memoised(keep)
    found = statement_units(plan.outline, keep)
    name = plan.module.__name__
    remembered = _distinct.get(name)
    if remembered is not None and plan.diff is not None and remembered[0] is previous:
        usages = remembered[1]
        added = [
            usage
            for change in plan.diff.changes
            if change.new is not None and _header_may_differ(change)
            for usage in (
                _header(change.new),
                *(_statement(statement) for statement in change.new.statements),
            )
        ]
        added += [_statement(s) for s in plan.diff.statements if s.scope is not None]
        if added:
            usages = usages | frozenset(added)
        _distinct[name] = (plan.source, usages)
        if not any(keep(usage) for usage in usages):
            return found
    units, seen = definition_units(plan.outline, keep)
    _distinct[name] = (plan.source, seen)
    return found + units


def _header_may_differ(change: DefinitionChange) -> bool:
    """Whether a change may give a definition a header (or class statements) not seen
    before: a function whose body or docstring alone changed keeps its header."""
    if change.kind == "added":
        return True
    if change.kind != "changed":
        return False
    return change.new is not None and (
        change.new.kind == "class" or bool(change.parts & {"decorators", "signature"})
    )


def statement_units(outline: Outline, keep: Callable[[Usage], bool] | None) -> list[Unit]:
    """The module-level statements' units (a few per module)."""
    found = []
    for statement in outline.statements:
        node = statement.node
        usage = statement_usage(node) if not isinstance(node, _BLOCKS) else _block_usage(node)
        if statement.is_docstring or not usage:
            continue
        if keep is None or keep(usage):
            found.append(
                Unit(
                    statement.line,
                    statement.end_line,
                    usage,
                    frozenset(bound_names(node)),
                    rerunnable=rerunnable(node),
                )
            )
    return found


def definition_units(
    outline: Outline, keep: Callable[[Usage], bool]
) -> tuple[list[Unit], frozenset[Usage]]:
    """The units of definitions' headers and class statements that ``keep`` keeps,
    and every distinct usage seen (``keep`` must be memoised: usages repeat)."""
    found: list[Unit] = []
    seen: set[Usage] = set()
    for definition in outline.ordered:
        usage = _header(definition)
        seen.add(usage)
        if keep(usage):
            found.append(
                Unit(
                    definition.line,
                    definition.line,
                    usage,
                    frozenset({definition.member}),
                    scope=definition.parent,
                    definition=definition.qualname,
                )
            )
        for statement in definition.statements:
            usage = _statement(statement)
            seen.add(usage)
            if statement.is_docstring or not keep(usage):
                continue
            found.append(
                Unit(
                    statement.line,
                    statement.end_line,
                    usage,
                    frozenset(bound_names(statement.node)),
                    scope=definition.qualname,
                )
            )
    return found, frozenset(seen)


def _memoised(keep: Callable[[Usage], bool] | None) -> Callable[[Usage], bool]:
    """``keep`` asked once per distinct usage (usages are interned: most headers share one)."""
    answers: dict[int, bool] = {id(EMPTY): False}

    def memoised(usage: Usage) -> bool:
        answer = answers.get(id(usage))
        if answer is None:
            answer = answers[id(usage)] = keep is None or keep(usage)
        return answer

    return memoised


#: Module name -> (the text, the distinct usages of its definitions' headers
#: and class statements): what ``patched_units`` looks at instead of walking them.
_distinct: dict[str, tuple[str, frozenset[Usage]]] = {}


def _header(definition: Definition) -> Usage:
    # Keyed by the identity of the definition's text, which the outlines of
    # later texts share (also when they shift it): its syntax tree stays untouched.
    usage = _header_usages.get(id(definition.text))
    return usage if usage is not None else _remember_header(definition)


def _statement(statement: Statement) -> Usage:
    usage = _header_usages.get(id(statement.text))
    return usage if usage is not None else _remember_statement(statement)


#: id of a definition's (or statement's) text -> its usage. A later outline
#: shares the texts it did not reparse (also when it shifts them), so most
#: lookups touch neither the text nor the syntax tree; the texts are kept
#: alive (``_texts``) so that no id is reused while it is a key.
_header_usages: dict[int, Usage] = {}
_texts: list[str] = []
#: text -> usage, for texts parsed anew (every patch without a baseline).
_usages_by_text: dict[str, Usage] = {}
_MAX_TEXTS = 50_000


def _remember_header(definition: Definition) -> Usage:
    return _remember(definition.text, definition.node, header_usage)


def _remember_statement(statement: Statement) -> Usage:
    return _remember(statement.text, statement.node, statement_usage)


def _remember(text: str, node: ast.AST, compute: Callable[[ast.AST], Usage]) -> Usage:
    if len(_texts) >= _MAX_TEXTS:
        _header_usages.clear()
        _texts.clear()
        _usages_by_text.clear()
    usage = _usages_by_text.get(text)
    if usage is None:
        usage = _usages_by_text[text] = compute(node)
    _header_usages[id(text)] = usage
    _texts.append(text)
    return usage


#: Statements whose parts may not all have run (a branch not taken, a loop never entered).
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.Match)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_BLOCK_USAGE = "_splice_block_usage"


def _block_usage(node: ast.stmt) -> Usage:
    """What a block's assignments read: the names they bound are what it left live.

    Its other statements (``if os.fork() == 0: child()``, ``main()`` under
    ``if __name__ == "__main__":``) may not have run, or ran for an effect
    that cannot be told: naming them would mostly be wrong.
    """
    cached: Usage | None = getattr(node, _BLOCK_USAGE, None)
    if cached is not None:
        return cached
    usages: list[Usage] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _ASSIGNMENTS):
            usages.append(statement_usage(current))
        elif not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for part in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(current, part, ()))
    usage = EMPTY
    if usages:
        usage = Usage(
            frozenset().union(*(u.reads for u in usages)),
            frozenset().union(*(u.calls for u in usages)),
            frozenset().union(*(u.names for u in usages)),
        )
    setattr(node, _BLOCK_USAGE, usage)
    return usage


def rerunnable(node: ast.stmt) -> bool:
    """Whether running a module-level statement again only rebinds names: ``CFG = Config()``."""
    if isinstance(node, ast.Assign):
        return all(_names_only(target) for target in node.targets)
    if isinstance(node, ast.AnnAssign):
        return node.value is not None and isinstance(node.target, ast.Name)
    return False


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_names_only(element) for element in target.elts)
    return False
