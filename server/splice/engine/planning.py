"""Planning a patch: every decision, no mutation.

``build_plan`` parses the new text once (only the part an edit touched, when
the baseline is known), diffs it against the baseline (or, without one,
against the live objects) and returns a ``Plan``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from types import ModuleType

from splice.engine.baseline import baseline_outline
from splice.engine.definitions import Outline, outline_tree, source_lines_with_ends
from splice.engine.incremental import reoutline
from splice.engine.plan import Plan, code_filename
from splice.engine.planner import Planner
from splice.engine.result import Finding
from splice.engine.selection import splice_definition
from splice.engine.untrusted import UntrustedPlanner


def build_plan(
    module: ModuleType,
    new_source: str,
    only: Sequence[str] | None,
    *,
    delete_removed: bool = True,
) -> Plan:
    filename = code_filename(module)
    plan = Plan(module, filename, new_source)
    old = baseline_outline(module.__name__, filename)
    if old is None:
        new = _parse(plan, new_source)
        if new is None:
            return plan
        plan.outline = new
        UntrustedPlanner(plan, new, only).run()
    else:
        new = reoutline(old, new_source, filename) or _parse(plan, new_source)
        if new is None:
            return plan
        if only:
            spliced = _splice_selected(plan, old, new, only)
            if spliced is None:
                return plan
            new = reoutline(old, spliced, filename) or _parse(plan, spliced)
            if new is None:
                return plan
            plan.source = spliced
            delete_removed = False
        plan.outline = new
        Planner(plan, old, new, delete_removed).run()
    plan.steps.sort(key=lambda step: step.line)
    return plan


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
