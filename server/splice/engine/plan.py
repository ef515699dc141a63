"""Planning a patch: every decision, no mutation.

``build_plan`` turns a module and its new source into a ``Plan``: a list of
steps to run in source order (each records how to undo itself), the names to
report, and the findings. When any finding is an error the plan has no steps
worth running: the patch is refused as a whole.
"""

from __future__ import annotations

import ast
import gc
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType, FunctionType, ModuleType
from typing import Any

from splice.engine.baseline import baseline_outline
from splice.engine.classes import (
    DataclassRegeneration,
    dataclass_options,
    enum_member_names,
    field_statements,
    fields_changed,
    header_mismatch,
    is_dataclass_type,
    is_enum,
    own_field_names,
)
from splice.engine.codeobjects import code_kind, find_code, pair_nested, same_code, shift_lines
from splice.engine.definitions import Definition, Outline, Statement, outline_tree
from splice.engine.diff import DefinitionChange, diff_definitions
from splice.engine.pieces import (
    bind_class_placeholder,
    compile_definition,
    run_definition,
    with_class_cell_added,
    with_explicit_super,
)
from splice.engine.result import Finding, PatchResult
from splice.engine.statements import is_import, literal_targets, literal_value
from splice.engine.targets import binding, caches_of, is_missing, live_functions, namespace_of

Undo = list[Callable[[], None]]
_MISSING = object()


@dataclass
class Step:
    """One mutation of live state, run during commit."""

    line: int
    label: str
    action: Callable[[Undo], None]


