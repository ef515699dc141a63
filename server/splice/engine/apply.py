"""Apply a module's new source to the live module, all or nothing.

``patch_module`` drives the pipeline, one module per step:

    outline    definitions.py, incremental.py   new text -> Outline
    select     selection.py                     only=: baseline + the chosen definitions
    diff       diff.py                          two outlines -> changes
    plan       baseline_planner.py or           changes -> Plan (plan.py), no mutation
               live_planner.py (no baseline, its deletions
               in deletions.py), on the shared base planner.py
    commit     commit.py                        run the steps; undo all if one raises

Planning decides everything that can fail without touching live state; only
committing mutates, and only after it succeeds does the baseline advance.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType

from splice.engine.baselines.store import (
    baseline_outline,
    baseline_source,
    forget_baseline,
    remember_unverified,
    source_path,
)
from splice.engine.commit.commit import after_commit, collection_paused, commit_plan
from splice.engine.hooks.patch_plan import plan_patch
from splice.engine.hooks.updates import notify_update
from splice.engine.locking import PATCH_LOCK, reset_after_fork
from splice.engine.objects.pieces import class_statement_at, compile_to_run, run_in_class
from splice.engine.outline.definitions import (
    Outline,
    outline_tree,
    source_lines,
    source_lines_with_ends,
)
from splice.engine.outline.incremental import reoutline
from splice.engine.outline.prepared import prepared_outline
from splice.engine.outline.selection import splice_definition
from splice.engine.outline.statements import bound_names
from splice.engine.plan.baseline_planner import BaselinePlanner
from splice.engine.plan.held_back import hold_back
from splice.engine.plan.live.planner import LivePlanner
from splice.engine.plan.planner import Planner
from splice.engine.plan.steps import Plan, code_filename
from splice.engine.result import Finding, PatchResult
from splice.engine.stale import MISSING, after_statement, plan_stale_checks
from splice.errors import UnknownModuleError


def patch_module(
    module: ModuleType | str,
    new_source: str,
    only: Sequence[str] | None = None,
    *,
    dry_run: bool = False,
    delete_removed: bool = True,
    deadline: float | None = None,
) -> PatchResult:
    """Make the live ``module`` run ``new_source``, definition by definition.

    ``only`` restricts the patch to those qualified names (and what they
    contain); nothing is deleted then. ``dry_run`` plans and reports without
    changing anything. Raises ``UnknownModuleError`` for a module that is not
    loaded or has no source file, and ``DeadlinePassed`` (nothing changed)
    when ``deadline`` (seconds since the epoch) passes before the commit's
    last swap; every other problem is in the result.
    """
    started = time.perf_counter()
    live = resolve_module(module)
    if not isinstance(new_source, str):
        raise TypeError(f"new_source must be str, not {type(new_source).__name__}")
    new_source = _without_byte_order_mark(new_source)
    with PATCH_LOCK, collection_paused():
        plan = build_plan(live, new_source, only, delete_removed=delete_removed)
        try:
            if plan.errors or dry_run:
                return plan.result(started, dry_run=dry_run)
            failure = commit_plan(plan, deadline)
            if failure is not None:
                return plan.failed(started, *failure)
            after_commit(live, plan)
            _settle_baseline(live, plan)
            notify_update(plan)
            return plan.result(started)
        finally:
            plan.release()


def run_statement(module: ModuleType | str, line: int, source: str | None = None) -> PatchResult:
    """Run, explicitly, the top-level statement at ``line`` of ``source``.

    ``source`` defaults to the baseline. This is the way out for a statement
    a patch skipped; it runs exactly that statement, in the module's namespace.
    """
    started = time.perf_counter()
    live = resolve_module(module)
    filename = code_filename(live)
    name = live.__name__
    with PATCH_LOCK:
        text = source if source is not None else baseline_source(name)
        if text is None:
            text = _read(filename)
        text = _without_byte_order_mark(text)
        try:
            tree = ast.parse(text, filename)
        except SyntaxError as error:
            finding = Finding(
                "syntax-error",
                f"invalid syntax: {error.msg}",
                line=error.lineno,
                column=error.offset,
            )
            return _statement_result(live, filename, started, errors=(finding,))
        statement = next(
            (node for node in tree.body if node.lineno <= line <= (node.end_lineno or node.lineno)),
            None,
        )
        if statement is None:
            finding = Finding("no-statement", f"no top-level statement at line {line}", line=line)
            return _statement_result(live, filename, started, errors=(finding,))
        flags = outline_tree(text, tree).future_flags
        # A line of a class body (a class attribute splice named) runs in its live class.
        enclosing, statement = class_statement_at(statement, line)
        try:
            code = compile_to_run(statement, enclosing, filename, flags)
        except SyntaxError as error:
            finding = _compile_error(error, text)
            return _statement_result(live, filename, started, errors=(finding,))
        namespace = live.__dict__
        # A class body's line binds class attributes: no module name, so no copy to follow.
        names = () if enclosing else bound_names(statement)
        before = {name: namespace.get(name, MISSING) for name in names}
        try:
            if enclosing:
                run_in_class(code, enclosing, statement, live)
            else:
                exec(code, namespace)
        except BaseException as error:  # the user's statement raised: report, don't crash
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            finding = Finding(
                "statement-failed",
                f"the statement raised {type(error).__name__}: {error}",
                line=statement.lineno,
                column=statement.col_offset + 1,
                end_line=statement.end_lineno,
            )
            return _statement_result(live, filename, started, errors=(finding,))
        # Copies importers made of a name it rebinds, and caches reading it, follow.
        rebound = after_statement(live, before, statement.lineno)
    return _statement_result(live, filename, started, applied=(statement.lineno,), skipped=rebound)


def build_plan(
    module: ModuleType,
    new_source: str,
    only: Sequence[str] | None,
    *,
    delete_removed: bool = True,
) -> Plan:
    """Every decision about this patch, and no mutation: the plan to commit."""
    filename = code_filename(module)
    plan = Plan(module, filename, new_source)
    old = baseline_outline(module.__name__, filename)
    planner: Planner
    selected: Outline | None = None
    if old is None:
        new = prepared_outline(new_source, filename) or _parse(plan, new_source)
        if new is None:
            return plan
        planner = LivePlanner(plan, new, only, delete_removed)
    else:
        new = reoutline(old, new_source, filename) or _parse(plan, new_source)
        if new is None:
            return plan
        if only:
            spliced = _splice_selected(plan, old, new, only)
            if spliced is None:
                return plan
            selected, new = new, reoutline(old, spliced, filename) or _parse(plan, spliced)
            if new is None:
                return plan
            plan.source = spliced
            delete_removed = False
        planner = BaselinePlanner(plan, old, new, delete_removed)
    plan.outline = new
    try:
        planner.run()
    except SyntaxError as error:
        # Parsed, but the compiler refuses it (``break`` outside a loop, ``await``
        # outside ``async def``): the module could not be imported either.
        plan.steps.clear()
        plan.errors.append(_compile_error(error, plan.source))
    if selected is not None:
        _locate_in_selection(plan, new, selected, only or ())
    if not plan.errors:
        plan_patch(plan)
    if plan.errors:
        hold_back(plan)
    else:
        plan_stale_checks(plan)
    plan.steps.sort(key=lambda step: step.line)
    return plan


def _settle_baseline(module: ModuleType, plan: Plan) -> None:
    """The new text is the baseline only for what was verified (docs/edits.md)."""
    if plan.record_baseline:
        remember_unverified(module.__name__, plan.unverified())
    else:
        forget_baseline(module.__name__)


def _parse(plan: Plan, source: str) -> Outline | None:
    try:
        tree = ast.parse(source, plan.filename)
    except SyntaxError as error:
        plan.errors.append(
            Finding(
                "syntax-error",
                f"invalid syntax: {error.msg}; nothing was changed",
                line=error.lineno,
                column=error.offset,
                end_line=getattr(error, "end_lineno", None),
            )
        )
        return None
    except ValueError as error:  # null bytes
        plan.errors.append(Finding("syntax-error", f"invalid source: {error}"))
        return None
    return outline_tree(source, tree)


def _without_byte_order_mark(source: str) -> str:
    # Python reads a leading BOM as a mark of the encoding, not as text
    # (importlib.util.decode_source drops it), so the module runs without it.
    return source[1:] if source.startswith("\ufeff") else source


def _compile_error(error: SyntaxError, source: str) -> Finding:
    """A compile-stage ``SyntaxError`` as a finding, its column in characters.

    The compiler counts the column in UTF-8 bytes (the parser, in characters).
    """
    column = error.offset
    lines = source_lines(source)
    if column is not None and error.lineno is not None and 0 < error.lineno <= len(lines):
        line = lines[error.lineno - 1]
        if not line.isascii():
            column = len(line.encode()[: column - 1].decode("utf-8", "replace")) + 1
    return Finding(
        "syntax-error",
        f"invalid syntax: {error.msg}; nothing was changed",
        line=error.lineno,
        column=column,
        end_line=getattr(error, "end_lineno", None),
    )


def _locate_in_selection(
    plan: Plan, spliced: Outline, selected: Outline, only: Sequence[str]
) -> None:
    """Findings inside a spliced definition, moved to where it is in the user's text.

    ``only=`` plans the baseline with the selected definitions spliced in;
    the user looks at the new text, where they may stand elsewhere.
    """
    originals = selected.by_key()
    moves = []
    for definition in spliced.ordered:
        chosen = any(
            definition.qualname == name or definition.qualname.startswith(name + ".")
            for name in only
        )
        original = originals.get(definition.key)
        if chosen and original is not None:
            moves.append((definition, original))

    def moved(finding: Finding) -> Finding:
        if finding.line is None:
            return finding
        for definition, original in moves:
            if definition.line <= finding.line <= definition.end_line:
                shift = original.line - definition.line
                column = finding.column
                if column is not None:
                    column = max(1, column + original.column - definition.column)
                end_line = finding.end_line + shift if finding.end_line is not None else None
                return replace(finding, line=finding.line + shift, column=column, end_line=end_line)
        return finding

    plan.errors[:] = [moved(finding) for finding in plan.errors]
    plan.skipped[:] = [moved(finding) for finding in plan.skipped]


def _splice_selected(plan: Plan, old: Outline, new: Outline, only: Sequence[str]) -> str | None:
    """The baseline with only the selected definitions taken from the new text.

    Patching that text (rather than the new text with a filter) keeps the
    baseline true: afterwards it is exactly what the module runs.
    """
    selected = list(dict.fromkeys(only))
    new_definitions = new.definitions
    new_lines = source_lines_with_ends(new.source)
    spliced = old.source
    for qualname in selected:
        if any(qualname.startswith(other + ".") for other in selected):
            continue  # comes with its class
        target = new_definitions.get(qualname)
        if target is None:
            plan.errors.append(
                Finding(
                    "unknown-definition",
                    f"{qualname}: no such definition in the new source; nothing was changed",
                    qualname=qualname,
                )
            )
            continue
        text = "".join(new_lines[target.line - 1 : target.end_line])
        try:
            spliced = splice_definition(spliced, qualname, text)
        except LookupError as error:
            plan.errors.append(
                Finding(
                    "unknown-definition",
                    f"{qualname}: {error}",
                    qualname=qualname,
                    line=target.line,
                )
            )
    if plan.errors:
        return None
    return spliced


def resolve_module(module: ModuleType | str) -> ModuleType:
    if isinstance(module, str):
        live = sys.modules.get(module)
        if live is None:
            raise UnknownModuleError(f"no module named {module!r} is loaded in this process")
    elif isinstance(module, ModuleType):
        live = module
    else:
        raise TypeError(f"module must be a module or its name, not {type(module).__name__}")
    if source_path(live) is None:
        raise UnknownModuleError(f"module {live.__name__!r} has no Python source file")
    return live


def _read(filename: str) -> str:
    with open(filename, "rb") as file:
        return importlib.util.decode_source(file.read())


def _statement_result(
    module: ModuleType,
    filename: str,
    started: float,
    errors: tuple[Finding, ...] = (),
    applied: tuple[int, ...] = (),
    skipped: Sequence[Finding] = (),
) -> PatchResult:
    return PatchResult(
        ok=not errors,
        module=module.__name__,
        file=filename,
        errors=errors,
        skipped=tuple(skipped),
        statements_applied=applied,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


__all__ = ["PATCH_LOCK", "patch_module", "reset_after_fork", "resolve_module", "run_statement"]
