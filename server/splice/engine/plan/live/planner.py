"""Planning for a module with no baseline, by comparing with the live objects.

The module was imported before splice was watching, so its file may already
hold the new text: there is nothing to diff against. Every part of every new
definition is compared with what the live object shows instead (its code,
defaults, keyword defaults, annotations, docstring, the wrappers its
decorators left; a class's literal attributes; what each import binds; the
value each literal assignment leaves in source order), and a live function
that provably came from a top-level ``def`` the new text no longer has is
deleted. What cannot be told from the live objects (a decorator that returns
its function unchanged, a statement's effect) is reported with an
``*-unverified`` code; nothing is guessed and nothing reports a silent ``ok``.
"""

from __future__ import annotations

import ast
from typing import Any

from splice.engine.commit.mutations import binder
from splice.engine.objects.codeobjects import CodeIndex
from splice.engine.objects.pieces import compile_to_run
from splice.engine.objects.targets import namespace_of
from splice.engine.objects.verification import import_current
from splice.engine.outline.definitions import Statement
from splice.engine.outline.prepared import compiled_module
from splice.engine.outline.statements import (
    bound_names,
    is_future_import,
    is_import,
    literal_targets,
)
from splice.engine.plan.live.classes import LiveClasses
from splice.engine.plan.live.functions import LiveFunctions
from splice.engine.result import Finding


class LivePlanner(LiveFunctions, LiveClasses):
    """Plans a patch for a module with no baseline, by asking the live objects."""

    def run(self) -> None:
        plan, module = self.plan, self.plan.module
        if self.only:
            known = self.new.definitions
            for name in self.only:
                if name not in known:
                    plan.errors.append(
                        Finding(
                            "unknown-definition",
                            f"{name}: no such definition in the new source; nothing was changed",
                            qualname=name,
                        )
                    )
            if plan.errors:
                return
        # From the tree already parsed (faster than compiling the text again).
        module_code = CodeIndex(compiled_module(self.new, plan.filename))
        for definition in self.new.ordered:
            if not self.selected(definition.qualname) or self.inside_whole(definition.qualname):
                continue
            namespace = namespace_of(module, definition.parent)
            if namespace is None:
                if self.only is not None and definition.qualname in self.only:
                    plan.errors.append(
                        Finding(
                            "unknown-definition",
                            f"{definition.qualname}: its class {definition.parent} is not in "
                            f"the module the kernel runs; reload {definition.parent} instead",
                            qualname=definition.qualname,
                            line=definition.line,
                        )
                    )
                continue
            if definition.kind == "class":
                self.plan_class(definition, namespace)
            else:
                self.plan_definition(definition, namespace, module_code)
        if self.only is not None:
            return
        for scope, live in self.checked.items():
            if not self.inside_whole(scope):
                self.plan_class_statements(self.new_classes[scope], live)
        self.plan_module_statements()
        self.plan_deletions(None, module)
        for scope, live in self.checked.items():
            if not self.inside_whole(scope):
                self.plan_deletions(scope, live)
        self.plan.skipped.sort(key=lambda finding: finding.line or 0)

    def plan_module_statements(self) -> None:
        """Docstring, imports and literals, compared with what the module binds."""
        module = self.module
        final: dict[str, tuple[Statement, Any]] = {}
        for statement in self.new.statements:
            node = statement.node
            if is_future_import(node):
                continue
            if statement.is_docstring:
                assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                if module.__doc__ != node.value.value:
                    self.plan.add_step(
                        statement.line,
                        "setting the docstring",
                        binder(module, {"__doc__": node.value.value}),
                    )
                    self.plan.statements_applied.append(statement.line)
                continue
            names = literal_targets(node)
            if names is not None:
                evaluated, value = self.literal_or_error(statement, line=statement.line)
                if not evaluated:
                    continue
                for name in names:
                    final[name] = (statement, value)
                continue
            for name in bound_names(node) & final.keys():
                del final[name]  # a later statement decides its value
            if is_import(node):
                self.plan_import(statement)
                continue
            self.statement_unverified(statement, None)
        for definition in self.new.ordered:
            if definition.parent is None:
                final.pop(definition.name, None)
        stale: dict[int, dict[str, Any]] = {}
        for name, (statement, value) in final.items():
            if self.literal_stale(module, name, value, statement, None):
                stale.setdefault(statement.line, {})[name] = value
        for line, values in stale.items():
            self.plan.add_step(line, f"assigning {', '.join(values)}", binder(module, values))
            self.plan.statements_applied.append(line)

    def plan_import(self, statement: Statement) -> None:
        """Run an import whose names the module lacks or binds to other objects."""
        node = statement.node
        assert isinstance(node, (ast.Import, ast.ImportFrom))
        code = compile_to_run(node, [], self.plan.filename, self.flags)
        if import_current(node, self.module):
            return
        self.add_import(statement, code)