@dataclass
class Plan:
    module: ModuleType
    filename: str
    source: str
    outline: Outline | None = None
    steps: list[Step] = field(default_factory=list)
    caches: list[Any] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rebound: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    statements_applied: list[int] = field(default_factory=list)

    def result(self, started: float, dry_run: bool = False) -> PatchResult:
        # A refused patch applied nothing, so it reports nothing as patched
        # (a dry run still says what it would have done).
        done = dry_run or not self.errors
        return PatchResult(
            ok=not self.errors,
            module=self.module.__name__,
            file=self.filename,
            changed=tuple(self.changed) if done else (),
            added=tuple(self.added) if done else (),
            deleted=tuple(self.deleted) if done else (),
            rebound=tuple(self.rebound) if done else (),
            moved=tuple(self.moved) if done else (),
            skipped=tuple(self.skipped),
            errors=tuple(self.errors),
            duration_ms=(time.perf_counter() - started) * 1000,
            dry_run=dry_run,
            statements_applied=tuple(self.statements_applied) if not self.errors else (),
        )

    def failed(self, started: float, step: Step, error: BaseException) -> PatchResult:
        finding = Finding(
            "apply-failed",
            f"{step.label} raised {type(error).__name__}: {error}; "
            "everything this patch had done was undone",
            qualname=None,
            line=step.line,
        )
        self.errors.append(finding)
        return PatchResult(
            ok=False,
            module=self.module.__name__,
            file=self.filename,
            errors=tuple(self.errors),
            skipped=tuple(self.skipped),
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def add_step(self, line: int, label: str, action: Callable[[Undo], None]) -> None:
        self.steps.append(Step(line, label, action))


def code_filename(module: ModuleType) -> str:
    """The file name the module's code objects carry (tracebacks, linecache)."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if isinstance(origin, str) and origin.endswith(".py"):
        return origin
    return str(module.__file__)


def build_plan(
    module: ModuleType,
    new_source: str,
    only: Sequence[str] | None,
    *,
    delete_removed: bool = True,
) -> Plan:
    filename = code_filename(module)
    plan = Plan(module, filename, new_source)
    new = _parse(plan, new_source)
    if new is None:
        return plan
    old = baseline_outline(module.__name__, filename)
    if old is None:
        plan.outline = new
        _UntrustedPlanner(plan, new, only).run()
    else:
        if only:
            spliced = _splice_selected(plan, old, new, only)
            if spliced is None:
                return plan
            new = _parse(plan, spliced)
            if new is None:
                return plan
            plan.source = spliced
            delete_removed = False
        plan.outline = new
        _Planner(plan, old, new, delete_removed).run()
    plan.steps.sort(key=lambda step: step.line)
    return plan


def _parse(plan: Plan, source: str) -> Outline | None:
    # A syntax tree has no reference cycles, yet building one triggers many
    # collections whose cost grows with the process's heap: pause them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = ast.parse(source, plan.filename)
    except SyntaxError as error:
        plan.errors.append(
            Finding(
                "syntax-error",
                f"invalid syntax: {error.msg}; nothing was changed",
                line=error.lineno,
                column=error.offset,
                end_line=getattr(error, "end_lineno", None),
            )
        )
        return None
    except ValueError as error:  # null bytes
        plan.errors.append(Finding("syntax-error", f"invalid source: {error}"))
        return None
    finally:
        if collecting:
            gc.enable()
    return outline_tree(source, tree)


def _splice_selected(plan: Plan, old: Outline, new: Outline, only: Sequence[str]) -> str | None:
    """The baseline with only the selected definitions taken from the new text.

    Patching that text (rather than the new text with a filter) keeps the
    baseline true: afterwards it is exactly what the module runs.
    """
    selected = [name for name in dict.fromkeys(only)]
    new_definitions, old_definitions = new.definitions, old.definitions
    lines = old.source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    new_lines = new.source.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []
    for qualname in selected:
        if any(qualname.startswith(other + ".") for other in selected):
            continue  # comes with its class
        target = new_definitions.get(qualname)
        if target is None:
            plan.errors.append(
                Finding(
                    "unknown-definition",
                    f"{qualname}: no such definition in the new source; nothing was changed",
                    qualname=qualname,
                )
            )
            continue
        text = new_lines[target.line - 1 : target.end_line]
        if text and not text[-1].endswith("\n"):
            text[-1] += "\n"
        previous = old_definitions.get(qualname)
        if previous is not None:
            edits.append((previous.line - 1, previous.end_line, text))
            continue
        if target.parent is None:
            edits.append((len(lines), len(lines), ["\n", *text]))
            continue
        parent = old_definitions.get(target.parent)
        if parent is None:
            plan.errors.append(
                Finding(
                    "unknown-definition",
                    f"{qualname}: its class {target.parent} is not in the running code; "
                    f"reload {target.parent} instead",
                    qualname=qualname,
                    line=target.line,
                )
            )
            continue
        edits.append((parent.end_line, parent.end_line, text))
    if plan.errors:
        return None
    for start, end, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[start:end] = text
    return "".join(lines)


class _Planner:
    """Plans a patch from a trusted baseline: diff, then one step per change."""

    def __init__(self, plan: Plan, old: Outline, new: Outline, delete_removed: bool) -> None:
        self.plan = plan
        self.module = plan.module
        self.old, self.new = old, new
        self.delete_removed = delete_removed
        self.flags = new.future_flags
        self.new_classes = {d.qualname: d for d in new.ordered if d.kind == "class"}
        self.old_classes = {d.qualname: d for d in old.ordered if d.kind == "class"}
        self.old_definitions = old.definitions
        self.new_definitions = new.definitions
        self.new_counts = Counter(definition.qualname for definition in new.ordered)
        #: Classes handled as a whole (rebound, refused, not live): skip members.
        self.whole: set[str] = set()
        #: Dataclasses regenerated: their field statements are handled.
        self.regenerated: set[str] = set()

    # -- driving ---------------------------------------------------------
    def run(self) -> None:
        diff = diff_definitions(self.old, self.new)
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
        for statement in diff.statements:
            self.plan_statement(statement)

    def inside_whole(self, qualname: str) -> bool:
        parent = qualname
        while parent:
            if parent in self.whole:
                return True
            parent = parent.rpartition(".")[0]
        return False

    def enclosing(
        self, definition: Definition, outline: Outline | None = None
    ) -> list[ast.ClassDef]:
        classes = self.new_classes if outline is None else self.old_classes
        chain = []
        parent = definition.parent
        while parent:
            node = classes[parent].node
            assert isinstance(node, ast.ClassDef)
            chain.insert(0, node)
            parent = classes[parent].parent
        return chain

    def live_classes(self, definition: Definition) -> list[type] | None:
        chain: list[type] = []
        parent = definition.parent
        scopes = []
        while parent:
            scopes.insert(0, parent)
            parent = parent.rpartition(".")[0] or None
        for scope in scopes:
            live = namespace_of(self.module, scope)
            if not isinstance(live, type):
                return None
            chain.append(live)
        return chain

    def error(
        self, code: str, message: str, definition: Definition | None = None, **where: Any
    ) -> None:
        if definition is not None:
            where.setdefault("qualname", definition.qualname)
            where.setdefault("line", definition.line)
            where.setdefault("column", definition.column + 1)
            where.setdefault("end_line", definition.end_line)
        self.plan.errors.append(Finding(code, message, **where))

    def skip(self, code: str, message: str, severity: str = "warning", **where: Any) -> None:
        self.plan.skipped.append(Finding(code, message, severity=severity, **where))  # type: ignore[arg-type]

    # -- classes ---------------------------------------------------------
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

    def refuse_header(self, new: Definition, part: str) -> None:
        what = "bases" if part == "bases" else "metaclass or class keywords"
        self.whole.add(new.qualname)
        self.error(
            "class-bases-changed" if part == "bases" else "class-keywords-changed",
            f"{new.qualname}: cannot patch in place: its {what} changed, and a live class "
            "cannot change them; its existing instances keep the old ones. Restart the "
            "program (or re-create the class and its instances) to apply this edit",
            new,
        )

    def plan_class_body(self, old: Definition, new: Definition, live: type) -> None:
        if is_enum(live):
            old_members = [s.text for s in old.statements if not s.is_docstring]
            new_members = [s.text for s in new.statements if not s.is_docstring]
            if old_members != new_members:
                self.refuse_enum(new)
            return
        if is_dataclass_type(live) and fields_changed(old, new):
            self.plan_dataclass(new, live)

    def refuse_enum(self, new: Definition) -> None:
        self.whole.add(new.qualname)
        self.error(
            "enum-members-changed",
            f"{new.qualname}: cannot patch in place: the members of an enum are fixed "
            "when it is created, and existing members are compared by identity. "
            "Restart the program to apply this edit",
            new,
        )

    def plan_dataclass(self, new: Definition, live: type) -> None:
        try:
            options = dataclass_options(new)
        except ValueError as error:
            self.error("dataclass-options", f"{new.qualname}: cannot regenerate: {error}", new)
            return
        if options is None:
            return
        if options.get("slots"):
            self.error(
                "dataclass-slots",
                f"{new.qualname}: cannot change the fields of a dataclass with slots=True in "
                "place: its slots are fixed when the class is created. Restart the program",
                new,
            )
            return
        future_annotations = bool(self.flags & _future_annotations_flag())
        namespace = dict(vars(live))

        def evaluate(expression: ast.expr) -> Any:
            return _evaluate(expression, self.module, namespace, self.plan.filename)

        def annotation(expression: ast.expr) -> Any:
            if future_annotations:
                return ast.unparse(expression)
            return evaluate(expression)

        try:
            regeneration = DataclassRegeneration(
                live, new, options, evaluate, annotation, self.plan.filename
            )
        except Exception as error:
            self.error(
                "dataclass-field-failed",
                f"{new.qualname}: a field's annotation or default raised "
                f"{type(error).__name__}: {error}; nothing was changed",
                new,
            )
            return
        self.regenerated.add(new.qualname)
        self.plan.changed.append(new.qualname)
        self.plan.add_step(new.line, f"regenerating dataclass {new.qualname}", regeneration.commit)

    # -- functions -------------------------------------------------------
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
        signature: tuple[Any, Any, Any] | None = None
        if "signature" in change.parts:
            try:
                signature = _evaluate_signature(
                    new, self.module, live_class, self.plan.filename, self.flags
                )
            except Exception as error:
                self.error(
                    "signature-failed",
                    f"{new.qualname}: evaluating its defaults or annotations raised "
                    f"{type(error).__name__}: {error}; nothing was changed",
                    new,
                )
                return
        closures = self.plan_closures(new, fitted)
        self.plan.changed.append(new.qualname)
        self.plan.caches.extend(caches_of(bound))
        docstring = ast.get_docstring(new.node, clean=sys.version_info >= (3, 13))

        def swap(undo: Undo) -> None:
            for function, new_code in fitted:
                _replace_code(function, new_code, undo)
                if signature is not None:
                    _set_attribute(function, "__defaults__", signature[0], undo)
                    _set_attribute(function, "__kwdefaults__", signature[1], undo)
                    _set_attribute(function, "__annotations__", signature[2], undo)
                if "docstring" in change.parts:
                    _set_attribute(function, "__doc__", docstring, undo)
            if closures:
                _update_closures(closures, undo)

        self.plan.add_step(new.line, f"patching {new.qualname}", swap)

    def fit_closure(
        self,
        function: FunctionType,
        code: CodeType,
        definition: Definition,
        live_class: type | None,
    ) -> CodeType | None:
        """``code`` made to fit ``function``'s closure, or None (and an error)."""
        old_free, new_free = function.__code__.co_freevars, code.co_freevars
        if old_free == new_free:
            return code
        node = definition.node
        assert not isinstance(node, ast.ClassDef)
        enclosing = self.enclosing(definition)
        candidate: CodeType | None = None
        if live_class is not None and not old_free and new_free == ("__class__",):
            rewritten = with_explicit_super(node)
            if rewritten is not None:
                compiled = compile_definition(rewritten, enclosing, self.plan.filename, self.flags)  # type: ignore[arg-type]
                candidate = compiled and bind_class_placeholder(compiled, live_class)
        elif live_class is not None and old_free == ("__class__",) and not new_free:
            candidate = compile_definition(
                with_class_cell_added(node), enclosing, self.plan.filename, self.flags
            )
        if candidate is not None and candidate.co_freevars == old_free:
            return candidate
        self.error(
            "closure-freevars-changed",
            f"{definition.qualname}: cannot patch in place: the free variables it reads from "
            f"an enclosing scope changed ({_names(old_free)} → {_names(new_free)}), so its "
            "existing closure cannot run the new code. Re-create it (re-run its factory) or restart",
            definition,
        )
        return None

    def plan_closures(
        self, definition: Definition, fitted: list[tuple[FunctionType, CodeType]]
    ) -> dict[CodeType, CodeType]:
        """Inner functions whose existing closures can run their new code."""
        updates: dict[CodeType, CodeType] = {}
        for function, new_code in fitted:
            for old_inner, new_inner in pair_nested(function.__code__, new_code):
                if same_code(old_inner, new_inner):
                    continue
                if old_inner.co_freevars == new_inner.co_freevars:
                    updates[old_inner] = new_inner
                    continue
                self.skip(
                    "closure-freevars-changed",
                    f"{definition.qualname}.<locals>.{new_inner.co_name}: closures made before "
                    "this patch keep their old code, because the free variables they read "
                    f"changed ({_names(old_inner.co_freevars)} → {_names(new_inner.co_freevars)}); "
                    "closures made from now on run the new code. Re-run the factory to refresh them",
                    qualname=definition.qualname,
                    line=new_inner.co_firstlineno,
                )
        return updates

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
        self.plan.moved.append(new.qualname)

        def move(undo: Undo) -> None:
            for function, code in codes:
                _replace_code(function, code, undo)

        self.plan.add_step(new.line, f"moving {new.qualname}", move)

    # -- adding, rebinding, deleting ---------------------------------------
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
        self.plan_run(definition, "added")

    def plan_run(self, definition: Definition, report: str) -> None:
        namespace = namespace_of(self.module, definition.parent)
        live_classes = self.live_classes(definition)
        if namespace is None or live_classes is None:
            if definition.parent and self.inside_whole(definition.parent):
                return
            self.error(
                "class-not-found",
                f"{definition.qualname}: cannot add it: its class {definition.parent} is not "
                "a live class of the module",
                definition,
            )
            return
        getattr(self.plan, report).append(definition.qualname)
        enclosing = self.enclosing(definition)
        module, filename, flags = self.module, self.plan.filename, self.flags

        def run(undo: Undo) -> None:
            bindings = run_definition(
                definition.node, enclosing, live_classes, module, filename, flags
            )
            _bind(namespace, definition.member, bindings[definition.member], undo)

        verb = "defining" if report == "added" else "re-creating"
        self.plan.add_step(definition.line, f"{verb} {definition.qualname}", run)

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
        where = {"qualname": definition.qualname}
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
            _unbind(namespace, definition.member, undo)

        self.plan.add_step(definition.line, f"deleting {definition.qualname}", delete)

    # -- statements --------------------------------------------------------
    def plan_statement(self, statement: Statement) -> None:
        scope = statement.scope
        if scope is not None and (self.inside_whole(scope) or scope not in self.old_classes):
            return
        node = statement.node
        where = {
            "line": statement.line,
            "column": statement.column + 1,
            "end_line": statement.end_line,
        }
        namespace = namespace_of(self.module, scope)
        if namespace is None:
            return
        if scope in self.regenerated and isinstance(node, ast.AnnAssign):
            return
        names = literal_targets(node)
        if "__slots__" in (names or []) or _assigns(node, "__slots__"):
            self.error(
                "slots-changed",
                f"{scope}: cannot patch in place: __slots__ changed, and a live class's slots "
                "are fixed when it is created. Restart the program",
                qualname=scope,
                **where,
            )
            return
        if statement.is_docstring:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            value = node.value.value
            self.plan.add_step(
                statement.line, "setting the docstring", _binder(namespace, {"__doc__": value})
            )
            self.plan.statements_applied.append(statement.line)
            return
        if names is not None:
            assert isinstance(node, (ast.Assign, ast.AnnAssign))
            try:
                value = literal_value(node, self.plan.filename)
            except Exception as error:
                self.error("statement-failed", f"line {statement.line}: {error}", **where)
                return
            label = f"assigning {', '.join(names)}"
            self.plan.add_step(
                statement.line, label, _binder(namespace, dict.fromkeys(names, value))
            )
            self.plan.statements_applied.append(statement.line)
            return
        if scope is None and is_import(node):
            module, filename, flags = self.module, self.plan.filename, self.flags

            def run_import(undo: Undo) -> None:
                bindings = run_definition(node, [], [], module, filename, flags)
                for name, value in bindings.items():
                    _bind(module, name, value, undo)

            self.plan.add_step(statement.line, f"line {statement.line} (import)", run_import)
            self.plan.statements_applied.append(statement.line)
            return
        place = f"in class {scope}" if scope else "top-level"
        self.skip(
            "statement-not-run",
            f"line {statement.line}: this {place} statement changed but was not run (splice "
            "never re-runs top-level code behind your back); run it explicitly if you need it",
            qualname=scope,
            **where,
        )


class _UntrustedPlanner:
    """Plans a patch for a module with no baseline, by asking the live objects.

    The module was imported before splice was watching, so its file may
    already hold the new text: compare the new code with the code the live
    functions run instead. Deletions cannot be told from dynamic definitions
    here, so nothing is deleted; statements other than literals are left alone.
    """

    def __init__(self, plan: Plan, new: Outline, only: Sequence[str] | None) -> None:
        self.plan = plan
        self.new = new
        self.only = list(only) if only else None
        self.helper = _Planner(plan, new, new, delete_removed=False)

    def selected(self, qualname: str) -> bool:
        return self.only is None or any(
            qualname == name or qualname.startswith(name + ".") for name in self.only
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
                            f"{name}: no such definition in the new source",
                            qualname=name,
                        )
                    )
            if plan.errors:
                return
        module_code = compile(
            self.new.tree, plan.filename, "exec", self.new.future_flags, dont_inherit=True
        )
        added_classes: set[str] = set()
        self.groups: dict[str, list[Definition]] = {}
        for definition in self.new.ordered:
            self.groups.setdefault(definition.qualname, []).append(definition)
        self.owners: dict[str, dict[int, Definition]] = {}
        for definition in self.new.ordered:
            if not self.selected(definition.qualname) or self.helper.inside_whole(
                definition.qualname
            ):
                continue
            namespace = namespace_of(module, definition.parent)
            if namespace is None:
                continue
            bound = binding(namespace, definition.member)
            if definition.kind == "class":
                if is_missing(bound) and not definition.in_block:
                    self.helper.plan_run(definition, "added")
                    self.helper.whole.add(definition.qualname)
                    added_classes.add(definition.qualname)
                elif isinstance(bound, type) and bound.__qualname__ == definition.qualname:
                    self.check_class(definition, bound)
                continue
            functions = [
                function
                for function in live_functions(bound, definition.name, None)
                if function.__code__.co_filename == plan.filename
            ]
            if not functions:
                if is_missing(bound) and not definition.in_block:
                    self.helper.plan_run(definition, "added")
                continue
            path = [*(definition.parent.split(".") if definition.parent else []), definition.name]
            code = find_code(module_code, path, definition.line)
            if code is None:
                continue
            if len(self.groups[definition.qualname]) > 1:
                owners = self.owners_of(definition, functions, module_code, path)
                functions = [f for f in functions if owners.get(id(f)) is definition]
                if not functions:
                    continue
            self.plan_function(definition, functions, code, namespace)
        if self.only is None:
            for statement in self.new.statements:
                self.plan_literal(statement)

    def check_class(self, definition: Definition, live: type) -> None:
        """Refuse what the live class shows cannot be applied; regenerate dataclasses."""
        parent = namespace_of(self.plan.module, definition.parent)
        scope = dict(vars(parent)) if isinstance(parent, type) else None

        def evaluate(expression: ast.expr) -> Any:
            return _evaluate(expression, self.plan.module, scope, self.plan.filename)

        part = header_mismatch(definition, live, evaluate)
        if part is not None:
            self.helper.refuse_header(definition, part)
        elif is_enum(live):
            if enum_member_names(definition) != list(getattr(live, "__members__", {})):
                self.helper.refuse_enum(definition)
        elif is_dataclass_type(live):
            new_fields = [node.target.id for node in field_statements(definition)]  # type: ignore[union-attr]
            if new_fields != own_field_names(live):
                self.helper.plan_dataclass(definition, live)

    def owners_of(
        self,
        definition: Definition,
        functions: list[FunctionType],
        module_code: CodeType,
        path: list[str],
    ) -> dict[int, Definition]:
        """Which of several same-named definitions each live function came from.

        Live line numbers may be stale, so identical code decides first, then
        the nearest line (a property's getter and setter, an if/else pair).
        """
        owners = self.owners.setdefault(definition.qualname, {})
        group = self.groups[definition.qualname]
        codes = [find_code(module_code, path, candidate.line) for candidate in group]
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
        if any(code_kind(function.__code__) != code_kind(code) for function in functions):
            self.helper.plan_run(definition, "rebound")
            return
        changed = [f for f in functions if not same_code(f.__code__, code)]
        moved = [
            f
            for f in functions
            if f not in changed and f.__code__.co_firstlineno != code.co_firstlineno
        ]
        fitted = []
        for function in changed + moved:
            new_code = self.helper.fit_closure(function, code, definition, live_class)
            if new_code is None:
                return
            fitted.append((function, new_code))
        if not fitted:
            return
        signature: tuple[Any, Any, Any] | None = None
        closures: dict[CodeType, CodeType] = {}
        if changed:
            try:
                signature = _evaluate_signature(
                    definition,
                    self.plan.module,
                    live_class,
                    self.plan.filename,
                    self.new.future_flags,
                )
            except Exception as error:
                self.helper.error(
                    "signature-failed",
                    f"{definition.qualname}: evaluating its defaults or annotations raised "
                    f"{type(error).__name__}: {error}; nothing was changed",
                    definition,
                )
                return
            closures = self.helper.plan_closures(
                definition, [(f, c) for f, c in fitted if f in changed]
            )
        docstring = ast.get_docstring(definition.node, clean=sys.version_info >= (3, 13))
        (self.plan.changed if changed else self.plan.moved).append(definition.qualname)
        if changed:
            self.plan.caches.extend(caches_of(binding(namespace, definition.member)))

        def swap(undo: Undo) -> None:
            for function, new_code in fitted:
                _replace_code(function, new_code, undo)
                if signature is not None and function in changed:
                    _set_attribute(function, "__defaults__", signature[0], undo)
                    _set_attribute(function, "__kwdefaults__", signature[1], undo)
                    _set_attribute(function, "__annotations__", signature[2], undo)
                    _set_attribute(function, "__doc__", docstring, undo)
            if closures:
                _update_closures(closures, undo)

        self.plan.add_step(definition.line, f"patching {definition.qualname}", swap)

    def plan_literal(self, statement: Statement) -> None:
        names = literal_targets(statement.node)
        if not names:
            return
        assert isinstance(statement.node, (ast.Assign, ast.AnnAssign))
        try:
            value = literal_value(statement.node, self.plan.filename)
        except Exception:
            return
        module = self.plan.module
        stale = {name: value for name in names if vars(module).get(name, _MISSING) != value}
        if stale:
            self.plan.add_step(
                statement.line, f"assigning {', '.join(stale)}", _binder(module, stale)
            )
            self.plan.statements_applied.append(statement.line)


