"""Evaluating the expressions of a definition that a patch must evaluate."""

from __future__ import annotations
import __future__

import ast
import builtins
from collections import ChainMap
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from splice.engine.outline.definitions import Definition


# -- evaluation helpers ----------------------------------------------------
def evaluate_expression(
    expression: ast.expr, module: ModuleType, namespace: Any, filename: str
) -> Any:
    code = compile(ast.Expression(expression), filename, "eval")
    return eval(code, module.__dict__, namespace)


def evaluate_signature(
    definition: Definition,
    module: ModuleType,
    live_class: type | None,
    filename: str,
    flags: int,
    overlay: Mapping[str, Any] | None = None,
) -> tuple[tuple[Any, ...] | None, dict[str, Any] | None, dict[str, Any]]:
    """The defaults, keyword defaults and annotations a fresh ``def`` would get.

    ``overlay`` holds the module's names as the new text has bound them by the
    definition's line (literal assignments above it that the patch applies),
    so the values are those of source order, not of the module before the patch.
    """
    node = definition.node
    assert not isinstance(node, ast.ClassDef)
    namespace: Any = dict(vars(live_class)) if live_class is not None else None
    if overlay:
        namespace = ChainMap(namespace or {}, dict(overlay))
    arguments = node.args

    def value(expression: ast.expr) -> Any:
        # Most defaults are constants or names: no need to compile them.
        if isinstance(expression, ast.Constant):
            return expression.value
        if isinstance(expression, ast.Name):
            for scope in (namespace or {}, module.__dict__, builtins.__dict__):
                if expression.id in scope:
                    return scope[expression.id]
        return evaluate_expression(expression, module, namespace, filename)

    defaults = tuple(value(expression) for expression in arguments.defaults) or None
    keyword_defaults = {
        argument.arg: value(default)
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=False)
        if default is not None
    } or None
    stringify = bool(flags & future_annotations_flag())
    annotations: dict[str, Any] = {}
    every = [*arguments.posonlyargs, *arguments.args]
    if arguments.vararg:
        every.append(arguments.vararg)
    every.extend(arguments.kwonlyargs)
    if arguments.kwarg:
        every.append(arguments.kwarg)
    pairs = [(argument.arg, argument.annotation) for argument in every]
    pairs.append(("return", node.returns))
    for name, expression in pairs:
        if expression is None:
            continue
        if stringify:
            annotations[name] = ast.unparse(expression)
            continue
        try:
            annotations[name] = value(expression)
        except NameError:  # a forward reference: keep its text, as typing would
            annotations[name] = ast.unparse(expression)
    return defaults, keyword_defaults, annotations


def future_annotations_flag() -> int:
    return _FUTURE_ANNOTATIONS


_FUTURE_ANNOTATIONS: int = __future__.annotations.compiler_flag
