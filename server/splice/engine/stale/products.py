"""Products of code that already ran: top-level statements whose results still hold old values.

``CFG = Config()`` ran when the module was imported. If a patch changes
``Config`` (a dataclass default) or ``app = create_app()``'s factory, the
live ``CFG`` and ``app`` were still made by the old code, while a fresh
start would run the new one. splice never re-runs top-level code behind
your back, so each such statement (of the patched module, or of a module
that imports it, directly or through others) is named with a
``statement-stale`` warning: what still holds old values, and the one action
that fixes it (run the statement again when that only rebinds names, else
restart). A framework adapter that brings such a product up to date itself
says so (``PatchPlan.brings_up_to_date``), and the statement is not named.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from types import FrameType, ModuleType
from typing import Any

from splice.engine.baselines.store import baseline_source
from splice.engine.outline.definitions import Outline
from splice.engine.plan.steps import Plan, code_filename
from splice.engine.result import STATEMENT_SKIP_CODES, Finding, Place
from splice.engine.stale.modules import summary_of
from splice.engine.stale.reach import ChangeSet, Reach, describe_path
from splice.engine.stale.units import Unit, patched_units
from splice.engine.stale.usage import Usage


def plan_products(
    plan: Plan, changes: ChangeSet, reach: Reach, importers: Iterable[ModuleType]
) -> None:
    """Name every statement that ran changed code at import and whose product is still live."""
    running = _Running()
    if plan.outline is not None:
        _own_statements(plan, changes, reach, plan.outline, running)
    for importer in importers:
        summary = summary_of(importer)
        if summary is None:
            continue
        namespace = vars(importer)
        filename = code_filename(importer)
        for unit in summary.units:
            path = reach.reaches(unit.usage, namespace)
            if path is None or _brought_up_to_date(plan, namespace, unit):
                continue
            if running.holds(filename, unit):
                continue
            plan.skipped.append(_importer_finding(plan, changes, importer, filename, unit, path))


def _own_statements(
    plan: Plan,
    changes: ChangeSet,
    reach: Reach,
    outline: Outline,
    running: _Running,
) -> None:
    """The patched module's own units that its new text did not change."""
    namespace = vars(plan.module)
    paths: dict[int, tuple[str, ...] | None] = {}

    def reaches(usage: Usage) -> bool:
        # Usages are interned: most definitions share one (``factor=RATE``, none).
        key = id(usage)
        if key not in paths:
            paths[key] = reach.names(usage, namespace)
        return paths[key] is not None

    units = patched_units(plan, baseline_source(plan.module.__name__), reaches)
    if not units:
        return
    named = {
        finding.line: finding
        for finding in plan.skipped
        if finding.code in STATEMENT_SKIP_CODES and finding.line is not None
    }
    applied = set(plan.statements_applied)
    remade = {*plan.rebound, *plan.added}
    for unit in units:
        if unit.line in applied or unit.definition in remade:
            continue
        if running.holds(plan.filename, unit) or _brought_up_to_date(plan, namespace, unit):
            continue
        earlier = named.get(unit.line)
        if earlier is not None:
            if earlier.code != "statement-unverified":
                continue  # the statement itself changed: already named
            plan.skipped.remove(earlier)  # more precise than "cannot tell"
        path = paths[id(unit.usage)]
        assert path is not None
        plan.skipped.append(_own_finding(changes, unit, path))


def _own_finding(changes: ChangeSet, unit: Unit, path: tuple[str, ...]) -> Finding:
    cause = _cause(changes, path)
    if unit.definition is not None:
        message = (
            f"{unit.definition}: its decorators or defaults were evaluated at import by code "
            f"that {cause}; {unit.definition} still holds what they made. A fresh start would "
            "make it with the new code: edit the definition so it is re-created, or restart"
        )
        return Finding(
            "statement-stale",
            message,
            qualname=unit.definition,
            line=unit.line,
            severity="warning",
        )
    held = _held(unit)
    place = f"in class {unit.scope}" if unit.scope else "top-level"
    message = (
        f"line {unit.line}: this {place} statement ran at import with code that {cause}; "
        f"{held} still made by the old code, while a fresh start would run the new. "
        + _action(unit)
    )
    return Finding(
        "statement-stale",
        message,
        qualname=unit.scope,
        line=unit.line,
        end_line=unit.end_line,
        severity="warning",
        rerun=unit.rerunnable,
    )


def _importer_finding(
    plan: Plan,
    changes: ChangeSet,
    importer: ModuleType,
    filename: str,
    unit: Unit,
    path: tuple[str, ...],
) -> Finding:
    root = path[-1]
    line = changes.names.get(root) or plan.line_of(root)
    where = f"{os.path.basename(filename)} line {unit.line}"
    if unit.definition is not None:
        message = (
            f"{where}: the decorators or defaults of {importer.__name__}.{unit.definition} "
            f"were evaluated at import by code that {_cause(changes, path)}; it still holds "
            "what they made, while a fresh start would make it with the new code. Restart "
            "(or edit that definition so it is re-created)"
        )
    else:
        place = f"in class {unit.scope} " if unit.scope else ""
        message = (
            f"{where}: a statement {place}of {importer.__name__} ran at import with code that "
            f"{_cause(changes, path)}; {_held(unit)} still made by the old code, while a fresh "
            "start would run the new. " + _action(unit, elsewhere=where)
        )
    return Finding(
        "statement-stale",
        message,
        qualname=root if root not in changes.names else None,
        line=line,
        severity="warning",
        place=Place(importer.__name__, filename, unit.line),
        rerun=unit.rerunnable,
    )


def _cause(changes: ChangeSet, path: tuple[str, ...]) -> str:
    root = path[-1]
    if root in changes.names:
        verb = "deleted" if root in changes.deleted else "rebound"
        if len(path) == 1:
            return f"read {root}, which this patch {verb}"
        return f"ran {describe_path(path[:-1])}, which reads {root} (this patch {verb} it)"
    return f"ran {describe_path(path)}, which this patch changed"


def _held(unit: Unit) -> str:
    names = sorted(unit.binds)
    if not names:
        return "what it did is"
    if len(names) == 1:
        return f"{names[0]} is"
    return f"{', '.join(names)} are"


def _action(unit: Unit, elsewhere: str | None = None) -> str:
    if unit.rerunnable:
        target = f"the statement at {elsewhere}" if elsewhere else "this statement"
        return f"Run {target} again to rebuild it (or restart)"
    return "Restart the program to redo it (running it again may repeat its other effects)"


def _brought_up_to_date(plan: Plan, namespace: dict[str, Any], unit: Unit) -> bool:
    """Whether an adapter brings every product the unit bound up to date itself."""
    updated = plan.updated_products
    return (
        bool(updated)
        and bool(unit.binds)
        and all(id(namespace.get(name)) in updated for name in unit.binds)
    )


class _Running:
    """The module-level frames executing now (``main()`` under ``__main__``), looked up once."""

    def __init__(self) -> None:
        self._lines: set[tuple[str, int]] | None = None

    def holds(self, filename: str, unit: Unit) -> bool:
        """A statement still running is no product yet: what it calls runs new code from now on."""
        if self._lines is None:
            self._lines = set()
            for top in sys._current_frames().values():
                frame: FrameType | None = top
                while frame is not None:
                    if frame.f_code.co_name == "<module>":
                        self._lines.add((frame.f_code.co_filename, frame.f_lineno))
                    frame = frame.f_back
        return any(
            file == filename and unit.line <= line <= unit.end_line for file, line in self._lines
        )