# -- mutations, each recording its undo ------------------------------------
def _replace_code(function: FunctionType, code: CodeType, undo: Undo) -> None:
    previous = function.__code__
    function.__code__ = code
    undo.append(lambda: setattr(function, "__code__", previous))


def _set_attribute(obj: Any, name: str, value: Any, undo: Undo) -> None:
    previous = getattr(obj, name)
    setattr(obj, name, value)
    undo.append(lambda: setattr(obj, name, previous))


def _bind(namespace: Any, name: str, value: Any, undo: Undo) -> None:
    previous = vars(namespace).get(name, _MISSING)
    if isinstance(namespace, ModuleType):
        namespace.__dict__[name] = value
    else:
        setattr(namespace, name, value)
        set_name = getattr(type(value), "__set_name__", None)
        if set_name is not None:
            set_name(value, namespace, name)

    def restore() -> None:
        if previous is _MISSING:
            if isinstance(namespace, ModuleType):
                namespace.__dict__.pop(name, None)
            elif name in vars(namespace):
                delattr(namespace, name)
        elif isinstance(namespace, ModuleType):
            namespace.__dict__[name] = previous
        else:
            setattr(namespace, name, previous)

    undo.append(restore)


def _unbind(namespace: Any, name: str, undo: Undo) -> None:
    previous = vars(namespace)[name]
    if isinstance(namespace, ModuleType):
        del namespace.__dict__[name]
        undo.append(lambda: namespace.__dict__.__setitem__(name, previous))
    else:
        delattr(namespace, name)
        undo.append(lambda: setattr(namespace, name, previous))


