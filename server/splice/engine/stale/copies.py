"""Copies of a rebound name that other modules made with ``from m import NAME``.

``from pricing import VAT_RATE`` binds the importer's own ``VAT_RATE`` to the
object ``pricing.VAT_RATE`` held then. When a patch rebinds ``pricing.VAT_RATE``
(a literal changed, a definition re-created, an import run again), a fresh
start would give the importer the new object too. So every module whose
import statement copied that name, and whose copy is still the very object
the patch replaces, is rebound in the same commit (its own importers after
it, for re-exports). A copy of a name the patch deletes cannot be rebound: a
fresh start would fail on that import, and the finding says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from splice.engine.commit.mutations import bind
from splice.engine.commit.transaction import Transaction
from splice.engine.plan.steps import Plan, Undo, code_filename
from splice.engine.result import Finding, Place
from splice.engine.stale.modules import STAR, file_still_imports, importers_of
from splice.engine.stale.reach import ChangeSet

_MISSING: Any = object()


@dataclass(frozen=True)
class Copy:
    """``importer.alias`` copied ``source.name`` with the import at ``line``."""

    importer: ModuleType
    alias: str
    source: ModuleType
    name: str
    line: int
    previous: Any


def plan_copies(plan: Plan, changes: ChangeSet) -> None:
    """Rebind, in the commit, every importer's copy of a name the patch rebinds."""
    copies, broken = _find_copies(changes)
    for copy in copies:
        # Code reading the importer's copy reaches the change as the original does.
        changes.keys[(id(vars(copy.importer)), copy.alias)] = _root(copies, copy)
    if copies:
        plan.add_last_step("rebinding copies in importing modules", _rebinder(copies))
        plan.skipped.extend(_rebound_findings(plan, changes, copies))
    plan.skipped.extend(_broken_findings(plan, changes, broken))


def rebind_copies(changes: ChangeSet, line: int) -> list[Finding]:
    """After a statement ran explicitly: rebind the importers' copies of the names it rebound.

    ``changes`` holds each rebound name and its value before the statement
    ran. Runs at once (running a statement is no transaction); an ``info``
    finding names them. Code reading a copy reaches the change from now on.
    """
    copies, _ = _find_copies(changes)
    for copy in copies:
        changes.keys[(id(vars(copy.importer)), copy.alias)] = _root(copies, copy)
    undo: Undo = []
    _rebinder(copies)(undo)
    return [
        Finding(finding.code, finding.message, line=line, severity="info")
        for finding in _rebound_findings(None, changes, copies)
    ]


def _find_copies(changes: ChangeSet) -> tuple[list[Copy], list[Copy]]:
    """The copies to rebind, and the copies of deleted names, nearest importer first."""
    copies: list[Copy] = []
    broken: list[Copy] = []
    queue = [
        (changes.module, name, previous)
        for name, previous in changes.previous.items()
        if name in changes.names
    ]
    seen: set[tuple[int, str]] = set()
    while queue:
        source, name, previous = queue.pop(0)
        for importer, entries in importers_of(source):
            for entry in entries:
                if entry.name == name:
                    alias = entry.alias
                elif entry.name == STAR and _exported(source, name):
                    alias = name
                else:
                    continue
                key = (id(importer), alias)
                if key in seen or vars(importer).get(alias, _MISSING) is not previous:
                    continue
                seen.add(key)
                copy = Copy(importer, alias, source, name, entry.line, previous)
                if source is changes.module and name in changes.deleted:
                    broken.append(copy)
                    continue
                copies.append(copy)
                queue.append((importer, alias, previous))
    return copies, broken


def _exported(module: ModuleType, name: str) -> bool:
    """Whether ``from module import *`` copies ``name``."""
    exported = vars(module).get("__all__")
    if type(exported) in (list, tuple) and isinstance(exported, (list, tuple)):
        return name in exported
    return not name.startswith("_")


def _root(copies: list[Copy], copy: Copy) -> str:
    """The name in the patched module that ``copy`` (maybe a copy of a copy) stands for."""
    current = copy
    while True:
        parent = next(
            (
                other
                for other in copies
                if other.importer is current.source and other.alias == current.name
            ),
            None,
        )
        if parent is None:
            return current.name
        current = parent


def _rebinder(copies: list[Copy]) -> Callable[[Undo], None]:
    def rebind(undo: Undo) -> None:
        transaction = undo if isinstance(undo, Transaction) else None
        pending: dict[int, dict[str, Any]] = {}
        for copy in copies:
            source = copy.source
            if transaction is not None and id(source) not in pending:
                pending[id(source)] = transaction.pending(source)
            value = pending.get(id(source), {}).get(
                copy.name, vars(source).get(copy.name, _MISSING)
            )
            if value is _MISSING or value is copy.previous:
                continue
            if vars(copy.importer).get(copy.alias, _MISSING) is not copy.previous:
                continue  # the importer rebound it itself since the plan
            bind(copy.importer, copy.alias, value, undo)
            pending.pop(id(copy.importer), None)

    return rebind


def _rebound_findings(plan: Plan | None, changes: ChangeSet, copies: list[Copy]) -> list[Finding]:
    by_name: dict[str, list[Copy]] = {}
    for copy in copies:
        by_name.setdefault(_root(copies, copy), []).append(copy)
    findings = []
    for name, found in by_name.items():
        places = ", ".join(
            f"{copy.importer.__name__}.{copy.alias} ({_file(copy.importer)} line {copy.line})"
            for copy in found
        )
        findings.append(
            Finding(
                "copy-rebound",
                f"{name}: also rebound where it was copied by `from ... import`: {places}",
                line=changes.names.get(name) or (plan.line_of(name) if plan else None),
                severity="info",
            )
        )
    return findings


def _broken_findings(plan: Plan, changes: ChangeSet, broken: list[Copy]) -> list[Finding]:
    """Copies of a deleted name, named where the name was (and the import they come from),
    unless the importer's saved file no longer has that import (its own patch follows)."""
    return [
        Finding(
            "name-undefined",
            f"{copy.name}: deleted, but {_file(copy.importer)} line {copy.line} imports it "
            f"(`from {copy.source.__name__} import {copy.name}`): {copy.importer.__name__} keeps "
            "the old object, and a fresh start would fail there with ImportError. Fix that "
            "import, or keep the name",
            line=changes.names.get(copy.name),
            severity="warning",
            place=Place(copy.importer.__name__, code_filename(copy.importer), copy.line),
        )
        for copy in broken
        if file_still_imports(copy.importer, copy.source.__name__, copy.name)
    ]


def _file(module: ModuleType) -> str:
    return os.path.basename(getattr(module, "__file__", None) or module.__name__)
