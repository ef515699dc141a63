"""Compiling and running one definition of a module, in its real context.

A method is compiled inside stand-ins for its enclosing classes, so that
name mangling, ``super()`` and qualnames come out exactly as in the module.
When a definition must be *run* (added, or its decorators changed), each
stand-in class borrows a copy of the live class's namespace, so decorators
such as ``@x.setter`` see what they would see in the real class body, and
creates no class: the live class gets the new member afterwards.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

from splice.engine.commit.transaction import pending_bindings
from splice.engine.objects.codeobjects import find_code, replace_constant
from splice.engine.objects.targets import namespace_of
from splice.engine.outline.definitions import DefinitionNode
from splice.engine.outline.statements import bound_names

_CAPTURE_PREFIX = "__splice_capture_"
_ABSENT = object()
_CLASS_PLACEHOLDER = "__splice_live_class__"
_SUPER_PLACEHOLDER = "__splice_super__"


class _CaptureNamespace:
    """Stands in for a metaclass: runs a class body, returns its namespace."""

    def __init__(self, live_class: type, extra: dict[str, Any]) -> None:
        self.live_class = live_class
        self.extra = extra

    def __prepare__(self, name: str, bases: tuple[type, ...], **keywords: Any) -> dict[str, Any]:
        namespace = dict(vars(self.live_class))
        namespace.update(pending_bindings(self.live_class))
        namespace.update(self.extra)
        return namespace

    def __call__(
        self, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **keywords: Any
    ) -> dict[str, Any]:
        cell = namespace.get("__classcell__")
        if cell is not None:
            cell.cell_contents = self.live_class
        return namespace


def _capture_name(depth: int) -> str:
    # The trailing underscores keep the name from being mangled inside a class.
    return f"{_CAPTURE_PREFIX}{depth}__"


def wrap_in_classes(
    node: ast.stmt, enclosing: Sequence[ast.ClassDef], capture: bool = False
) -> ast.Module:
    """A module holding ``node`` inside stand-ins for its enclosing classes."""
    wrapped = node
    for depth in range(len(enclosing) - 1, -1, -1):
        original = enclosing[depth]
        keywords = []
        if capture:
            name = ast.copy_location(ast.Name(_capture_name(depth), ast.Load()), original)
            keywords.append(ast.copy_location(ast.keyword(arg="metaclass", value=name), original))
        stand_in = ast.ClassDef(
            name=original.name, bases=[], keywords=keywords, body=[wrapped], decorator_list=[]
        )
        if "type_params" in ast.ClassDef._fields:
            stand_in.type_params = []  # type: ignore[attr-defined,unused-ignore]
        wrapped = ast.copy_location(stand_in, original)
    # Every node has a location already: fix_missing_locations would walk the
    # whole definition for nothing.
    return ast.Module(body=[wrapped], type_ignores=[])


def compile_definition(
    node: DefinitionNode,
    enclosing: Sequence[ast.ClassDef],
    filename: str,
    flags: int,
) -> CodeType | None:
    """The code object the compiler makes for a definition, without running anything."""
    module_code = compile(
        wrap_in_classes(node, enclosing), filename, "exec", flags, dont_inherit=True
    )
    path = [cls.name for cls in enclosing] + [node.name]
    line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    return find_code(module_code, path, line)


def compile_to_run(
    node: ast.stmt, enclosing: Sequence[ast.ClassDef], filename: str, flags: int
) -> CodeType:
    """The code ``run_definition`` runs for a statement; raises ``SyntaxError`` as
    the compiler would for the module (``break`` outside a loop, ...)."""
    code: CodeType = compile(
        wrap_in_classes(node, enclosing, capture=True), filename, "exec", flags, dont_inherit=True
    )
    return code


def run_definition(
    code: CodeType,
    enclosing: Sequence[ast.ClassDef],
    live_classes: Sequence[type],
    module: ModuleType,
    above: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a definition (or import) compiled by ``compile_to_run``; return what it binds.

    Nothing of the module or its classes is modified: module-level statements
    bind into a fresh locals dict, class members into copied namespaces.
    ``above``: values the new text has given names above the definition (its
    literals), which its decorators and defaults read as a fresh import would.
    """
    captures: list[_CaptureNamespace] = []
    for depth in range(len(live_classes) - 1, -1, -1):
        extra = {_capture_name(depth + 1): captures[0]} if captures else {}
        captures.insert(0, _CaptureNamespace(live_classes[depth], extra))
    # What this patch binds above the definition is not live before the swap:
    # the definition's decorators, defaults and bases still see it.
    pending = {**(above or {}), **pending_bindings(module)}
    bindings: dict[str, Any] = dict(pending)
    if captures:
        bindings[_capture_name(0)] = captures[0]
    exec(code, module.__dict__, bindings)
    if not enclosing:
        return {
            name: value
            for name, value in bindings.items()
            if pending.get(name, _ABSENT) is not value
        }
    for cls in enclosing:
        bindings = bindings[cls.name]
    return bindings


