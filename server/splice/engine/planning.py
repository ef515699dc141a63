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
    selected = [name for name in dict.fromkeys(only)]
    new_definitions, old_definitions = new.definitions, old.definitions
    lines = source_lines_with_ends(old.source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    new_lines = source_lines_with_ends(new.source)
    edits: list[tuple[int, int, list[str]]] = []
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
        text = new_lines[target.line - 1 : target.end_line]
        if text and not text[-1].endswith("\n"):
            text[-1] += "\n"
        previous = old_definitions.get(qualname)
        if previous is not None:
            edits.append((previous.line - 1, previous.end_line, text))
            continue
        if target.parent is None:
            edits.append((len(lines), len(lines), ["\n", *text]))
            continue
        parent = old_definitions.get(target.parent)
        if parent is None:
            plan.errors.append(
                Finding(
                    "unknown-definition",
                    f"{qualname}: its class {target.parent} is not in the running code; "
                    f"reload {target.parent} instead",
                    qualname=qualname,
                    line=target.line,
                )
            )
            continue
        edits.append((parent.end_line, parent.end_line, text))
    if plan.errors:
        return None
    for start, end, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[start:end] = text
    return "".join(lines)
