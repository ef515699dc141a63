"""Adapters claiming a changed class: the class is rebuilt by the adapter, not member by member."""

from __future__ import annotations

import ast
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from splice.engine.commit.transaction import Unstaged
from splice.engine.hooks.adapters import active_adapters, adapter_name
from splice.engine.plan.steps import Undo
from splice.engine.result import Severity

if TYPE_CHECKING:
    from splice.engine.outline.definitions import Definition
    from splice.engine.plan.planner import Planner


class ClassClaim:
    """A live class whose definition changed, offered to adapters while planning."""

    def __init__(
        self, planner: Planner, new: Definition, live: type, old: Definition | None
    ) -> None:
        self.planner = planner
        self.plan = planner.plan
        self.module = planner.module
        self.new = new
        self.live = live
        #: The baseline's definition; None when the module has no baseline.
        self.old = old
        #: Set by ``build`` when the class could only be built with this save's new imports.
        self.provisional = False

    @property
    def qualname(self) -> str:
        return self.new.qualname

    def only_bodies_changed(self) -> bool:
        """With a baseline: only method bodies changed (no statement, decorator or member).

        Then nothing a class decorator or metaclass made from the class body
        can differ, and the class need not be built again to know it.
        """
        if self.old is None:
            return False
        return _class_shape(self.old) == _class_shape(self.new)

    def build(self) -> Any:
        """The new class, made by running its statement apart from the live module.

        The module and the live class are left untouched; decorators and the
        metaclass run, as they would in a fresh import. When the class needs a
        name that an import of the same save brings (not run before the
        commit), it is built in a copy of the module's namespace where the new
        imports ran, and ``provisional`` is True: build it again in the commit
        step (the imports have run by then; its functions must see the module).
        """
        try:
            return self._build(self.module)
        except NameError:
            scratch = self._with_new_imports()
            if scratch is None:
                raise
            built = self._build(scratch)
            self.provisional = True
            return built

    def _build(self, module: ModuleType) -> Any:
        from splice.engine.objects.pieces import compile_to_run, run_definition

        enclosing = self.planner.enclosing(self.new)
        live_classes = self.planner.live_classes(self.new) or []
        code = compile_to_run(self.new.node, enclosing, self.plan.filename, self.planner.flags)
        return run_definition(code, enclosing, live_classes, module)[self.new.member]

    def _with_new_imports(self) -> ModuleType | None:
        from splice.engine.outline.statements import is_import

        outline = self.plan.outline or self.planner.new
        imports = [node for node in outline.tree.body if is_import(node)]
        if not imports:
            return None
        scratch = ModuleType(self.module.__name__)
        scratch.__dict__.update(vars(self.module))
        try:
            code = compile(
                ast.Module(body=imports, type_ignores=[]),
                self.plan.filename,
                "exec",
                self.planner.flags,
                dont_inherit=True,
            )
            exec(code, scratch.__dict__)
        except Exception:
            return None
        return scratch

    def refuse(self, code: str, message: str) -> None:
        """Refuse the whole patch: the class keeps working as it is."""
        self.planner.whole.add(self.qualname)
        self.planner.error(code, message, self.new)

    def warn(self, code: str, message: str, severity: Severity = "warning") -> None:
        self.planner.skip(code, message, severity, qualname=self.qualname, line=self.new.line)

    def apply(self, label: str, action: Callable[[Undo], None]) -> None:
        """Take the class over: ``action`` replaces member-by-member patching of it."""
        self.planner.whole.add(self.qualname)
        self.plan.changed.append(self.qualname)
        self.plan.add_step(self.new.line, label, Unstaged(action))


def _class_shape(definition: Definition) -> tuple[list[str], list[tuple[str, list[str]]]]:
    node = definition.node
    members = [
        (child.name, [ast.dump(decorator) for decorator in child.decorator_list])
        for child in getattr(node, "body", ())
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    statements = [statement.text for statement in definition.statements]
    return statements, members


def claim_class(
    planner: Planner, new: Definition, live: type, old: Definition | None = None
) -> bool:
    """Whether an adapter took over this changed class (planned it or refused it)."""
    adapters = active_adapters()
    if not adapters:
        return False
    claim = ClassClaim(planner, new, live, old)
    for adapter in adapters:
        try:
            if adapter.plan_class(claim):
                return True
        except Exception as error:  # a broken adapter refuses rather than guesses
            claim.refuse(
                "adapter-failed",
                f"{new.qualname}: the {adapter_name(adapter)} adapter raised "
                f"{type(error).__name__}: {error} while planning; nothing was changed",
            )
            return True
    return False
