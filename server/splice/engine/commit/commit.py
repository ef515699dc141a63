"""Committing a plan: stage its steps, then swap them in at once; all or nothing.

Only committing mutates the live module, in two parts. *Staging* runs the
steps in source order; each records its mutations in a ``Transaction``
instead of making them, and runs whatever Python code it needs (the
decorators of new definitions, new imports) against the module as it was
before the patch plus what the patch binds above it. The *swap* then applies
every recorded mutation in one C-level call, which no other thread running
Python code can interrupt (see ``transaction.py``). A step that runs framework
code on live objects (an adapter's, ``Unstaged``) gets what is staged
before it swapped in first and mutates at once, as steps used to. If anything
raises, the undo log runs in reverse; the baseline and ``linecache`` advance
only after a commit that raised nothing.
"""

from __future__ import annotations

import gc
import linecache
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from splice.engine.baselines.store import remember_baseline
from splice.engine.commit.transaction import Transaction, Unstaged, gil_enabled, staging
from splice.engine.outline.definitions import source_lines_with_ends
from splice.engine.plan.steps import Plan, Step, Undo
from splice.engine.result import Finding
from splice.errors import DeadlinePassed
from splice.logs import get_logger

logger = get_logger(__name__)


def commit_plan(plan: Plan, deadline: float | None = None) -> tuple[Step, BaseException] | None:
    """Stage the plan's steps and swap them in; if anything raises, undo all and return it.

    With a ``deadline`` (seconds since the epoch) that passes before the last
    swap, what was staged is undone and ``DeadlinePassed`` raised: whoever
    asked has given up on the patch, so it must not apply late.
    """
    transaction = Transaction()
    for cache in plan.caches:
        # Results cached by the old code must not outlive it.
        transaction.clear_cache(cache)
    step: Step | None = None
    try:
        with staging(transaction):
            for step in plan.steps:
                if not isinstance(step.action, Unstaged):
                    step.action(transaction)
                    continue
                # Framework code (an adapter's) works on live objects: what
                # is staged goes live first, and the step mutates at once.
                transaction.swap()
                with transaction.immediately():
                    step.action(transaction)
            step = None
            if deadline is not None and time.time() > deadline:
                raise DeadlinePassed(
                    "the request's deadline passed while the kernel was applying the patch "
                    "(a slow decorator or adapter?); the client has given up on it, so "
                    "everything was undone and nothing was changed"
                )
            transaction.swap()
    except BaseException as error:
        try:
            transaction.undo()
        except Exception:  # keep going: the rest was restored
            logger.exception("could not undo a step of a failed patch")
        if isinstance(error, (KeyboardInterrupt, SystemExit, DeadlinePassed)):
            raise
        if step is None:
            step = Step(plan.steps[0].line if plan.steps else 1, "applying the patch", _nothing)
        return step, error
    return None


def after_commit(module: ModuleType, plan: Plan) -> None:
    """Advance ``linecache`` and the baseline to the new text."""
    note_atomicity(plan)
    lines = _edited_lines(plan) or source_lines_with_ends(plan.source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    # An mtime of None keeps linecache.checkcache from reloading the file,
    # which may hold other text than what now runs.
    linecache.cache[plan.filename] = (len(plan.source), None, lines, plan.filename)
    if plan.outline is not None and plan.outline.source is plan.source:
        plan.outline.__dict__[_LINES] = lines
    remember_baseline(module.__name__, plan.source, plan.outline)


#: Where an outline keeps the ``linecache`` lines made of its text by the commit that ran it.
_LINES = "_linecache_lines"


def _edited_lines(plan: Plan) -> list[str] | None:
    """The new text's ``linecache`` lines as the old text's with the edited region's
    replaced, if ``linecache`` still holds exactly the lines the last commit put there."""
    outline = plan.outline
    derivation = outline.derivation if outline is not None else None
    base = derivation.base() if derivation is not None else None
    if outline is None or derivation is None or base is None or outline.source is not plan.source:
        return None
    entry = linecache.cache.get(plan.filename)
    previous = base.__dict__.get(_LINES)
    # A lazy entry (a loader's, one item) holds no lines.
    if entry is None or previous is None or len(entry) != 4 or entry[2] is not previous:
        return None
    source = plan.source
    end = derivation.text_end + 1 if derivation.text_end < len(source) else len(source)
    region = source_lines_with_ends(source[derivation.text_start : end])
    start = derivation.start - 1
    return previous[:start] + region + previous[derivation.base_end_line :]


def note_atomicity(plan: Plan) -> None:
    """Say so when other threads may have seen the committed plan half applied."""
    if plan.steps and not gil_enabled():
        plan.skipped.append(
            Finding(
                "patch-not-atomic",
                "this Python runs without its global interpreter lock (a free-threaded "
                "build), so threads running at the same time may have seen this patch half "
                "applied while it was swapped in; patch while they are idle if that matters",
                severity="warning",
            )
        )


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection during a patch.

    A patch allocates many objects that form no cycles (syntax trees, the
    outline), and each collection they trigger costs more the larger the
    process's heap is; a full one walks all of it. Collections resume after.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _nothing(undo: Undo) -> None:
    pass


__all__ = ["after_commit", "collection_paused", "commit_plan", "note_atomicity"]
