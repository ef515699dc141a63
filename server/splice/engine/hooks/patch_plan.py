"""The whole planned patch, as adapters see it before anything is committed."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from splice.engine.commit.transaction import Unstaged
from splice.engine.hooks.adapters import active_adapters, adapter_name
from splice.engine.objects.targets import binding, is_missing, live_functions, namespace_of
from splice.engine.plan.steps import Plan, Step, Undo
from splice.engine.result import Finding, Severity


class PatchPlan:
    """A planned patch, as adapters see it before anything is committed."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.module = plan.module

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(self.plan.changed)

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(self.plan.added)

    @property
    def deleted(self) -> tuple[str, ...]:
        return tuple(self.plan.deleted)

    @property
    def rebound(self) -> tuple[str, ...]:
        return tuple(self.plan.rebound)

    @property
    def skipped(self) -> list[Finding]:
        """The plan's skipped findings (an adapter that handles one may remove it)."""
        return self.plan.skipped

    def live(self, qualname: str) -> Any:
        """What ``qualname`` is bound to now, before the commit (None if nothing)."""
        scope, _, name = qualname.rpartition(".")
        namespace = namespace_of(self.module, scope or None)
        if namespace is None:
            return None
        value = binding(namespace, name)
        return None if is_missing(value) else value

    def functions(self, qualname: str) -> list[FunctionType]:
        """The live plain functions behind ``qualname`` (through wrappers), before the commit."""
        value = self.live(qualname)
        if value is None:
            return []
        return live_functions(value, qualname.rpartition(".")[2], None)

    def brings_up_to_date(self, value: Any) -> None:
        """Say that this adapter brings ``value`` up to date itself (steps it adds).

        ``value`` is a live object a top-level statement made at import with
        code this patch changes (the app ``app = create_app()`` returned, a
        router): the engine's generic ``statement-stale`` finding is then not
        given for the statement that bound it.
        """
        self.plan.updated_products[id(value)] = value

    def first(self, label: str, action: Callable[[Undo], None]) -> None:
        """Run ``action`` before every other step of the commit."""
        # Steps run sorted by line, stably: at line 1, and first in the list.
        self.plan.steps.insert(0, Step(1, label, Unstaged(action)))

    def last(self, label: str, action: Callable[[Undo], None]) -> None:
        """Run ``action`` after every other step of the commit."""
        self.plan.add_last_step(label, Unstaged(action))

    def refuse(self, code: str, message: str, qualname: str | None = None) -> None:
        line = self.line_of(qualname)
        self.plan.errors.append(Finding(code, message, qualname=qualname, line=line))

    def warn(
        self, code: str, message: str, qualname: str | None = None, severity: Severity = "warning"
    ) -> None:
        line = self.line_of(qualname)
        self.plan.skipped.append(
            Finding(code, message, qualname=qualname, line=line, severity=severity)
        )

    def line_of(self, qualname: str | None) -> int | None:
        """Where ``qualname`` starts in the new text (None when it is not there)."""
        return self.plan.line_of(qualname)


def plan_patch(plan: Plan) -> None:
    """The adapters' part of planning ``plan``: steps first and last, warnings, refusals."""
    patch = PatchPlan(plan)
    for adapter in active_adapters():
        try:
            adapter.plan_patch(patch)
        except Exception as error:
            plan.errors.append(
                Finding(
                    "adapter-failed",
                    f"the {adapter_name(adapter)} adapter raised {type(error).__name__}: "
                    f"{error} while planning; nothing was changed",
                )
            )