def class_statement_at(node: ast.stmt, line: int) -> tuple[list[ast.ClassDef], ast.stmt]:
    """The classes around the class-level statement (not a definition) at ``line`` of
    the top-level ``node``, outermost first, and that statement; or ``([], node)``."""
    enclosing: list[ast.ClassDef] = []
    current = node
    while isinstance(current, ast.ClassDef):
        inner = next(
            (
                child
                for child in current.body
                if child.lineno <= line <= (child.end_lineno or child.lineno)
                and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            ),
            None,
        )
        if inner is None or (isinstance(inner, ast.ClassDef) and line < inner.body[0].lineno):
            break  # the header, a method, or a decorator: the whole statement runs
        enclosing.append(current)
        current = inner
    return (enclosing, current) if enclosing else ([], node)


def run_in_class(
    code: CodeType, enclosing: Sequence[ast.ClassDef], statement: ast.stmt, module: ModuleType
) -> None:
    """Run a class-level statement compiled by ``compile_to_run`` in its live class."""
    live_classes = []
    scope = ""
    for node in enclosing:
        scope = f"{scope}.{node.name}" if scope else node.name
        live = namespace_of(module, scope)
        if not isinstance(live, type):
            raise LookupError(f"{scope} is not a live class of the module")
        live_classes.append(live)
    namespace = run_definition(code, enclosing, live_classes, module)
    for name in bound_names(statement):
        if name in namespace:
            setattr(live_classes[-1], name, namespace[name])


def with_class_cell_added(node: DefinitionNode) -> DefinitionNode:
    """A method that references ``__class__`` without running it.

    Its code then has the ``__class__`` free variable that the live function's
    closure has, which ``__code__`` assignment requires.
    """
    changed = copy.copy(node)
    guard = ast.If(
        test=ast.Constant(False),
        body=[ast.Expr(ast.Name("__class__", ast.Load()))],
        orelse=[],
    )
    changed.body = [*node.body, ast.copy_location(guard, node.body[-1])]
    ast.fix_missing_locations(changed)
    return changed


def with_explicit_super(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST | None:
    """A method whose zero-argument ``super()`` names its class and instance.

    The class is a placeholder constant, replaced by the live class after
    compiling (see ``bind_class_placeholder``), so the code needs no
    ``__class__`` cell, which a function made without one cannot gain.
    """
    arguments = node.args.posonlyargs + node.args.args
    if not arguments:
        return None
    first = arguments[0].arg
    changed = copy.deepcopy(node)
    for call in ast.walk(changed):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "super"
            and not call.args
            and not call.keywords
        ):
            call.args = [
                ast.copy_location(ast.Constant(_CLASS_PLACEHOLDER), call),
                ast.copy_location(ast.Name(first, ast.Load()), call),
            ]
    # Any use of the name ``super`` makes the compiler add a ``__class__``
    # cell; a stand-in name, renamed back after compiling, avoids it.
    for name in ast.walk(changed):
        if isinstance(name, ast.Name) and name.id == "super":
            name.id = _SUPER_PLACEHOLDER
    return changed


def bind_class_placeholder(code: CodeType, live_class: type) -> CodeType:
    return rename_global(
        replace_constant(code, _CLASS_PLACEHOLDER, live_class), _SUPER_PLACEHOLDER, "super"
    )


def rename_global(code: CodeType, old: str, new: str) -> CodeType:
    """``code`` reading global ``new`` wherever it read ``old``, recursively."""
    constants = tuple(
        rename_global(constant, old, new) if isinstance(constant, CodeType) else constant
        for constant in code.co_consts
    )
    names = tuple(new if name == old else name for name in code.co_names)
    return code.replace(co_consts=constants, co_names=names)
