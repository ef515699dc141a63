"""Definitions that a notebook cell runs again, updated in place.

A module's baseline is its whole text. A notebook has none: each cell is
compiled under a file name of its own (IPython's ``<ipython-input-N-HASH>``,
ipykernel's ``/tmp/ipykernel_PID/HASH.py``) and all of them run in one
namespace (``__main__``). So here the baseline is kept per definition: for
each top-level ``def`` or ``class`` a cell ran, its part of that cell's
outline, the file name its code carries and the object it made.

When a later cell defines a name again while the name still holds that
object, ``update_definitions`` plans the change with the baseline planner
(old: the definitions as they last ran, each in its own cell; new: this
cell's) and commits it all or nothing, like a module patch: identity kept,
closures made earlier updated, rude edits refused with their reason. Every
function of the update gets code compiled under the new cell's file name, so
tracebacks, ``inspect.getsource`` and a debugger's breakpoints follow the
cell. What cannot be updated in place is refused as a whole, and the caller
runs the cell's definitions as Python would (``remember_definitions`` then
records what they made).
"""

from __future__ import annotations

import ast
import linecache
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import CodeType, FunctionType, ModuleType
from typing import Any

from splice.engine import apply
from splice.engine.commit.commit import collection_paused, commit_plan, note_atomicity
from splice.engine.hooks.patch_plan import plan_patch
from splice.engine.hooks.updates import notify_update
from splice.engine.objects.targets import binding
from splice.engine.outline.definitions import (
    Definition,
    Outline,
    outline_tree,
    source_lines_with_ends,
)
from splice.engine.outline.diff import DefinitionChange
from splice.engine.plan.baseline_planner import BaselinePlanner
from splice.engine.plan.held_back import hold_back
from splice.engine.plan.steps import Plan
from splice.engine.result import Finding, PatchResult
from splice.engine.stale import plan_stale_checks

#: Skips that leave a cell's definition not applied: in a cell they refuse the
#: update, so the cell runs the definition itself rather than lose it.
_NOT_APPLIED = ("definition-not-live", "statement-not-run")


@dataclass(frozen=True)
class _Ran:
    """A top-level definition as a cell last ran it."""

    #: The definition, then its members, numbered as if alone in its cell.
    definitions: tuple[Definition, ...]
    filename: str
    made: Callable[[], Any]


#: module name -> top-level name -> what a cell last defined under it.
_ran: dict[str, dict[str, _Ran]] = {}
#: The last cell text parsed: a cell's definitions come in several calls.
_parsed: tuple[str, str, Outline] | None = None


def update_definitions(
    module: ModuleType,
    source: str,
    filename: str,
    lines: Sequence[int],
    *,
    flags: int = 0,
) -> PatchResult | None:
    """Update in place the definitions starting at ``lines`` of a cell's ``source``.

    ``filename`` is the name the cell's code is compiled under and ``flags``
    its ``__future__`` compiler flags. Returns None when none of them was
    defined by an earlier cell whose object the name still holds (the caller
    runs them as usual); else the result of updating all of them, the new
    ones defined alongside, all or nothing. Definitions a refused result names
    are for the caller to run.
    """
    started = time.perf_counter()
    with apply.PATCH_LOCK, collection_paused():
        try:
            outline = _outline(source, filename)
        except (SyntaxError, ValueError):
            return None  # not the text that ran: leave the cell to itself
        chosen = _top_level(outline, lines)
        if chosen is None:
            return None
        ran = _ran.setdefault(module.__name__, {})
        known = [ran[d.name] for d in chosen if d.name in ran and _holds(module, ran[d.name], d)]
        if not known:
            return None
        plan = Plan(module, filename, source)
        new = Outline(
            source,
            outline.tree,
            tuple(member for d in chosen for member in _members(outline, d)),
            (),
            outline.future_flags | flags,
        )
        old = Outline(
            "",
            ast.Module(body=[], type_ignores=[]),
            tuple(member for record in known for member in _as_ran(record)),
            (),
            0,
        )
        plan.outline = new
        try:
            _CellPlanner(plan, old, new, delete_removed=True).run()
        except SyntaxError as error:
            plan.errors.append(
                Finding("syntax-error", f"invalid syntax: {error.msg}", line=error.lineno)
            )
        _refuse_not_applied(plan)
        if not plan.errors:
            plan_patch(plan)
        if plan.errors:
            hold_back(plan)
            return plan.result(started)
        plan_stale_checks(plan)
        plan.steps.sort(key=lambda step: step.line)
        failure = commit_plan(plan)
        if failure is not None:
            return plan.failed(started, *failure)
        note_atomicity(plan)
        # IPython caches each cell's text under its name; another caller may not have.
        if filename not in linecache.cache:
            text = source_lines_with_ends(source if source.endswith("\n") else source + "\n")
            linecache.cache[filename] = (len(source), None, text, filename)
        _record(module, outline, filename, chosen)
        notify_update(plan)
    return plan.result(started)


