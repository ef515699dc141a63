"""The live planner's functions: code, line table, signature and wrappers against the live objects."""

from __future__ import annotations

import ast
import builtins
import sys
from types import CodeType, FunctionType
from typing import Any

from splice.engine.objects.chains import chains_agree, expected_chain, live_chain
from splice.engine.objects.codeobjects import CodeIndex, code_kind, same_code
from splice.engine.objects.evaluation import evaluate_signature, future_annotations_flag
from splice.engine.objects.targets import (
    annotations_of,
    binding,
    is_missing,
    live_functions,
    namespace_of,
    wraps_nothing,
)
from splice.engine.objects.verification import (
    is_overload,
    property_accessors,
    pure,
    same_values,
)
from splice.engine.outline.definitions import Definition
from splice.engine.plan.live.base import LiveBase

#: Python 3.13 cleans docstrings (as inspect.cleandoc) when compiling.
_CLEAN_DOCSTRINGS = sys.version_info >= (3, 13)


class LiveFunctions(LiveBase):
    """Functions and methods compared with what their names bind."""

    def plan_definition(
        self, definition: Definition, namespace: Any, module_code: CodeIndex
    ) -> None:
        plan = self.plan
        bound = binding(namespace, definition.member)
        if type(bound) is FunctionType and wraps_nothing(bound):
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
        last = group[-1]
        if len(functions) == 1 and not last.node.decorator_list:
            bound = binding(namespace_of(self.module, definition.parent), definition.member)
            if bound is functions[0] and not any(d.in_block for d in group):
                # A plain function bound to the name: as in a fresh import, the last
                # definition binds it, whatever an earlier identical one says. (A
                # decorated one may be held elsewhere too, a registry: its code decides.)
                owners.setdefault(id(functions[0]), last)
                return owners
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
                f.__defaults__ is None and not f.__kwdefaults__ and not annotations_of(f)
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
            and same_values(annotations_of(function), new_annotations)
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
