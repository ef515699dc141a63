"""Planning from the recorded baseline: diff the two texts, then one step per change."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import cached_property
from typing import Any

from splice.engine.baselines.store import unverified_findings
from splice.engine.commit.mutations import unbind
from splice.engine.hooks.claims import claim_class
from splice.engine.objects.classes import fields_changed, is_dataclass_type, is_enum
from splice.engine.objects.codeobjects import code_kind, shift_lines
from splice.engine.objects.pieces import compile_definition
from splice.engine.objects.targets import binding, is_missing, live_functions, namespace_of
from splice.engine.outline.definitions import Definition, Outline
from splice.engine.outline.diff import DefinitionChange, diff_definitions
from splice.engine.plan.statements import StatementPlanner
from splice.engine.plan.steps import Plan, Undo


class BaselinePlanner(StatementPlanner):
    """Plans a patch from a trusted baseline: the diff says what changed."""

    def __init__(self, plan: Plan, old: Outline, new: Outline, delete_removed: bool) -> None:
        super().__init__(plan, new)
        self.old = old
        self.delete_removed = delete_removed
        self.old_definitions = old.definitions

    # Each read by few patches: made on first use, not for every patch of a large module.
    @cached_property
    def old_classes(self) -> dict[str, Definition]:  # type: ignore[override]
        return {d.qualname: d for d in self.old.ordered if d.kind == "class"}

    @cached_property
    def new_definitions(self) -> dict[str, Definition]:
        return self.new.definitions

    @cached_property
    def new_counts(self) -> Counter[str]:
        return Counter(definition.qualname for definition in self.new.ordered)

    def run(self) -> None:
        diff = self.plan.diff = diff_definitions(self.old, self.new)
        for change in diff.changes:
            if change.kind == "changed" and change.new is not None and change.new.kind == "class":
                self.plan_class(change)
        for change in diff.changes:
            definition = change.new or change.old
            assert definition is not None
            if self.inside_whole(definition.qualname) or (
                change.kind == "changed" and definition.kind == "class"
            ):
                continue
            if change.kind == "added":
                self.plan_add(definition)
            elif change.kind == "deleted":
                self.plan_delete(definition)
            elif change.kind == "moved":
                self.plan_move(change)
            else:
                self.plan_function(change)
        self.plan_statements(diff)
        self.repeat_unverified()

    def repeat_unverified(self) -> None:
        """What an earlier patch without a baseline could not verify, until resolved
        (the definition re-run, re-created or gone)."""
        plan = self.plan
        resolved = {*plan.rebound, *plan.added, *plan.deleted}
        for finding in unverified_findings(self.module.__name__):
            qualname = finding.qualname
            if qualname is None or qualname in resolved:
                continue
            if finding.code == "signature-unverified" and qualname in self.signatures:
                continue  # its defaults and annotations were evaluated now
            definition = self.new_definitions.get(qualname)
            if definition is not None:
                plan.skipped.append(replace(finding, line=definition.line))
            elif finding.code == "deletion-unverified":
                scope, _, name = qualname.rpartition(".")
                namespace = namespace_of(self.module, scope or None)
                if namespace is not None and not is_missing(binding(namespace, name)):
                    plan.skipped.append(finding)

    def plan_class(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        if self.inside_whole(new.qualname):
            return
        live = namespace_of(self.module, new.qualname)
        if not isinstance(live, type):
            self.whole.add(new.qualname)
            if new.in_block or (old.parent and self.inside_whole(old.parent)):
                return
            self.error(
                "class-not-found",
                f"{new.qualname}: cannot patch: the module has no class by that name "
                "(its name is bound to something else); restart to load it",
                new,
            )
            return
        if "bases" in change.parts or "keywords" in change.parts:
            self.refuse_header(new, "bases" if "bases" in change.parts else "keywords")
            return
        if "decorators" in change.parts:
            self.whole.add(new.qualname)
            self.plan_run(new, "rebound")
            return
        self.plan_class_body(old, new, live)

    def plan_class_body(self, old: Definition, new: Definition, live: type) -> None:
        if claim_class(self, new, live, old):
            return  # an adapter rebuilds it (a pydantic model, an attrs class) or refused
        if is_enum(live):
            old_members = [s.text for s in old.statements if not s.is_docstring]
            new_members = [s.text for s in new.statements if not s.is_docstring]
            if old_members != new_members:
                self.refuse_enum(new)
            return
        if is_dataclass_type(live) and fields_changed(old, new):
            self.plan_dataclass(new, live)

    def plan_function(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        namespace = namespace_of(self.module, new.parent)
        if namespace is None:
            return  # its class is not live (an untaken branch): nothing runs this
        bound = binding(namespace, new.member)
        functions = live_functions(bound, new.name, old.line)
        # Another definition of the same name (an if/else pair, a redefinition)
        # may be the live one: then only an exact match is this definition.
        unique = self.old_definitions[old.qualname] is old and old.occurrence == 0
        if not functions and unique and not is_missing(bound):
            functions = live_functions(bound, new.name, None)
        plain = unique and not new.in_block
        # Only a decorator can hide the function it made; anything else bound to
        # the name came from elsewhere (another branch, a later statement).
        opaque = plain and not is_missing(bound) and bool(old.node.decorator_list)
        if not functions and not opaque and not (plain and is_missing(bound)):
            elsewhere = plain or (not is_missing(bound) and unique)
            self.skip(
                "definition-not-live",
                f"{new.qualname}: not patched: this definition is not the one the program "
                + (
                    f"runs: the name is bound to a {type(bound).__name__} that does not come "
                    "from it (a later statement rebound it)"
                    if elsewhere
                    else "runs (its block took another branch, or another definition of the "
                    "same name replaced it)"
                ),
                severity="warning" if plain else "info",
                qualname=new.qualname,
                line=new.line,
            )
            return
        if "decorators" in change.parts:
            self.plan_run(new, "rebound")
            return
        if not functions:
            if is_missing(bound):
                self.plan_run(new, "added")
                return
            self.error(
                "decorator-opaque",
                f"{new.qualname}: cannot patch in place: its decorator returned "
                f"{type(bound).__name__} object that does not expose the original function "
                "(no __wrapped__). Use functools.wraps in the decorator, or restart",
                new,
            )
            return
        code = compile_definition(new.node, self.enclosing(new), self.plan.filename, self.flags)
        assert code is not None
        if any(code_kind(function.__code__) != code_kind(code) for function in functions):
            # def <-> async def, or a yield added: a function cannot change kind in place.
            self.plan_run(new, "rebound")
            return
        live_class = namespace if isinstance(namespace, type) else None
        fitted = []
        for function in functions:
            new_code = self.fit_closure(function, code, new, live_class)
            if new_code is None:
                return
            fitted.append((function, new_code))
        self.plan_swap(
            new,
            namespace,
            fitted,
            [function for function, _ in fitted],
            signature="signature" in change.parts,
            docstring="docstring" in change.parts,
        )

    def plan_move(self, change: DefinitionChange) -> None:
        old, new = change.old, change.new
        assert old is not None and new is not None
        namespace = namespace_of(self.module, new.parent)
        if namespace is None:
            return
        functions = live_functions(binding(namespace, new.member), new.name, old.line)
        if not functions:
            return
        if old.text == new.text:
            codes = [(f, shift_lines(f.__code__, new.line - old.line)) for f in functions]
        else:
            code = compile_definition(new.node, self.enclosing(new), self.plan.filename, self.flags)
            assert code is not None
            live_class = namespace if isinstance(namespace, type) else None
            codes = []
            for function in functions:
                fitted = self.fit_closure(function, code, new, live_class)
                if fitted is None:
                    return
                codes.append((function, fitted))
        self.plan_swap(new, namespace, codes, [], signature=False, docstring=False)

    def plan_add(self, definition: Definition) -> None:
        if definition.in_block and self.new_counts[definition.qualname] > 1:
            # Another definition of the same name (another branch) may be the
            # one the block would bind: which branch ran is not known here.
            self.skip(
                "definition-not-live",
                f"{definition.qualname}: not defined: it was added to a block that defines "
                "the same name elsewhere, and splice cannot tell which branch ran. Run the "
                "block explicitly or restart",
                severity="info",
                qualname=definition.qualname,
                line=definition.line,
            )
            return
        # A later definition of the same name binds it when the module runs (an
        # implementation after an overload stub, the last of several registered
        # handlers): the new one only runs for what its decorators do.
        later = any(
            other.qualname == definition.qualname and other.line > definition.line
            for other in self.new.ordered
            if not other.in_block
        )
        self.plan_run(definition, "added", bind_name=not later or definition.in_block)

    def plan_delete(self, definition: Definition) -> None:
        namespace = namespace_of(self.module, definition.parent)
        if namespace is None:
            return
        bound = binding(namespace, definition.member)
        if is_missing(bound):
            return
        if definition.kind == "function" and not live_functions(
            bound, definition.name, definition.line
        ):
            return  # the name is bound to something else now (or another branch's definition)
        if definition.kind == "class" and not (
            isinstance(bound, type) and bound.__qualname__ == definition.qualname
        ):
            return
        where: dict[str, Any] = {"qualname": definition.qualname}
        if definition.qualname in self.new_definitions and isinstance(bound, property):
            # A setter or deleter removed: the property must be rebuilt from the
            # definitions that remain, in order, each seeing the one before.
            if definition.qualname not in self.plan.rebound:
                for remaining in self.new.ordered:
                    if remaining.qualname == definition.qualname:
                        self.plan_run(remaining, "rebound")
                self.plan.rebound[:] = dict.fromkeys(self.plan.rebound)
            return
        if definition.qualname in self.new_definitions:
            self.skip(
                "deletion-shared-name",
                f"{definition.qualname}: this definition was removed but another of the same "
                "name remains, so the name was kept",
                **where,
            )
            return
        if not self.delete_removed:
            self.skip(
                "deletion-skipped",
                f"{definition.qualname}: removed from the source but kept in the program "
                "(deleting removed definitions is turned off)",
                severity="info",
                **where,
            )
            return
        self.plan.deleted.append(definition.qualname)

        def delete(undo: Undo) -> None:
            unbind(namespace, definition.member, undo)

        self.plan.add_step(definition.line, f"deleting {definition.qualname}", delete)