def _binder(namespace: Any, values: dict[str, Any]) -> Callable[[Undo], None]:
    def bind(undo: Undo) -> None:
        for name, value in values.items():
            _bind(namespace, name, value, undo)

    return bind


def _update_closures(updates: dict[CodeType, CodeType], undo: Undo) -> None:
    """Point existing closures of changed inner functions at their new code.

    This is the one place that walks the heap, and only for edits that change
    nested code; ``gc.get_referrers`` visits every tracked object once.
    """
    for referrer in gc.get_referrers(*updates):
        if isinstance(referrer, FunctionType):
            new_code = updates.get(referrer.__code__)
            if new_code is not None:
                _replace_code(referrer, new_code, undo)


# -- evaluation helpers ----------------------------------------------------
def _evaluate(expression: ast.expr, module: ModuleType, namespace: Any, filename: str) -> Any:
    code = compile(ast.Expression(expression), filename, "eval")
    return eval(code, module.__dict__, namespace)


def _evaluate_signature(
    definition: Definition, module: ModuleType, live_class: type | None, filename: str, flags: int
) -> tuple[tuple[Any, ...] | None, dict[str, Any] | None, dict[str, Any]]:
    """The defaults, keyword defaults and annotations a fresh ``def`` would get."""
    node = definition.node
    assert not isinstance(node, ast.ClassDef)
    namespace = dict(vars(live_class)) if live_class is not None else None
    arguments = node.args

    def value(expression: ast.expr) -> Any:
        return _evaluate(expression, module, namespace, filename)

    defaults = tuple(value(expression) for expression in arguments.defaults) or None
    keyword_defaults = {
        argument.arg: value(default)
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=False)
        if default is not None
    } or None
    stringify = bool(flags & _future_annotations_flag())
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


def _future_annotations_flag() -> int:
    import __future__

    return __future__.annotations.compiler_flag


def _assigns(node: ast.stmt, name: str) -> bool:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
