"""Update hooks: who is told, after a commit, what a patch changed.

A module-level ``__splice_update__(changes)`` in the patched module, callbacks
registered with ``splice.on_update(callback)``, and adapters' ``on_update``.
A hook that raises is reported as an ``update-hook-failed`` warning; the
patch stays applied (it is committed and consistent; the hook only failed to
refresh something of its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from splice.engine.hooks.adapters import active_adapters, adapter_name
from splice.engine.plan.steps import Plan
from splice.engine.result import Finding

ChangeKind = Literal["changed", "added", "deleted", "rebound"]


@dataclass(frozen=True)
class Change:
    """One definition a committed patch changed, as update hooks are told it."""

    module: str
    qualname: str
    kind: ChangeKind


UpdateCallback = Callable[[tuple[Change, ...]], Any]

_callbacks: list[UpdateCallback] = []
_callbacks_lock = threading.Lock()


def on_update(callback: UpdateCallback) -> UpdateCallback:
    """Call ``callback(changes)`` after every committed patch; usable as a decorator.

    ``changes`` is a tuple of ``Change`` (module, qualname, kind), never empty.
    It runs on the thread that applied the patch, while no other patch can
    start; an exception it raises is reported as an ``update-hook-failed``
    warning on the patch and does not undo it.
    """
    if not callable(callback):
        raise TypeError(f"on_update needs a callable, not {type(callback).__name__}")
    with _callbacks_lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
    return callback


def remove_update_callback(callback: UpdateCallback) -> None:
    """Stop calling ``callback`` (registered with ``on_update``); unknown ones are ignored."""
    with _callbacks_lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


def notify_update(plan: Plan) -> None:
    """Tell every update hook what the committed ``plan`` changed."""
    changes = changes_of(plan)
    if not changes:
        return
    module_hook = vars(plan.module).get("__splice_update__")
    hooks: list[tuple[str, Callable[[tuple[Change, ...]], Any]]] = []
    if callable(module_hook):
        hooks.append((f"{plan.module.__name__}.__splice_update__", module_hook))
    with _callbacks_lock:
        callbacks = list(_callbacks)
    hooks += [(_callable_name(callback), callback) for callback in callbacks]
    hooks += [
        (f"the {adapter_name(adapter)} adapter", adapter.on_update) for adapter in active_adapters()
    ]
    for name, hook in hooks:
        try:
            hook(changes)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit too: the patch is applied, say so
            plan.skipped.append(
                Finding(
                    "update-hook-failed",
                    f"the update hook {name} raised {type(error).__name__}: {error}; the patch "
                    "is applied, but what that hook refreshes may be stale",
                    severity="warning",
                )
            )


def changes_of(plan: Plan) -> tuple[Change, ...]:
    name = plan.module.__name__
    kinds: tuple[tuple[ChangeKind, list[str]], ...] = (
        ("changed", plan.changed),
        ("added", plan.added),
        ("deleted", plan.deleted),
        ("rebound", plan.rebound),
    )
    return tuple(
        Change(name, qualname, kind) for kind, names in kinds for qualname in dict.fromkeys(names)
    )


def _callable_name(callback: Callable[..., Any]) -> str:
    module = getattr(callback, "__module__", None)
    name = getattr(callback, "__qualname__", None) or repr(callback)
    return f"{module}.{name}" if module else name
