"""Text a fresh start could not run: module-level names that nothing defines any more.

A half-finished rename (``Depends(get_settings)`` after ``get_settings``
became ``load_settings``) patches fine: the running program still holds the
old object, or the changed code is not called yet. A fresh start of the new
text would fail with ``NameError``. Each such name is named
(``name-undefined``), on the line that reads it, once per patch:

- a global name read by code the patch changed or added that neither the
  new text, the builtins nor the running module binds;
- a name the new text no longer binds (a definition deleted, an import or
  assignment removed) that code of the new text still reads.

A star import, or a module ``__getattr__``, can bind any name: nothing is
said then. Only the edited code and the names the edit removed are looked
at, so an ordinary patch costs a walk of the definitions it changed.
"""

from __future__ import annotations

import ast
import builtins
import opcode
import sys
from collections.abc import Iterable, Iterator
from types import CodeType
from typing import Any

from splice.engine.outline.definitions import Definition, Outline, Statement
from splice.engine.outline.statements import bound_names, star_import_modules
from splice.engine.plan.steps import Plan
from splice.engine.result import Finding
from splice.engine.stale.usage import body_usage, push_children, statement_usage

_BUILTINS = frozenset(vars(builtins))
_EXTENDED_ARG = opcode.EXTENDED_ARG
_LOAD_GLOBAL = opcode.opmap["LOAD_GLOBAL"]
#: Class bodies (and module code) load through these: locals first, then globals.
_LOAD_NAMES = frozenset(
    opcode.opmap[name]
    for name in ("LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS")
    if name in opcode.opmap
)
_STORE_NAMES = frozenset(opcode.opmap[name] for name in ("STORE_NAME", "DELETE_NAME"))
#: From 3.11, LOAD_GLOBAL's argument also says whether to push a NULL.
_GLOBAL_SHIFT = 1 if sys.version_info >= (3, 11) else 0
#: Names every module has (and ``__builtins__``, which some code reads).
_MODULE_NAMES = frozenset(
    {
        "__name__",
        "__file__",
        "__doc__",
        "__spec__",
        "__loader__",
        "__package__",
        "__path__",
        "__cached__",
        "__builtins__",
        "__annotations__",
        "__dict__",
    }
)


def plan_undefined(plan: Plan) -> None:
    """Warn about every module-level name the new text reads that nothing would define."""
    outline = plan.outline
    if outline is None or any(_star_import(statement) for statement in outline.statements):
        return
    namespace = vars(plan.module)
    if "__getattr__" in namespace or any(d.name == "__getattr__" for d in _top(outline, plan)):
        return
    checker = _Checker(plan, outline, namespace)
    for definition, statement in _edited(plan, outline):
        if not checker.gone and _all_known(plan, namespace, definition, statement):
            continue
        checker.check(definition, statement)
    for name in checker.gone:
        checker.check_readers(name)
    plan.skipped.extend(checker.findings)