def remember_definitions(
    module: ModuleType, source: str, filename: str, lines: Sequence[int]
) -> None:
    """Record what the definitions starting at ``lines`` made, right after they ran."""
    with apply.PATCH_LOCK:
        try:
            outline = _outline(source, filename)
        except (SyntaxError, ValueError):
            return
        chosen = _top_level(outline, lines)
        if chosen is not None:
            _record(module, outline, filename, chosen)


class _CellPlanner(BaselinePlanner):
    """The baseline planner over definitions gathered from several cells.

    A cell that runs a definition again runs its signature again too: each
    function it defines gets its defaults, annotations and docstring evaluated
    anew (against the names as the statements above it left them), as a fresh
    run would, whether its text changed or not. Its decorators do not run
    again: that is what keeps the object.
    """

    def repeat_unverified(self) -> None:
        """Cells are never patched without a baseline: nothing was left unverified."""

    def plan_move(self, change: DefinitionChange) -> None:
        self.plan_function(replace(change, kind="changed", parts=frozenset(("signature",))))

    def plan_swap(
        self,
        definition: Definition,
        namespace: Any,
        fitted: list[tuple[FunctionType, CodeType]],
        changed: list[FunctionType],
        *,
        signature: bool,
        docstring: bool,
    ) -> None:
        super().plan_swap(definition, namespace, fitted, changed, signature=True, docstring=True)


def _outline(source: str, filename: str) -> Outline:
    global _parsed
    if _parsed is None or _parsed[:2] != (source, filename):
        _parsed = (source, filename, outline_tree(source, ast.parse(source, filename)))
    return _parsed[2]


def _top_level(outline: Outline, lines: Sequence[int]) -> list[Definition] | None:
    """The top-level definitions starting at ``lines``; None if one is not there
    (the text is not the one that ran) or a name repeats (which one binds is the
    cell's business, so it runs them)."""
    starts = {d.line: d for d in outline.ordered if d.parent is None and not d.in_block}
    chosen = [starts.get(line) for line in lines]
    if any(d is None for d in chosen):
        return None
    found = [d for d in chosen if d is not None]
    if len({d.name for d in found}) != len(found):
        return None
    return found


def _members(outline: Outline, top: Definition) -> list[Definition]:
    """``top`` and the definitions inside it, occurrences counted within it alone."""
    prefix = top.qualname + "."
    counts: Counter[str] = Counter()
    members = []
    for definition in outline.ordered:
        inside = definition.qualname.startswith(prefix) and (
            top.line <= definition.line <= top.end_line
        )
        if definition is top or inside:
            members.append(replace(definition, occurrence=counts[definition.qualname]))
            counts[definition.qualname] += 1
    return members


def _as_ran(record: _Ran) -> tuple[Definition, ...]:
    """The recorded definitions, as the diff should see them.

    A text no source can hold (a NUL) makes the diff see each of them as at
    least moved, even where the cell did not change it: each function is then
    compiled again under the running cell's file name (so tracebacks and
    breakpoints follow the cell) and its signature evaluated anew.
    """
    return tuple(replace(d, text=d.text + "\0") for d in record.definitions)


def _holds(module: ModuleType, record: _Ran, definition: Definition) -> bool:
    """Whether the name still holds what the recorded definition made, and of the same kind."""
    made = record.made()
    return (
        made is not None
        and binding(module, definition.name) is made
        and record.definitions[0].kind == definition.kind
    )


def _record(module: ModuleType, outline: Outline, filename: str, chosen: list[Definition]) -> None:
    ran = _ran.setdefault(module.__name__, {})
    for definition in chosen:
        made = binding(module, definition.name)
        if definition.kind == "class" and not (
            isinstance(made, type) and made.__qualname__ == definition.name
        ):
            ran.pop(definition.name, None)  # a later statement bound the name to something else
            continue
        try:
            reference: Callable[[], Any] = weakref.ref(made)
        except TypeError:  # not weakly referable (a staticmethod object, say)
            reference = _Strong(made)
        ran[definition.name] = _Ran(tuple(_members(outline, definition)), filename, reference)


class _Strong:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


def _refuse_not_applied(plan: Plan) -> None:
    """A skip that would leave a cell's definition unapplied refuses the update instead."""
    for finding in [f for f in plan.skipped if f.code in _NOT_APPLIED]:
        plan.skipped.remove(finding)
        if finding.code == "statement-not-run":
            message = (
                f"{finding.qualname}: line {finding.line} of its body changed and is neither "
                "a definition nor a literal assignment, so the class cannot be updated in "
                "place without running it"
            )
        else:
            message = (
                f"{finding.qualname}: the name no longer holds what this definition made "
                "(a decorator or a later statement replaced it), so it cannot be updated "
                "in place"
            )
        plan.errors.append(replace(finding, message=message, severity="error"))


__all__ = ["remember_definitions", "update_definitions"]
