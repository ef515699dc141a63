"""What a patch changes, and whether some code reaches it (reads it, or calls into it).

A ``ChangeSet`` is planned before the commit: the live functions whose code
or binding changes, the classes rebuilt, and the module-level names rebound
(``RATE = 4``, a re-created definition, an import run again). ``Reach`` then
answers, for a piece of code (its names, resolved in its module), whether
running it again would read one of them or call code that does: the
functions it calls are followed through their code's names, classes through
the methods that run when they are called, modules through the attributes
the code names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import CodeType, FunctionType, ModuleType
from typing import Any

from splice.engine.objects.pieces import compile_definition
from splice.engine.objects.targets import binding, is_missing, live_functions, namespace_of
from splice.engine.outline.statements import bound_names
from splice.engine.plan.steps import Plan
from splice.engine.stale.modules import summary_of, user_modules
from splice.engine.stale.units import choose_body, outline_bodies
from splice.engine.stale.usage import (
    Usage,
    code_usage,
    known_code_usage,
    remember_code_usage,
)

#: The methods that run when a class is called (to make an instance).
_CONSTRUCTION = ("__init__", "__new__", "__post_init__")
#: How far calls are followed from the code being checked.
_MAX_DEPTH = 12
_MISSING = object()


@dataclass
class ChangeSet:
    """What one patch of ``module`` changes, as the rest of the program can reach it."""

    module: ModuleType
    #: id -> qualname of each live function whose code the patch replaces, or
    #: whose name it rebinds (the old object: whoever holds it runs old code).
    functions: dict[int, str] = field(default_factory=dict)
    #: id -> qualname of each class rebuilt in place (a dataclass's fields).
    classes: dict[int, str] = field(default_factory=dict)
    #: Module-level names of ``module`` rebound or deleted, with the line that binds them now.
    names: dict[str, int | None] = field(default_factory=dict)
    #: (id of a module's globals, name) of every name rebound -> the name in
    #: ``module`` it stands for (copies in importers join later).
    keys: dict[tuple[int, str], str] = field(default_factory=dict)
    #: The names the patch deletes (no copy of them is rebound).
    deleted: set[str] = field(default_factory=set)
    #: The old objects the rebound names held: what copies of them are.
    previous: dict[str, Any] = field(default_factory=dict)
    #: id -> function whose code the patch replaces in place (not re-created).
    swapped: dict[int, FunctionType] = field(default_factory=dict)
    #: id -> qualname of each object a re-created or deleted definition leaves
    #: behind: whatever holds it (not only what called it) holds old code.
    replaced: dict[int, str] = field(default_factory=dict)
    #: (qualname, live function) of every function whose code the patch
    #: replaces or leaves behind: frames running them keep running old code.
    targets: list[tuple[str, FunctionType]] = field(default_factory=list)
    plan: Plan | None = None
    _outer: dict[int, bool] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.functions or self.classes or self.names)

    def reached(self, key: int) -> str | None:
        """The qualname of the change object ``key`` stands for, if code calling it runs changed code.

        A function whose own code is the same and only its inner functions
        changed is not such a change: closures it made are updated in place.
        """
        name = self.functions.get(key) or self.classes.get(key)
        if name is None or key not in self.swapped:
            return name
        outer = self._outer.get(key)
        if outer is None:
            outer = self._outer[key] = _outer_code_changed(self, self.swapped[key], name)
        return name if outer else None

    def add_swapped(self, qualname: str, function: FunctionType) -> None:
        """A function whose code the patch replaces in place."""
        self.functions[id(function)] = qualname
        self.swapped[id(function)] = function
        self.targets.append((qualname, function))

    def add_name(self, name: str, line: int | None) -> None:
        self.names[name] = line
        self.keys[(id(self.module.__dict__), name)] = name
        value = self.module.__dict__.get(name, _MISSING)
        if value is not _MISSING:
            self.previous[name] = value


def planned_changes(plan: Plan) -> ChangeSet:
    """The change set of a plan, before its commit (the live objects are still the old ones)."""
    module = plan.module
    changes = ChangeSet(module, plan=plan)
    for qualname in plan.changed:
        value = _live(module, qualname)
        if issubclass(type(value), type):
            changes.classes[id(value)] = qualname
        elif value is not None:
            for function in _functions(value, qualname):
                changes.add_swapped(qualname, function)
    lines: dict[str, int] | None = None
    for qualname in (*plan.rebound, *plan.deleted):
        value = _live(module, qualname)
        if value is not None:
            changes.functions[id(value)] = qualname
            changes.replaced[id(value)] = qualname
            if not issubclass(type(value), type):
                changes.targets.extend((qualname, f) for f in _functions(value, qualname))
        if "." not in qualname:
            if lines is None:
                lines = _lines(plan)
            changes.add_name(qualname, lines.get(qualname))
    changes.deleted.update(qualname for qualname in plan.deleted if "." not in qualname)
    for name in changes.deleted:
        if changes.names.get(name) is None:
            changes.names[name] = _old_line(plan, name, changes.previous.get(name))
    if plan.statements_applied and plan.outline is not None:
        applied = set(plan.statements_applied)
        for statement in plan.outline.statements:
            if statement.line in applied and not statement.is_docstring:
                for name in bound_names(statement.node):
                    changes.add_name(name, statement.line)
    return changes


def _old_line(plan: Plan, name: str, value: Any) -> int | None:
    """Where a deleted definition stood: the edit that removed it is about there."""
    if plan.diff is not None:
        for change in plan.diff.changes:
            if change.kind == "deleted" and change.old is not None and change.old.qualname == name:
                return change.old.line
    code = getattr(value, "__code__", None) if type(value) is FunctionType else None
    return code.co_firstlineno if isinstance(code, CodeType) else None


def _functions(value: Any, qualname: str) -> list[FunctionType]:
    if type(value) is FunctionType and not value.__closure__ and not value.__dict__:
        return [value]  # the common case: no wrapper to look behind
    return live_functions(value, qualname.rpartition(".")[2], None)


def _lines(plan: Plan) -> dict[str, int]:
    outline = plan.outline
    return {d.qualname: d.line for d in outline.ordered} if outline is not None else {}


def _live(module: ModuleType, qualname: str) -> Any:
    scope, _, name = qualname.rpartition(".")
    namespace = namespace_of(module, scope or None)
    if namespace is None:
        return None
    value = binding(namespace, name)
    return None if is_missing(value) else value


class Reach:
    """Whether code reaches a change; memoised for one patch."""

    def __init__(self, changes: ChangeSet) -> None:
        self.changes = changes
        self._by_globals: dict[int, ModuleType] | None = None
        self._memo: dict[int, tuple[str, ...] | None] = {}
        self._units: dict[tuple[int, int], tuple[str, ...] | None] = {}
        self._own_bodies: dict[str, tuple[tuple[int, Usage], ...]] | None = None

    @property
    def by_globals(self) -> dict[int, ModuleType]:
        """id of a user module's globals -> the module (code elsewhere is a library's)."""
        if self._by_globals is None:
            self._by_globals = {id(vars(module)): module for module in user_modules()}
            self._by_globals[id(vars(self.changes.module))] = self.changes.module
        return self._by_globals

    def reaches(self, usage: Usage, namespace: dict[str, Any]) -> tuple[str, ...] | None:
        """``names`` for top-level code, memoised: units of one module share usages."""
        key = (id(usage), id(namespace))
        if key not in self._units:
            self._units[key] = self.names(usage, namespace)
        return self._units[key]

    def names(
        self, usage: Usage, namespace: dict[str, Any], depth: int = 0
    ) -> tuple[str, ...] | None:
        """The path to a change from code with ``usage`` in ``namespace`` (``("create_app",
        "configure")``), or None. Reading a name reaches a rebound value; calling reaches code."""
        changes = self.changes
        keys = changes.keys
        where = id(namespace)
        for name in usage.reads:
            root = keys.get((where, name))
            if root is not None:
                return (root,)
            value = namespace.get(name, _MISSING)
            if value is _MISSING:
                continue
            copied = changes.replaced.get(id(value))
            if copied is not None:
                return (copied,)
            kind = type(value)
            if issubclass(kind, ModuleType):
                found = self._module_attributes(vars(value), usage, depth)
            elif issubclass(kind, type):
                found = self._called(vars(value), usage.calls, depth)
            else:
                continue
            if found is not None:
                return found
        return self._called(namespace, usage.calls, depth)

    def _module_attributes(
        self, namespace: dict[str, Any], usage: Usage, depth: int
    ) -> tuple[str, ...] | None:
        if id(namespace) not in self.by_globals:
            return None
        where = id(namespace)
        for attribute in usage.reads:
            root = self.changes.keys.get((where, attribute))
            if root is not None:
                return (root,)
            copied = self.changes.replaced.get(id(namespace.get(attribute)))
            if copied is not None:
                return (copied,)
        return self._called(namespace, usage.calls, depth)

    def _called(self, namespace: Any, calls: frozenset[str], depth: int) -> tuple[str, ...] | None:
        for name in calls:
            value = namespace.get(name, _MISSING)
            if value is _MISSING or issubclass(type(value), ModuleType):
                continue
            path = self.value(value, depth)
            if path is not None:
                return path
        return None

    def value(self, value: Any, depth: int = 0) -> tuple[str, ...] | None:
        """The path to a change from calling ``value``, or None."""
        key = id(value)
        memo = self._memo
        if key in memo:
            return memo[key]
        changes = self.changes
        name = changes.reached(key)
        if name is not None:
            memo[key] = (name,)
            return memo[key]
        if depth > _MAX_DEPTH:
            return None
        memo[key] = None  # a cycle reaches nothing new
        found: tuple[str, ...] | None = None
        kind = type(value)
        if kind is FunctionType:
            module = self.by_globals.get(id(value.__globals__))
            if module is not None:
                inner = self.names(self.body(module, value), value.__globals__, depth + 1)
                if inner is not None:
                    found = (value.__qualname__, *inner)
        elif issubclass(kind, type):
            found = self._construction(value, depth)
        else:
            wrapped = _unwrap(value)
            if wrapped is not None:
                found = self.value(wrapped, depth + 1)
        memo[key] = found
        return found

    def body(self, module: ModuleType, function: FunctionType) -> Usage:
        """What ``function``'s body does, from the text of its module (else from its code)."""
        code = function.__code__
        known = known_code_usage(code)
        if known is not None:
            return known
        qualname = function.__qualname__
        usage: Usage | None = None
        if "<locals>" not in qualname:
            if module is self.changes.module:
                usage = choose_body(self.own_bodies().get(qualname, ()), code.co_firstlineno)
            else:
                summary = summary_of(module)
                usage = summary.body(qualname, code.co_firstlineno) if summary else None
        if usage is None:
            return code_usage(code)
        remember_code_usage(code, usage)
        return usage

    def own_bodies(self) -> dict[str, tuple[tuple[int, Usage], ...]]:
        """The patched module's function bodies, from its new text (unchanged ones are what runs)."""
        if self._own_bodies is None:
            plan = self.changes.plan
            outline = plan.outline if plan is not None else None
            self._own_bodies = outline_bodies(outline) if outline is not None else {}
        return self._own_bodies

    def _construction(self, cls: type, depth: int) -> tuple[str, ...] | None:
        for klass in cls.__mro__[:-1]:
            namespace = vars(klass)
            for method in _CONSTRUCTION:
                function = namespace.get(method)
                if type(function) is staticmethod:
                    function = function.__func__
                if type(function) is FunctionType:
                    path = self.value(function, depth + 1)
                    if path is not None:
                        return (cls.__qualname__, *path)
        return None


