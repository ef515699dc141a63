"""What a refused edit keeps back: one ``held-back`` finding per change not applied because of it."""

from __future__ import annotations

import os
from collections.abc import Iterable

from splice.engine.plan.steps import Plan
from splice.engine.result import Finding, PatchResult


def hold_back(plan: Plan) -> None:
    """One ``held-back`` finding per change a refused edit keeps from being applied."""
    refused = {finding.qualname for finding in plan.errors}
    if None in refused and any(f.code == "syntax-error" for f in plan.errors):
        return  # nothing was planned from a text that does not compile
    held = [
        (kind, qualname)
        for kind, names in (
            ("changed", plan.changed),
            ("added", plan.added),
            ("deleted", plan.deleted),
            ("rebound", plan.rebound),
        )
        for qualname in dict.fromkeys(names)
        if qualname not in refused and not _inside(qualname, refused)
    ]
    if not held:
        return
    file = os.path.basename(plan.filename)
    for kind, qualname in held:
        # Applying the others alone (only=) deletes nothing: say so for a deletion.
        way_out = (
            "it is removed once the refused edit is fixed or undone"
            if kind == "deleted"
            else f"to apply the other changes alone: splice patch --apply-others {file}"
        )
        plan.skipped.append(
            Finding(
                "held-back",
                f"{qualname} ({kind}) was not applied because another edit of this save was "
                f"refused (a patch is all or nothing); {way_out}",
                qualname=qualname,
                line=plan.line_of(qualname),
                severity="warning",
            )
        )


def held_back_definitions(result: PatchResult) -> list[str]:
    """The definitions a refused patch held back that ``only=`` can apply alone.

    Deletions are left out: a patch restricted with ``only=`` deletes nothing.
    """
    return [
        finding.qualname
        for finding in result.skipped
        if finding.code == "held-back"
        and finding.qualname
        and not finding.message.startswith(f"{finding.qualname} (deleted)")
    ]


def _inside(qualname: str, scopes: Iterable[str | None]) -> bool:
    return any(scope and qualname.startswith(scope + ".") for scope in scopes)
