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
import builtins
import sys
from collections.abc import Sequence
from types import CodeType, FunctionType
from typing import Any

from splice.engine.commit.mutations import binder
from splice.engine.hooks.claims import claim_class
from splice.engine.objects.classes import (
    enum_member_names,
    field_statements,
    header_mismatch,
    is_dataclass_type,
    is_enum,
    own_field_names,
)
from splice.engine.objects.codeobjects import CodeIndex, code_kind, same_code
from splice.engine.objects.evaluation import (
    evaluate_expression,
    evaluate_signature,
    future_annotations_flag,
)
from splice.engine.objects.pieces import compile_to_run
from splice.engine.objects.targets import binding, is_missing, live_functions, namespace_of
from splice.engine.objects.verification import (
    chains_agree,
    dataclass_field_call,
    expected_chain,
    import_current,
    is_dataclass_decorator,
    is_overload,
    live_chain,
    property_accessors,
    pure,
    same_member,
    same_value,
    same_values,
    slots,
)
from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.statements import (
    assigns_name,
    bound_names,
    is_future_import,
    is_import,
    literal_targets,
)
from splice.engine.plan.deletions import DeletionPlanner
from splice.engine.plan.steps import Plan
from splice.engine.result import Finding

_MISSING = object()
#: Python 3.13 cleans docstrings (as inspect.cleandoc) when compiling.
_CLEAN_DOCSTRINGS = sys.version_info >= (3, 13)