def _outer_code_changed(changes: ChangeSet, function: FunctionType, qualname: str) -> bool:
    """Whether ``function``'s own code (not that of the functions inside it) changes."""
    plan = changes.plan
    outline = plan.outline if plan is not None else None
    definition = outline.definitions.get(qualname) if outline is not None else None
    if plan is None or outline is None or definition is None or definition.kind != "function":
        return True
    node = definition.node
    assert not isinstance(node, ast.ClassDef)
    if node.args.defaults or node.args.kw_defaults:
        return True  # they may have changed: not told apart here
    enclosing: list[ast.ClassDef] = []
    parent = definition.parent
    classes = {d.qualname: d.node for d in outline.ordered if d.kind == "class"}
    while parent:
        owner = classes.get(parent)
        if not isinstance(owner, ast.ClassDef):
            return True
        enclosing.insert(0, owner)
        parent = parent.rpartition(".")[0]
    try:
        new = compile_definition(node, enclosing, plan.filename, outline.future_flags)
    except SyntaxError:
        return True
    return new is None or not _same_outer_code(function.__code__, new)


def _same_outer_code(first: CodeType, second: CodeType) -> bool:
    """Whether two code objects are the same but for the code nested in them."""
    for name in ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_flags"):
        if getattr(first, name) != getattr(second, name):
            return False

    def constants(code: CodeType) -> list[Any]:
        return [
            ("code", constant.co_name)
            if isinstance(constant, CodeType)
            else (type(constant), constant)
            for constant in code.co_consts
        ]

    return constants(first) == constants(second)


def _unwrap(value: Any) -> Any:
    """The function behind a wrapper (``staticmethod``, ``functools.wraps``, a cache), or None."""
    if type(value) in (staticmethod, classmethod):
        return value.__func__
    try:
        inner = object.__getattribute__(value, "__dict__").get("__wrapped__")
    except (AttributeError, TypeError):
        return None
    return inner


def describe_path(path: tuple[str, ...]) -> str:
    """``create_app``, or ``create_app, which reaches configure``."""
    return ", which reaches ".join(dict.fromkeys(path))