class _Checker:
    def __init__(self, plan: Plan, outline: Outline, namespace: dict[str, Any]) -> None:
        self.plan = plan
        self.outline = outline
        self.namespace = namespace
        self.deleted = {q for q in plan.deleted if "." not in q}
        self.gone = _gone(plan, outline)
        self._text_names: set[str] | None = None
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, int]] = set()
        self._classes: dict[str, set[str]] = {}

    def text_names(self) -> set[str]:
        """The module-level names the new text binds (built only when needed)."""
        if self._text_names is None:
            self._text_names = {d.name for d in self.outline.ordered if d.parent is None}
            for statement in self.outline.statements:
                self._text_names |= bound_names(statement.node)
            for definition in self.outline.ordered:
                if definition.parent is None and not isinstance(definition.node, ast.ClassDef):
                    self._text_names |= _declared_global(definition.node)
        return self._text_names

    def defined(self, name: str) -> bool:
        if name in self.gone:
            return False
        if name in _BUILTINS or name in _MODULE_NAMES:
            return True
        if name in self.gone:
            return False
        if name in self.namespace and name not in self.deleted:
            return True  # bound by the text, or by the program (never by a text it dropped)
        return name in self.text_names()

    def check(
        self, definition: Definition | None, statement: Statement | None, edited: bool = True
    ) -> None:
        """Report what it reads that nothing defines. An unchanged definition's syntax
        tree may carry old positions (incremental outlines reuse it): its own line then."""
        if definition is not None:
            class_names = self._class_names(definition.parent)
            code = self.plan.compiled.get(definition.qualname) if edited else None
            for name, line, at_import in _definition_loads(definition, code):
                if at_import and name in class_names:
                    continue
                if not self.defined(name):
                    self._report(name, line if edited else definition.line, definition, at_import)
        elif statement is not None:
            class_names = self._class_names(statement.scope)
            for name, line in _loads(statement.node, statement.line):
                if name not in class_names and not self.defined(name):
                    self._report(name, line if edited else statement.line, None, True)

    def check_readers(self, name: str) -> None:
        """Unchanged code that reads a name the new text no longer binds."""
        for statement in self.outline.statements:
            if name in statement_usage(statement.node).reads:
                self.check(None, statement, edited=False)
        for definition in self.outline.ordered:
            node = definition.node
            reads = statement_usage(node).reads
            if not isinstance(node, ast.ClassDef):
                reads = reads | body_usage(node).reads
            for statement in definition.statements:
                if name in statement_usage(statement.node).reads:
                    self.check(None, statement, edited=False)
            if name in reads:
                self.check(definition, None, edited=False)

    def _class_names(self, scope: str | None) -> set[str]:
        """What a class body binds: names its statements read come from there first."""
        if scope is None:
            return set()
        names = self._classes.get(scope)
        if names is None:
            names = {d.member for d in self.outline.ordered if d.parent == scope}
            for definition in self.outline.ordered:
                if definition.qualname == scope:
                    for statement in definition.statements:
                        names |= bound_names(statement.node)
            self._classes[scope] = names
        return names

    def _report(self, name: str, line: int, definition: Definition | None, at_import: bool) -> None:
        qualname = definition.qualname if definition is not None else None
        if (name, line) in self.seen:
            return
        self.seen.add((name, line))
        why = (
            "the new text no longer binds it (its definition, import or assignment was removed); "
            "the running program keeps the old binding"
            if name in self.gone
            else "nothing defines it: not the new text, not the builtins, not the running module"
        )
        when = "at import" if at_import else f"when {qualname} runs"
        self.findings.append(
            Finding(
                "name-undefined",
                f"{name}: {why}. A fresh start would fail with NameError {when}; "
                "define it (or fix the name)",
                qualname=qualname,
                line=line,
                severity="warning",
            )
        )


def _all_known(
    plan: Plan,
    namespace: dict[str, Any],
    definition: Definition | None,
    statement: Statement | None,
) -> bool:
    """Whether every name the edited code mentions is bound now or a builtin: most
    edits, told by set operations alone (attribute names count, so this may say no)."""
    if definition is None:
        assert statement is not None
        names: frozenset[str] | set[str] = statement_usage(statement.node).names
    else:
        code = plan.compiled.get(definition.qualname)
        if code is None:
            return False
        names = set(code.co_names) | statement_usage(definition.node).names
    return not (names - namespace.keys() - _BUILTINS)


def _edited(plan: Plan, outline: Outline) -> Iterator[tuple[Definition | None, Statement | None]]:
    """The definitions and statements the new text changed or added."""
    diff = plan.diff
    if diff is not None:
        for change in diff.changes:
            if change.new is not None and change.kind in ("changed", "added"):
                yield change.new, None
        for statement in diff.statements:
            yield None, statement
        return
    wanted = {*plan.changed, *plan.added, *plan.rebound}
    if wanted:
        for definition in outline.ordered:
            if definition.qualname in wanted:
                yield definition, None
    unverified = {f.line for f in plan.skipped if f.code == "statement-unverified"}
    for statement in outline.statements:
        if statement.line in unverified:
            yield None, statement


def _gone(plan: Plan, outline: Outline) -> set[str]:
    """Module-level names the old text bound and the new one does not."""
    gone = {q for q in plan.deleted if "." not in q}
    diff = plan.diff
    if diff is None:
        return gone
    for change in diff.changes:
        if change.kind == "deleted" and change.old is not None and change.old.parent is None:
            gone.add(change.old.name)
    for statement in diff.removed:
        if statement.scope is None:
            gone |= bound_names(statement.node)
    if gone:
        still = {d.name for d in outline.ordered if d.parent is None and d.name in gone}
        for statement in outline.statements:
            still |= bound_names(statement.node) & gone
        gone -= still
    return gone


