"""Frames still running old code after a commit: threads' stacks today.

A frame keeps the code object it started with, so a loop that never returns
keeps running its old body whatever the patch did. Each such frame is named
(``function-running``) so the user knows which code is still old and why.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from types import CodeType, FrameType, FunctionType

from splice.engine import debugging
from splice.engine.plan.steps import Plan, Undo
from splice.engine.result import Finding


def running_frames_check(
    plan: Plan, changed: list[tuple[str, FunctionType]]
) -> Callable[[Undo], None] | None:
    """A last step that warns about changed functions executing at commit time.

    Their frames keep the code object they started with: a loop that never
    returns keeps running the old body. A frame is matched by the file and
    qualified name of its code, not by the code object: a loop started before
    an earlier patch runs a code object that no function holds any more.
    """
    # ``changed`` has re-created and deleted functions too: they keep running their old code.
    targets = {_code_key(function.__code__): qualname for qualname, function in changed}
    functions = [function for _, function in changed]
    if not targets:
        return None
    changed_names = {qualname.rpartition(".")[2]: qualname for qualname in plan.changed}

    def check(undo: Undo) -> None:
        # What the functions hold now is the new code: frames running it are not old.
        new_codes = {function.__code__ for function in functions}
        plan.skip_in_commit(_running_findings(plan, targets, new_codes, changed_names), undo)

    return check


def _code_key(code: CodeType) -> tuple[str, str]:
    # co_qualname is 3.11+; on 3.10 the plain name has to do.
    return (code.co_filename, getattr(code, "co_qualname", code.co_name))


def _running_findings(
    plan: Plan,
    targets: dict[tuple[str, str], str],
    new_codes: set[CodeType],
    changed_names: dict[str, str],
) -> list[Finding]:
    threads = {thread.ident: thread.name for thread in threading.enumerate()}
    findings: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    outline = plan.outline
    probe = debugging.stopped_in_debugger
    top: FrameType | None = None
    for ident, top in sys._current_frames().items():
        frame: FrameType | None = top
        stopped = probe is not None and probe(top)
        while frame is not None:
            code = frame.f_code
            qualname = targets.get(_code_key(code)) if code not in new_codes else None
            if qualname is not None and (qualname, ident) not in seen:
                seen.add((qualname, ident))
                thread = threads.get(ident, f"thread {ident}")
                where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
                helpers = [
                    changed_names[name]
                    for name in dict.fromkeys(frame.f_code.co_names)
                    if name in changed_names and changed_names[name] != qualname
                ]
                if stopped:
                    message = (
                        f"{qualname} is stopped in the debugger at {where} (thread {thread});"
                        " that call runs the old code until it returns (a debugger cannot"
                        " restart it), the next call runs the new code"
                    )
                else:
                    message = (
                        f"{qualname} is running in thread {thread} at {where}; it runs the old "
                        "code until it returns"
                    )
                if helpers:
                    message += (
                        f" (the functions it calls, {', '.join(helpers)}, are patched and run "
                        "their new code from their next call)"
                    )
                definition = outline.definitions.get(qualname) if outline is not None else None
                findings.append(
                    Finding(
                        "function-running",
                        message,
                        qualname=qualname,
                        line=definition.line if definition is not None else None,
                        severity="warning",
                    )
                )
            frame = frame.f_back
    # One of them is this very frame: left bound, it would hold itself, and the
    # patch's whole plan with it, until a full collection.
    del top
    return findings
