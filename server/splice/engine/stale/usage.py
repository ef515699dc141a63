"""What a piece of code reads and what it calls, from its syntax tree (or, failing that, its code).

The difference matters: ``Thread(target=worker)`` or ``view_func=index``
only hold a function, which a patch changes in place (the holder runs the
new code), while ``create_app()`` ran it, and what it made stays as the old
code made it. Reading a name copies its value, so a name a patch rebinds
counts either way.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from types import CodeType


@dataclass(frozen=True)
class Usage:
    """The names (and attribute names) some code reads, and those it calls; ``names``
    are the plain names it loads (the others are attributes)."""

    reads: frozenset[str]
    calls: frozenset[str]
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.reads)


EMPTY = Usage(frozenset(), frozenset())

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: The attribute of a syntax tree node that caches its usage.
CACHED_USAGE = _NOW = "_splice_usage"
_BODY = "_splice_body"


def statement_usage(node: ast.AST) -> Usage:
    """What running ``node`` does now: not the bodies of the functions or lambdas it
    defines (they run when called), but their decorators and defaults. Cached on the node."""
    cached: Usage | None = getattr(node, _NOW, None)
    if cached is None:
        cached = header_usage(node) if isinstance(node, _DEFINITIONS) else _intern(_walk([node]))
        setattr(node, _NOW, cached)
    return cached


def header_usage(node: ast.AST) -> Usage:
    """What a definition's header runs when the definition runs: decorators (called
    with the new object), defaults, bases and keywords."""
    cached: Usage | None = getattr(node, _NOW, None)
    if cached is not None:
        return cached
    decorators: list[ast.expr] = list(getattr(node, "decorator_list", ()))
    parts: list[ast.AST] = list(decorators)
    if isinstance(node, ast.ClassDef):
        parts += node.bases
        parts += node.keywords
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts += node.args.defaults
        parts += [default for default in node.args.kw_defaults if default is not None]
    if not parts:
        usage = EMPTY
    elif all(type(part) in _PLAIN for part in parts):
        # The usual header, ``def f(x, factor=RATE)`` or ``@cache``: no walk needed.
        names = frozenset(part.id for part in parts if type(part) is ast.Name)
        calls = frozenset(part.id for part in decorators if type(part) is ast.Name)
        usage = _intern(Usage(names, calls, names))
    else:
        usage = _intern(_walk(parts, extra_calls=filter(None, map(_callee, decorators))))
    setattr(node, _NOW, usage)
    return usage


_PLAIN = (ast.Name, ast.Constant)
_interned: dict[Usage, Usage] = {EMPTY: EMPTY}


def _intern(usage: Usage) -> Usage:
    """One object per distinct usage: callers memoise answers by identity."""
    found = _interned.setdefault(usage, usage)
    if len(_interned) > 50_000:  # a bound, not a cache policy: usages are small and few
        _interned.clear()
        _interned[EMPTY] = EMPTY
        return _interned.setdefault(usage, usage)
    return found


def body_usage(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Usage:
    """What a function's body does when it is called (its inner functions' headers, not their bodies)."""
    cached: Usage | None = getattr(node, _BODY, None)
    if cached is None:
        cached = _walk(node.body)
        setattr(node, _BODY, cached)
    return cached


_CODES: weakref.WeakKeyDictionary[CodeType, Usage] = weakref.WeakKeyDictionary()


def code_usage(code: CodeType) -> Usage:
    """A function's usage from its code object when its text is not at hand: every
    global or attribute name it (or code nested in it) mentions, read and called."""
    cached = _CODES.get(code)
    if cached is not None:
        return cached
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(constant for constant in current.co_consts if isinstance(constant, CodeType))
    usage = Usage(frozenset(names), frozenset(names), frozenset(names))
    _CODES[code] = usage
    return usage


def remember_code_usage(code: CodeType, usage: Usage) -> None:
    """Keep ``usage`` (from the text that compiled ``code``) for as long as ``code`` lives."""
    _CODES[code] = usage


def known_code_usage(code: CodeType) -> Usage | None:
    return _CODES.get(code)


def _walk(roots: Iterable[ast.AST], extra_calls: Iterable[str] = ()) -> Usage:
    reads: set[str] = set()
    names: set[str] = set()
    calls: set[str] = set(extra_calls)
    stack: list[ast.AST] = list(roots)
    while stack:
        current = stack.pop()
        if isinstance(current, _DEFINITIONS):
            header = header_usage(current)
            reads |= header.reads
            calls |= header.calls
            names |= header.names
            continue
        if isinstance(current, ast.Lambda):
            stack.extend(current.args.defaults)
            stack.extend(default for default in current.args.kw_defaults if default)
            continue
        if isinstance(current, ast.Call):
            callee = _callee(current.func)
            if callee is not None:
                calls.add(callee)
        elif isinstance(current, ast.Name):
            if isinstance(current.ctx, ast.Load):
                reads.add(current.id)
                names.add(current.id)
        elif isinstance(current, ast.Attribute):
            reads.add(current.attr)
        push_children(stack, current)
    return Usage(frozenset(reads), frozenset(calls), frozenset(names))


def push_children(stack: list[ast.AST], node: ast.AST) -> None:
    """``stack.extend(ast.iter_child_nodes(node))`` without its two generators: modules
    are summarised, and a patch's new code walked, by the loops that call this."""
    for field in node._fields:
        child = getattr(node, field, None)
        if type(child) is list:
            stack.extend(item for item in child if isinstance(item, ast.AST))
        elif isinstance(child, ast.AST):
            stack.append(child)


def _callee(expression: ast.expr) -> str | None:
    """The name a call calls: ``f`` of ``f(...)``, ``g`` of ``a.b.g(...)``."""
    if isinstance(expression, ast.Name):
        return expression.id
    if isinstance(expression, ast.Attribute):
        return expression.attr
    return None