def _star_import(statement: Statement) -> bool:
    return "*" in statement.text and bool(star_import_modules(statement.node))


def _top(outline: Outline, plan: Plan) -> Iterable[Definition]:
    # Only the definitions the patch touches may add a module ``__getattr__``.
    if plan.diff is None:
        return (d for d in outline.ordered if d.parent is None)
    return (
        change.new
        for change in plan.diff.changes
        if change.new is not None and change.new.parent is None
    )


def _definition_loads(
    definition: Definition, code: CodeType | None = None
) -> Iterator[tuple[str, int, bool]]:
    """(name, line, read at import?) of each global name a definition reads; its
    body's from ``code`` (the new code of a changed function) when given."""
    node = definition.node
    header: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        header += [*node.bases, *node.keywords]
    else:
        header += [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    for part in header:
        for name, line in _loads(part, definition.line):
            yield name, line, True
    if isinstance(node, ast.ClassDef):
        return  # its statements and methods are units of their own
    if code is not None:
        for name, line in code_globals(code):
            yield name, line, False
        return
    for name, line in _loads(node, definition.line, body_only=True):
        yield name, line, False


def code_globals(code: CodeType) -> Iterator[tuple[str, int]]:
    """(name, line) of each global name ``code`` (or code nested in it) loads, read from
    its bytecode: cheaper than walking a syntax tree, and exactly what runs."""
    stack = [code]
    while stack:
        current = stack.pop()
        names = current.co_names
        raw = current.co_code
        loads: list[tuple[int, str]] = []
        stored: set[str] = set()
        extended = 0
        for offset in range(0, len(raw), 2):
            operation, argument = raw[offset], raw[offset + 1] | extended
            if operation == _EXTENDED_ARG:
                extended = argument << 8
                continue
            extended = 0
            if operation == _LOAD_GLOBAL:
                loads.append((offset, names[argument >> _GLOBAL_SHIFT]))
            elif operation in _LOAD_NAMES:
                loads.append((offset, names[argument]))
            elif operation in _STORE_NAMES:
                stored.add(names[argument])
        for offset, name in loads:
            if name not in stored:
                yield name, _line_at(current, offset)
        stack.extend(constant for constant in current.co_consts if isinstance(constant, CodeType))


def _line_at(code: CodeType, offset: int) -> int:
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return line
    return code.co_firstlineno


def _loads(node: ast.AST, line: int, body_only: bool = False) -> Iterator[tuple[str, int]]:
    """Names ``node`` reads that nothing inside it binds (anything bound anywhere in it,
    parameters included, counts as bound: this never reports a local)."""
    roots: list[ast.AST] = list(node.body) if body_only else [node]  # type: ignore[attr-defined]
    local: set[str] = set()
    loads: list[ast.Name] = []
    declared: set[str] = set()
    if body_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        local |= {argument.arg for argument in _arguments(node.args)}
    stack = list(roots)
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            (loads if isinstance(current.ctx, ast.Load) else []).append(current)
            if not isinstance(current.ctx, ast.Load):
                local.add(current.id)
        elif isinstance(current, (ast.Global, ast.Nonlocal)):
            declared.update(current.names)
        elif isinstance(current, (ast.Import, ast.ImportFrom)):
            local |= {(a.asname or a.name).partition(".")[0] for a in current.names}
        elif isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            local.add(current.name)
        elif isinstance(current, ast.Lambda):
            local |= {argument.arg for argument in _arguments(current.args)}
        elif isinstance(current, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and current.name:
            local.add(current.name)
        elif isinstance(current, ast.MatchMapping) and current.rest:
            local.add(current.rest)
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local |= {argument.arg for argument in _arguments(current.args)}
        push_children(stack, current)
    local -= declared
    for name in loads:
        if name.id not in local:
            yield name.id, getattr(name, "lineno", line)


def _arguments(arguments: ast.arguments) -> list[ast.arg]:
    found = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    found += [argument for argument in (arguments.vararg, arguments.kwarg) if argument]
    return found


def _declared_global(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function declares ``global`` and assigns: calling it binds them."""
    declared = {n for child in ast.walk(node) if isinstance(child, ast.Global) for n in child.names}
    if not declared:
        return set()
    stored = {
        child.id
        for child in ast.walk(node)
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load)
    }
    return declared & stored