class LivePlanner(DeletionPlanner):
    """Plans a patch for a module with no baseline, by asking the live objects."""

    def __init__(
        self,
        plan: Plan,
        new: Outline,
        only: Sequence[str] | None,
        delete_removed: bool = True,
    ) -> None:
        super().__init__(plan, new, delete_removed)
        self.only = list(only) if only else None
        # Only the selected definitions are checked: the rest of the text is not verified.
        plan.record_baseline = self.only is None
        #: qualname -> its definitions in the new text, in order (usually one).
        self.groups: dict[str, list[Definition]] = {}
        for definition in new.ordered:
            self.groups.setdefault(definition.qualname, []).append(definition)
        #: qualname -> id of a live function -> the definition it came from.
        self.owners: dict[str, dict[int, Definition]] = {}
        #: Live classes checked member by member (not rebuilt, refused or added).
        self.checked: dict[str, type] = {}
        self._runtime_names: set[str] | None = None
        self._members: dict[str | None, list[str]] | None = None

    def selected(self, qualname: str) -> bool:
        return self.only is None or any(
            qualname == name or qualname.startswith(name + ".") for name in self.only
        )

    def addable(self, definition: Definition) -> bool:
        """Whether a definition the module lacks is new (not an untaken branch's).

        Inside a block it may be either, unless the user named it and no other
        definition of that name competes for the branch.
        """
        if not definition.in_block:
            return True
        named = self.only is not None and definition.qualname in self.only
        return named and len(self.groups[definition.qualname]) == 1

    def plan_missing(self, definition: Definition) -> None:
        """A definition whose name the module lacks: new, or in a branch not taken."""
        if self.addable(definition):
            self.plan_run(definition, "added")
        elif definition is self.groups[definition.qualname][0]:
            self.unverified(
                "definition-unverified",
                f"{definition.qualname}: not defined: it is inside a block, and splice cannot "
                "tell a definition added to the block from one in a branch that did not run; "
                "reload it by name (or run the block) if it is new",
                qualname=definition.qualname,
                line=definition.line,
            )

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
        module_code = CodeIndex(
            compile(self.new.tree, plan.filename, "exec", self.new.future_flags, dont_inherit=True)
        )
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

    # -- classes --------------------------------------------------------------
    def plan_class(self, definition: Definition, namespace: Any) -> None:
        bound = binding(namespace, definition.member)
        if is_missing(bound):
            self.plan_missing(definition)
            self.whole.add(definition.qualname)
            return
        if not (isinstance(bound, type) and bound.__qualname__ == definition.qualname):
            if not definition.in_block and not self.bound_after(
                definition.parent, definition.line, definition.member
            ):
                self.unverified(
                    "definition-unverified",
                    f"{definition.qualname}: not patched: the name is bound to a "
                    f"{type(bound).__name__}, not to a class from this definition (a class "
                    "decorator may have replaced it); splice cannot tell what to update",
                    qualname=definition.qualname,
                    line=definition.line,
                )
            self.whole.add(definition.qualname)
            return
        self.check_class(definition, bound)
        if definition.qualname not in self.whole:
            self.checked[definition.qualname] = bound
            node = definition.node
            assert isinstance(node, ast.ClassDef)
            decorators = [d for d in node.decorator_list if not is_dataclass_decorator(d)]
            keywords = [k for k in node.keywords if k.arg != "metaclass"]
            if decorators or keywords:
                self.unverified(
                    "decorator-unverified",
                    f"{definition.qualname}: splice cannot tell whether its class decorators or "
                    "class keywords changed since the module was imported, so it did not re-run "
                    "them; if you changed them, restart to apply that",
                    qualname=definition.qualname,
                    line=definition.line,
                )

    def check_class(self, definition: Definition, live: type) -> None:
        """Refuse what the live class shows cannot be applied; regenerate dataclasses."""
        parent = namespace_of(self.plan.module, definition.parent)
        scope = dict(vars(parent)) if isinstance(parent, type) else None

        def evaluate(expression: ast.expr) -> Any:
            return evaluate_expression(expression, self.plan.module, scope, self.plan.filename)

        part = header_mismatch(definition, live, evaluate)
        if part is not None:
            self.refuse_header(definition, part)
        elif claim_class(self, definition, live):
            self.whole.add(definition.qualname)
            return  # an adapter rebuilds it (a pydantic model, an attrs class) or refused
        elif is_enum(live):
            if enum_member_names(definition) != list(getattr(live, "__members__", {})) or any(
                not same_member(live, statement) for statement in definition.statements
            ):
                self.refuse_enum(definition)
        elif is_dataclass_type(live):
            new_fields = [node.target.id for node in field_statements(definition)]  # type: ignore[union-attr]
            if new_fields != own_field_names(live) or not self.same_field_defaults(
                definition, live
            ):
                self.plan_dataclass(definition, live)
            else:
                self.regenerated.add(definition.qualname)  # fields checked: nothing to do

    def same_field_defaults(self, definition: Definition, live: type) -> bool:
        fields = vars(live)["__dataclass_fields__"]
        for node in field_statements(definition):
            name = node.target.id  # type: ignore[union-attr]
            field = fields.get(name)
            default = getattr(field, "default", _MISSING)
            if node.value is None:
                if getattr(type(default), "__name__", "") != "_MISSING_TYPE":
                    return False
                continue
            if not pure(node.value):
                if not (isinstance(node.value, ast.Call) and dataclass_field_call(node.value)):
                    return False
                continue  # field(...): its options are compared by regenerating only on change
            try:
                value = evaluate_expression(
                    node.value, self.module, dict(vars(live)), self.plan.filename
                )
            except Exception:
                return False
            if not same_value(value, default):
                return False
        return True

    def plan_class_statements(self, definition: Definition, live: type) -> None:
        """Class-level statements: docstring, literal attributes (in source order)."""
        final: dict[str, tuple[Statement, Any]] = {}
        for statement in definition.statements:
            node = statement.node
            if statement.is_docstring:
                assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                if live.__doc__ != node.value.value:
                    self.plan.add_step(
                        statement.line,
                        f"setting the docstring of {definition.qualname}",
                        binder(live, {"__doc__": node.value.value}),
                    )
                    self.plan.statements_applied.append(statement.line)
                continue
            if definition.qualname in self.regenerated and isinstance(node, ast.AnnAssign):
                continue
            names = literal_targets(node)
            if names is None:
                if assigns_name(node, "__slots__"):
                    self.unverified(
                        "statement-unverified",
                        f"line {statement.line}: splice cannot tell whether __slots__ of "
                        f"{definition.qualname} changed; it was not applied",
                        qualname=definition.qualname,
                        line=statement.line,
                    )
                    continue
                self.statement_unverified(statement, definition.qualname)
                continue
            evaluated, value = self.literal_or_error(statement, line=statement.line)
            if not evaluated:
                continue
            for name in names:
                final[name] = (statement, value)
        for member in self.members().get(definition.qualname, ()):
            final.pop(member, None)
        stale: dict[int, dict[str, Any]] = {}
        for name, (statement, value) in final.items():
            if is_enum(live):
                break  # members were compared by the enum check
            if name == "__slots__":
                if not same_values(tuple(slots(value)), tuple(slots(vars(live).get(name)))):
                    self.error(
                        "slots-changed",
                        f"{definition.qualname}: cannot patch in place: __slots__ changed, and a "
                        "live class's slots are fixed when it is created. Restart the program",
                        qualname=definition.qualname,
                        line=statement.line,
                    )
                continue
            if self.literal_stale(live, name, value, statement, definition.qualname):
                stale.setdefault(statement.line, {})[name] = value
        for line, values in stale.items():
            self.plan.add_step(
                line, f"assigning {definition.qualname}.{', '.join(values)}", binder(live, values)
            )
            self.plan.statements_applied.append(line)

    # -- functions ------------------------------------------------------------
    def plan_definition(
        self, definition: Definition, namespace: Any, module_code: CodeIndex
    ) -> None:
        plan = self.plan
        bound = binding(namespace, definition.member)
        if type(bound) is FunctionType and not bound.__closure__ and not bound.__dict__:
            # The common case, a plain function: no wrappers to look behind.
            code_of = bound.__code__
            same_file = code_of.co_filename == plan.filename
            functions = [bound] if same_file and code_of.co_name == definition.name else []
        else:
            functions = [
                function
                for function in live_functions(bound, definition.name, None)
                if function.__code__.co_filename == plan.filename
            ]
        evaluate = self.evaluator(namespace, definition.line)
        if not functions:
            if is_missing(bound):
                self.plan_missing(definition)
                return
            if (
                not definition.in_block
                and definition is self.groups[definition.qualname][-1]
                and not self.bound_after(definition.parent, definition.line, definition.member)
            ):
                self.unverified(
                    "definition-unverified",
                    f"{definition.qualname}: not patched: the name is bound to a "
                    f"{type(bound).__name__} that shows no function from this file (a decorator "
                    "that does not expose the original, or a later assignment)",
                    qualname=definition.qualname,
                    line=definition.line,
                )
            return
        path = [*(definition.parent.split(".") if definition.parent else []), definition.name]
        code = module_code.find(path, definition.line)
        if code is None:
            return
        group = self.groups[definition.qualname]
        if isinstance(bound, property) and definition is group[0]:
            accessors = property_accessors(group)
            actual = {name for name in ("fget", "fset", "fdel") if getattr(bound, name) is not None}
            if accessors is not None and accessors != actual:
                self.plan_rebind(definition)  # a setter or deleter added or removed
                return
        if len(group) > 1:
            owners = self.owners_of(definition, functions, module_code, path)
            functions = [f for f in functions if owners.get(id(f)) is definition]
            if not functions:
                self.sibling_unreachable(definition, evaluate)
                return
        if any(code_kind(function.__code__) != code_kind(code) for function in functions):
            self.plan_rebind(definition)
            return
        decorators = list(definition.node.decorator_list)
        expected, known = expected_chain(decorators, evaluate)
        chains = [live_chain(bound, function) for function in functions]
        if any(chain is None for chain in chains) and not decorators:
            self.plan_rebind(definition)  # wrapped by something the text no longer has
            return
        verdicts = {chains_agree(chain, expected, known) for chain in chains if chain is not None}
        if False in verdicts:
            self.plan_rebind(definition)
            return
        if None in verdicts or (decorators and any(chain is None for chain in chains)):
            self.unverified(
                "decorator-unverified",
                f"{definition.qualname}: splice cannot tell whether its decorators or their "
                "arguments changed since the module was imported, so it did not re-run them; "
                "if you changed them, restart to apply that",
                qualname=definition.qualname,
                line=definition.line,
            )
        self.plan_function(definition, functions, code, namespace)

    def evaluator(self, namespace: Any, line: int) -> Any:
        scopes: list[dict[str, Any]] = []

        def evaluate(expression: ast.expr) -> Any:
            if not scopes:  # built on first use: most definitions have no decorators
                if isinstance(namespace, type):
                    scopes.append(dict(vars(namespace)))
                else:
                    scopes.append(dict(self.overlay_at(line)))
            return evaluate_expression(expression, self.module, scopes[0], self.plan.filename)

        return evaluate

    def sibling_unreachable(self, definition: Definition, evaluate: Any) -> None:
        """A same-name definition that is not the bound one: reachable only elsewhere."""
        decorators = list(definition.node.decorator_list)
        if definition.in_block or not decorators or is_overload(decorators, evaluate):
            return  # another branch's, a replaced one, or an overload stub: never live
        self.unverified(
            "definition-unverified",
            f"{definition.qualname} (line {definition.line}): another definition of the same "
            "name is the one the namespace binds; this one lives only where its decorator put "
            "it, which splice cannot reach without a baseline",
            qualname=definition.qualname,
            line=definition.line,
        )

    def plan_rebind(self, definition: Definition) -> None:
        """Re-run a definition (with every same-name sibling, in order: a property's
        setter must see its getter)."""
        group = self.groups[definition.qualname]
        if definition.qualname in self.plan.rebound:
            return
        for member in group if len(group) > 1 and not definition.in_block else [definition]:
            self.plan_run(member, "rebound")
        self.plan.rebound[:] = dict.fromkeys(self.plan.rebound)
        self.whole.add(definition.qualname)

    def owners_of(
        self,
        definition: Definition,
        functions: list[FunctionType],
        module_code: CodeIndex,
        path: list[str],
    ) -> dict[int, Definition]:
        """Which of several same-named definitions each live function came from.

        Live line numbers may be stale, so identical code decides first, then
        the nearest line (a property's getter and setter, an if/else pair).
        """
        owners = self.owners.setdefault(definition.qualname, {})
        group = self.groups[definition.qualname]
        # An overload stub is never what the name binds (typing.overload returns a dummy).
        evaluate = self.evaluator(self.module, definition.line)
        real = [d for d in group if not is_overload(list(d.node.decorator_list), evaluate)]
        group = real or group
        codes = [module_code.find(path, candidate.line) for candidate in group]
        for function in functions:
            if id(function) in owners:
                continue
            same = [
                candidate
                for candidate, code in zip(group, codes, strict=True)
                if code is not None and same_code(function.__code__, code)
            ]
            line = function.__code__.co_firstlineno
            owners[id(function)] = min(
                same or group, key=lambda candidate: abs(candidate.line - line)
            )
        return owners

    def plan_function(
        self, definition: Definition, functions: list[FunctionType], code: CodeType, namespace: Any
    ) -> None:
        live_class = namespace if isinstance(namespace, type) else None
        changed = [f for f in functions if not same_code(f.__code__, code)]
        if not changed:
            verdict = self.same_signature(definition, functions, live_class)
            if verdict is None:
                self.unverified(
                    "signature-unverified",
                    f"{definition.qualname}: splice cannot tell whether its defaults or "
                    "annotations changed (they are not plain values or names), so it kept them",
                    qualname=definition.qualname,
                    line=definition.line,
                )
            elif not verdict:
                changed = list(functions)
        moved = [
            f
            for f in functions
            if f not in changed
            and (
                f.__code__.co_firstlineno != code.co_firstlineno
                or f.__code__.co_linetable != code.co_linetable
            )
        ]
        fitted = []
        for function in changed + moved:
            new_code = self.fit_closure(function, code, definition, live_class)
            if new_code is None:
                return
            fitted.append((function, new_code))
        if not fitted:
            return
        # Without a diff, a changed function may have changed in any part.
        self.plan_swap(
            definition, namespace, fitted, changed, signature=bool(changed), docstring=bool(changed)
        )

    def same_signature(
        self, definition: Definition, functions: list[FunctionType], live_class: type | None
    ) -> bool | None:
        """Whether the live functions have the new defaults, annotations and docstring;
        None when some of them cannot be evaluated without running code."""
        node = definition.node
        assert not isinstance(node, ast.ClassDef)
        docstring = ast.get_docstring(node, clean=_CLEAN_DOCSTRINGS)
        if any(function.__doc__ != docstring for function in functions):
            return False
        arguments = node.args
        expressions = [*arguments.defaults, *arguments.kw_defaults]
        annotations = [a.annotation for a in arguments.args if a.annotation]
        if arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or arguments.kwarg:
            every = [
                *arguments.posonlyargs,
                *arguments.kwonlyargs,
                arguments.vararg,
                arguments.kwarg,
            ]
            annotations += [a.annotation for a in every if a is not None and a.annotation]
        if node.returns:
            annotations.append(node.returns)
        if not expressions and not annotations:
            return all(
                f.__defaults__ is None and not f.__kwdefaults__ and not f.__annotations__
                for f in functions
            )
        # Under ``from __future__ import annotations`` they stay text: nothing to evaluate.
        stringified = bool(self.flags & future_annotations_flag())
        if not all(pure(e) for e in expressions) or not (
            stringified or all(pure(a) for a in annotations if a)
        ):
            return None
        values = None
        if not any(annotations):
            values = self.simple_defaults(definition, live_class)
        try:
            if values is None:
                values = evaluate_signature(
                    definition,
                    self.module,
                    live_class,
                    self.plan.filename,
                    self.flags,
                    self.overlay_at(definition.line),
                )
        except Exception:
            return False  # evaluating them now fails: planning the swap will say why
        defaults, keyword_defaults, new_annotations = values
        return all(
            same_values(function.__defaults__, defaults)
            and same_values(function.__kwdefaults__, keyword_defaults)
            and same_values(function.__annotations__, new_annotations)
            for function in functions
        )

    def simple_defaults(
        self, definition: Definition, live_class: type | None
    ) -> tuple[tuple[Any, ...] | None, dict[str, Any] | None, dict[str, Any]] | None:
        """The defaults when each is a constant or a name (most are), looked up as
        the ``def`` would; None when another kind needs ``evaluate_signature``."""
        node = definition.node
        assert not isinstance(node, ast.ClassDef)
        scopes: list[Any] = [vars(live_class)] if live_class is not None else []
        scopes += [self.overlay_at(definition.line), vars(self.module), builtins.__dict__]

        def value(expression: ast.expr) -> Any:
            if isinstance(expression, ast.Constant):
                return expression.value
            if isinstance(expression, ast.Name):
                for scope in scopes:
                    if expression.id in scope:
                        return scope[expression.id]
            raise LookupError(expression)

        arguments = node.args
        try:
            defaults = tuple(value(expression) for expression in arguments.defaults) or None
            keywords = {
                argument.arg: value(default)
                for argument, default in zip(
                    arguments.kwonlyargs, arguments.kw_defaults, strict=True
                )
                if default is not None
            } or None
        except LookupError:
            return None
        return defaults, keywords, {}

    # -- module-level statements ---------------------------------------------
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

    def literal_stale(
        self, namespace: Any, name: str, value: Any, statement: Statement, scope: str | None
    ) -> bool:
        """Whether a literal's name must be assigned its new value.

        A value that differs may have been changed by the program since the
        import (a list it appends to, a counter a function declares ``global``):
        splice resets neither, and says it could not tell.
        """
        current = vars(namespace).get(name, _MISSING)
        if current is _MISSING or type(current) is not type(value):
            return True
        if same_value(current, value):
            return False
        if scope is None and self.used_after(name, statement.line):
            return False  # a later statement (itself reported) explains the difference
        dunder = name.startswith("__") and name.endswith("__")  # __all__: declared, not state
        if (isinstance(value, (list, dict, set)) and not dunder) or name in self.runtime_names():
            where = f"{scope}.{name}" if scope else name
            self.unverified(
                "statement-unverified",
                f"line {statement.line}: {where} differs from the text's literal, but the "
                "program may have changed it since it was imported (a mutable value, or a "
                "global a function assigns), so it was kept; run the line explicitly to reset it",
                qualname=scope,
                line=statement.line,
            )
            return False
        return True

    def used_after(self, name: str, line: int) -> bool:
        """Whether a module-level statement below ``line`` reads ``name`` (``events.append``)."""
        return any(
            isinstance(node, ast.Name) and node.id == name
            for statement in self.new.statements
            if statement.line > line and not literal_targets(statement.node)
            for node in ast.walk(statement.node)
        )

    def runtime_names(self) -> set[str]:
        """Names a function of the new text declares ``global`` (it may rebind them)."""
        if self._runtime_names is None:
            self._runtime_names = {
                name
                for node in ast.walk(self.new.tree)
                if isinstance(node, ast.Global)
                for name in node.names
            }
        return self._runtime_names

    def statement_unverified(self, statement: Statement, scope: str | None) -> None:
        node = statement.node
        if isinstance(node, ast.Pass) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            return  # does nothing, whatever it was before
        place = f"in class {scope}" if scope else "top-level"
        self.unverified(
            "statement-unverified",
            f"line {statement.line}: splice cannot tell whether this {place} statement "
            "changed since the module was imported, and it never re-runs such code behind "
            "your back; run it explicitly if it changed",
            qualname=scope,
            line=statement.line,
            column=statement.column + 1,
            end_line=statement.end_line,
        )

    def plan_import(self, statement: Statement) -> None:
        """Run an import whose names the module lacks or binds to other objects."""
        node = statement.node
        assert isinstance(node, (ast.Import, ast.ImportFrom))
        code = compile_to_run(node, [], self.plan.filename, self.flags)
        if import_current(node, self.module):
            return
        self.add_import(statement, code)

    def members(self) -> dict[str | None, list[str]]:
        """Each scope's definitions in the new text, by the key they bind."""
        if self._members is None:
            self._members = {}
            for definition in self.new.ordered:
                self._members.setdefault(definition.parent, []).append(definition.member)
        return self._members
