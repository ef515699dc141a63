"""Extension points: who is told about a patch, and who may shape it.

Three kinds of participants, all optional, none imported by the engine:

- **Update hooks** run after a patch is committed and are told what changed
  (``Change``: module, qualname, kind): a module-level
  ``__splice_update__(changes)`` in the patched module, callbacks registered
  with ``splice.on_update(callback)``, and adapters' ``on_update``. A hook
  that raises is reported as an ``update-hook-failed`` warning; the patch
  stays applied (it is committed and consistent; the hook only failed to
  refresh something of its own).
- **Adapters** (``Adapter``) for frameworks, found in the ``splice.hooks``
  entry-point group and in ``BUNDLED``, each loaded only once its framework's
  module is imported in the process. At plan time an adapter may claim a
  changed class (``plan_class``: a pydantic model is rebuilt, not patched
  member by member) and may add steps to run first and last in the commit or
  refuse the patch (``plan_patch``). Its steps record their undo like the
  engine's own, so an adapter that cannot apply refuses while planning and
  nothing is ever half applied.
- Built in: at commit time, a warning for each changed, re-created or
  deleted function running on a thread's stack (it runs its old code until
  it returns), and,
  when a refused edit holds the rest of a save back, one ``held-back``
  finding per definition that was not applied because of it.
"""

from __future__ import annotations

import ast
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType, FrameType, FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, Literal

from splice.engine.commit.transaction import Unstaged
from splice.engine.objects.targets import binding, is_missing, live_functions, namespace_of
from splice.engine.outline.definitions import source_lines
from splice.engine.plan.steps import Plan, Step, Undo
from splice.engine.result import Finding, PatchResult, Severity

if TYPE_CHECKING:
    from splice.engine.outline.definitions import Definition
    from splice.engine.plan.planner import Planner

logger = logging.getLogger(__name__)

ChangeKind = Literal["changed", "added", "deleted", "rebound"]

#: The entry-point group where libraries register adapters: the entry's name
#: is the module that must be imported, its value an ``Adapter`` (or a class).
ENTRY_POINT_GROUP = "splice.hooks"

#: Adapters shipped with splice, by the module they need: loaded by name, so
#: neither the engine nor importing splice imports them (or their framework).
BUNDLED = {
    "pydantic": "splice.adapters.pydantic:adapter",
    "fastapi": "splice.adapters.fastapi:adapter",
    "flask": "splice.adapters.flask:adapter",
    "attr": "splice.adapters.attrs:adapter",
    "functools": "splice.adapters.dispatch:adapter",
    "django": "splice.adapters.django:adapter",
}


@dataclass(frozen=True)
class Change:
    """One definition a committed patch changed, as update hooks are told it."""

    module: str
    qualname: str
    kind: ChangeKind


UpdateCallback = Callable[[tuple[Change, ...]], Any]

_callbacks: list[UpdateCallback] = []
_callbacks_lock = threading.Lock()


def on_update(callback: UpdateCallback) -> UpdateCallback:
    """Call ``callback(changes)`` after every committed patch; usable as a decorator.

    ``changes`` is a tuple of ``Change`` (module, qualname, kind), never empty.
    It runs on the thread that applied the patch, while no other patch can
    start; an exception it raises is reported as an ``update-hook-failed``
    warning on the patch and does not undo it.
    """
    if not callable(callback):
        raise TypeError(f"on_update needs a callable, not {type(callback).__name__}")
    with _callbacks_lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
    return callback


def remove_update_callback(callback: UpdateCallback) -> None:
    """Stop calling ``callback`` (registered with ``on_update``); unknown ones are ignored."""
    with _callbacks_lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


class Adapter:
    """What a framework adapter may do; every method is optional.

    ``framework`` is the top-level module that must already be imported for
    the adapter to be consulted (splice never imports a framework itself).
    """

    framework = ""

    def plan_class(self, claim: ClassClaim) -> bool:
        """Claim a live class whose body changed: plan its steps (or refuse); True if claimed."""
        return False

    def plan_patch(self, patch: PatchPlan) -> None:
        """Look at the whole planned patch: add first/last steps, warnings, or refuse."""

    def on_update(self, changes: tuple[Change, ...]) -> None:
        """After a committed patch, like ``splice.on_update`` callbacks."""


class ClassClaim:
    """A live class whose definition changed, offered to adapters while planning."""

    def __init__(
        self, planner: Planner, new: Definition, live: type, old: Definition | None
    ) -> None:
        self.planner = planner
        self.plan = planner.plan
        self.module = planner.module
        self.new = new
        self.live = live
        #: The baseline's definition; None when the module has no baseline.
        self.old = old
        #: Set by ``build`` when the class could only be built with this save's new imports.
        self.provisional = False

    @property
    def qualname(self) -> str:
        return self.new.qualname

    def only_bodies_changed(self) -> bool:
        """With a baseline: only method bodies changed (no statement, decorator or member).

        Then nothing a class decorator or metaclass made from the class body
        can differ, and the class need not be built again to know it.
        """
        if self.old is None:
            return False
        return _class_shape(self.old) == _class_shape(self.new)

    def build(self) -> Any:
        """The new class, made by running its statement apart from the live module.

        The module and the live class are left untouched; decorators and the
        metaclass run, as they would in a fresh import. When the class needs a
        name that an import of the same save brings (not run before the
        commit), it is built in a copy of the module's namespace where the new
        imports ran, and ``provisional`` is True: build it again in the commit
        step (the imports have run by then; its functions must see the module).
        """
        try:
            return self._build(self.module)
        except NameError:
            scratch = self._with_new_imports()
            if scratch is None:
                raise
            built = self._build(scratch)
            self.provisional = True
            return built

    def _build(self, module: ModuleType) -> Any:
        from splice.engine.objects.pieces import compile_to_run, run_definition

        enclosing = self.planner.enclosing(self.new)
        live_classes = self.planner.live_classes(self.new) or []
        code = compile_to_run(self.new.node, enclosing, self.plan.filename, self.planner.flags)
        return run_definition(code, enclosing, live_classes, module)[self.new.member]

    def _with_new_imports(self) -> ModuleType | None:
        from splice.engine.outline.statements import is_import

        outline = self.plan.outline or self.planner.new
        imports = [node for node in outline.tree.body if is_import(node)]
        if not imports:
            return None
        scratch = ModuleType(self.module.__name__)
        scratch.__dict__.update(vars(self.module))
        try:
            code = compile(
                ast.Module(body=imports, type_ignores=[]),
                self.plan.filename,
                "exec",
                self.planner.flags,
                dont_inherit=True,
            )
            exec(code, scratch.__dict__)
        except Exception:
            return None
        return scratch

    def refuse(self, code: str, message: str) -> None:
        """Refuse the whole patch: the class keeps working as it is."""
        self.planner.whole.add(self.qualname)
        self.planner.error(code, message, self.new)

    def warn(self, code: str, message: str, severity: Severity = "warning") -> None:
        self.planner.skip(code, message, severity, qualname=self.qualname, line=self.new.line)

    def apply(self, label: str, action: Callable[[Undo], None]) -> None:
        """Take the class over: ``action`` replaces member-by-member patching of it."""
        self.planner.whole.add(self.qualname)
        self.plan.changed.append(self.qualname)
        self.plan.add_step(self.new.line, label, Unstaged(action))


def _class_shape(definition: Definition) -> tuple[list[str], list[tuple[str, list[str]]]]:
    node = definition.node
    members = [
        (child.name, [ast.dump(decorator) for decorator in child.decorator_list])
        for child in getattr(node, "body", ())
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    statements = [statement.text for statement in definition.statements]
    return statements, members


def claim_class(
    planner: Planner, new: Definition, live: type, old: Definition | None = None
) -> bool:
    """Whether an adapter took over this changed class (planned it or refused it)."""
    adapters = active_adapters()
    if not adapters:
        return False
    claim = ClassClaim(planner, new, live, old)
    for adapter in adapters:
        try:
            if adapter.plan_class(claim):
                return True
        except Exception as error:  # a broken adapter refuses rather than guesses
            claim.refuse(
                "adapter-failed",
                f"{new.qualname}: the {_adapter_name(adapter)} adapter raised "
                f"{type(error).__name__}: {error} while planning; nothing was changed",
            )
            return True
    return False


class PatchPlan:
    """A planned patch, as adapters see it before anything is committed."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.module = plan.module

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(self.plan.changed)

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(self.plan.added)

    @property
    def deleted(self) -> tuple[str, ...]:
        return tuple(self.plan.deleted)

    @property
    def rebound(self) -> tuple[str, ...]:
        return tuple(self.plan.rebound)

    @property
    def skipped(self) -> list[Finding]:
        """The plan's skipped findings (an adapter that handles one may remove it)."""
        return self.plan.skipped

    def live(self, qualname: str) -> Any:
        """What ``qualname`` is bound to now, before the commit (None if nothing)."""
        scope, _, name = qualname.rpartition(".")
        namespace = namespace_of(self.module, scope or None)
        if namespace is None:
            return None
        value = binding(namespace, name)
        return None if is_missing(value) else value

    def functions(self, qualname: str) -> list[FunctionType]:
        """The live plain functions behind ``qualname`` (through wrappers), before the commit."""
        value = self.live(qualname)
        if value is None:
            return []
        return live_functions(value, qualname.rpartition(".")[2], None)

    def first(self, label: str, action: Callable[[Undo], None]) -> None:
        """Run ``action`` before every other step of the commit."""
        # Steps run sorted by line, stably: at line 1, and first in the list.
        self.plan.steps.insert(0, Step(1, label, Unstaged(action)))

    def last(self, label: str, action: Callable[[Undo], None]) -> None:
        """Run ``action`` after every other step of the commit."""
        # The file's last line, so a failure of this step is reported inside the file.
        lines = source_lines(self.plan.source)
        if lines and not lines[-1]:
            lines.pop()  # the text ends with a newline: no line after it
        self.plan.add_step(max(1, len(lines)), label, Unstaged(action))

    def refuse(self, code: str, message: str, qualname: str | None = None) -> None:
        line = self.line_of(qualname)
        self.plan.errors.append(Finding(code, message, qualname=qualname, line=line))

    def warn(
        self, code: str, message: str, qualname: str | None = None, severity: Severity = "warning"
    ) -> None:
        line = self.line_of(qualname)
        self.plan.skipped.append(
            Finding(code, message, qualname=qualname, line=line, severity=severity)
        )

    def line_of(self, qualname: str | None) -> int | None:
        """Where ``qualname`` starts in the new text (None when it is not there)."""
        outline = self.plan.outline
        if qualname is None or outline is None:
            return None
        definition = outline.definitions.get(qualname)
        return definition.line if definition is not None else None


def plan_patch(plan: Plan) -> None:
    """The adapters' and the built-in checks' part of planning ``plan``."""
    if plan.errors:
        _hold_back(plan)
        return
    patch = PatchPlan(plan)
    for adapter in active_adapters():
        try:
            adapter.plan_patch(patch)
        except Exception as error:
            plan.errors.append(
                Finding(
                    "adapter-failed",
                    f"the {_adapter_name(adapter)} adapter raised {type(error).__name__}: "
                    f"{error} while planning; nothing was changed",
                )
            )
    if plan.errors:
        _hold_back(plan)
        return
    running = _running_check(plan)
    if running is not None:
        patch.last("checking running frames", running)


def notify_update(plan: Plan) -> None:
    """Tell every update hook what the committed ``plan`` changed."""
    changes = changes_of(plan)
    if not changes:
        return
    module_hook = vars(plan.module).get("__splice_update__")
    hooks: list[tuple[str, Callable[[tuple[Change, ...]], Any]]] = []
    if callable(module_hook):
        hooks.append((f"{plan.module.__name__}.__splice_update__", module_hook))
    with _callbacks_lock:
        callbacks = list(_callbacks)
    hooks += [(_callable_name(callback), callback) for callback in callbacks]
    hooks += [
        (f"the {_adapter_name(adapter)} adapter", adapter.on_update)
        for adapter in active_adapters()
    ]
    for name, hook in hooks:
        try:
            hook(changes)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit too: the patch is applied, say so
            plan.skipped.append(
                Finding(
                    "update-hook-failed",
                    f"the update hook {name} raised {type(error).__name__}: {error}; the patch "
                    "is applied, but what that hook refreshes may be stale",
                    severity="warning",
                )
            )


def changes_of(plan: Plan) -> tuple[Change, ...]:
    name = plan.module.__name__
    kinds: tuple[tuple[ChangeKind, list[str]], ...] = (
        ("changed", plan.changed),
        ("added", plan.added),
        ("deleted", plan.deleted),
        ("rebound", plan.rebound),
    )
    return tuple(
        Change(name, qualname, kind) for kind, names in kinds for qualname in dict.fromkeys(names)
    )


# Adapters ------------------------------------------------------------------------------

_loaded: dict[str, Adapter | None] = {}
_entry_points: dict[str, str] | None = None
_loading_lock = threading.Lock()


def active_adapters() -> list[Adapter]:
    """The adapters whose framework is imported, loading each the first time."""
    specs = _adapter_specs()
    active = []
    for framework, spec in specs.items():
        if framework not in sys.modules:
            continue
        if spec not in _loaded:
            with _loading_lock:
                if spec not in _loaded:
                    _loaded[spec] = _load(spec)
        adapter = _loaded[spec]
        if adapter is not None:
            active.append(adapter)
    return active


def _adapter_specs() -> dict[str, str]:
    """Module name -> ``module:attribute`` of its adapter (bundled ones, then entry points)."""
    global _entry_points
    if _entry_points is None:
        found: dict[str, str] = {}
        if os.environ.get("SPLICE_NO_ENTRY_POINTS") != "1":
            try:
                from importlib.metadata import entry_points

                for entry in entry_points(group=ENTRY_POINT_GROUP):
                    found.setdefault(entry.name, entry.value)
            except Exception:  # broken metadata of some distribution: the bundled ones still load
                logger.debug("splice: could not read the %s entry points", ENTRY_POINT_GROUP)
        _entry_points = found
    specs = dict(BUNDLED)
    for framework, spec in _entry_points.items():
        if spec not in specs.values():
            specs[framework] = spec
    return specs


def _load(spec: str) -> Adapter | None:
    module_name, _, attribute = spec.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            value = getattr(value, part)
        if isinstance(value, type):
            value = value()
    except Exception:
        logger.warning("splice: could not load the adapter %s", spec, exc_info=True)
        return None
    return value  # type: ignore[no-any-return]


def reset_adapters() -> None:
    """Forget loaded adapters and entry points (for tests that install new ones)."""
    global _entry_points
    with _loading_lock:
        _loaded.clear()
        _entry_points = None


def _adapter_name(adapter: Adapter) -> str:
    return adapter.framework or type(adapter).__module__


def _callable_name(callback: Callable[..., Any]) -> str:
    module = getattr(callback, "__module__", None)
    name = getattr(callback, "__qualname__", None) or repr(callback)
    return f"{module}.{name}" if module else name


# Running frames ------------------------------------------------------------------------


def _running_check(plan: Plan) -> Callable[[Undo], None] | None:
    """A last step that warns about changed functions executing at commit time.

    Their frames keep the code object they started with: a loop that never
    returns keeps running the old body. A frame is matched by the file and
    qualified name of its code, not by the code object: a loop started before
    an earlier patch runs a code object that no function holds any more.
    """
    targets: dict[tuple[str, str], str] = {}
    functions: list[FunctionType] = []
    # Re-created and deleted functions keep running their old code just the same.
    for qualname in (*plan.changed, *plan.rebound, *plan.deleted):
        scope, _, name = qualname.rpartition(".")
        namespace = namespace_of(plan.module, scope or None)
        if namespace is None:
            continue
        value = binding(namespace, name)
        if is_missing(value) or isinstance(value, type):
            continue
        for function in live_functions(value, name, None):
            functions.append(function)
            targets[_code_key(function.__code__)] = qualname
    if not targets:
        return None
    changed_names = {qualname.rpartition(".")[2]: qualname for qualname in plan.changed}

    def check(undo: Undo) -> None:
        # What the functions hold now is the new code: frames running it are not old.
        new_codes = {function.__code__ for function in functions}
        findings = _running_findings(plan, targets, new_codes, changed_names)
        if not findings:
            return
        plan.skipped.extend(findings)

        def forget() -> None:
            for finding in findings:
                if finding in plan.skipped:
                    plan.skipped.remove(finding)

        undo.append(forget)

    return check


def _code_key(code: CodeType) -> tuple[str, str]:
    # co_qualname is 3.11+; on 3.10 the plain name has to do.
    return (code.co_filename, getattr(code, "co_qualname", code.co_name))


def _running_findings(
    plan: Plan,
    targets: dict[tuple[str, str], str],
    new_codes: set[CodeType],
    changed_names: dict[str, str],
) -> list[Finding]:
    threads = {thread.ident: thread.name for thread in threading.enumerate()}
    findings: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    outline = plan.outline
    for ident, top in sys._current_frames().items():
        frame: FrameType | None = top
        while frame is not None:
            code = frame.f_code
            qualname = targets.get(_code_key(code)) if code not in new_codes else None
            if qualname is not None and (qualname, ident) not in seen:
                seen.add((qualname, ident))
                thread = threads.get(ident, f"thread {ident}")
                where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
                helpers = [
                    changed_names[name]
                    for name in dict.fromkeys(frame.f_code.co_names)
                    if name in changed_names and changed_names[name] != qualname
                ]
                message = (
                    f"{qualname} is running in thread {thread} at {where}; it runs the old "
                    "code until it returns"
                )
                if helpers:
                    message += (
                        f" (the functions it calls, {', '.join(helpers)}, are patched and run "
                        "their new code from their next call)"
                    )
                definition = outline.definitions.get(qualname) if outline is not None else None
                findings.append(
                    Finding(
                        "function-running",
                        message,
                        qualname=qualname,
                        line=definition.line if definition is not None else None,
                        severity="warning",
                    )
                )
            frame = frame.f_back
    return findings


# Held-back changes ---------------------------------------------------------------------


def _hold_back(plan: Plan) -> None:
    """One ``held-back`` finding per change a refused edit keeps from being applied."""
    refused = {finding.qualname for finding in plan.errors}
    if None in refused and any(f.code == "syntax-error" for f in plan.errors):
        return  # nothing was planned from a text that does not compile
    held = [
        (kind, qualname)
        for kind, names in (
            ("changed", plan.changed),
            ("added", plan.added),
            ("deleted", plan.deleted),
            ("rebound", plan.rebound),
        )
        for qualname in dict.fromkeys(names)
        if qualname not in refused and not _inside(qualname, refused)
    ]
    if not held:
        return
    file = os.path.basename(plan.filename)
    for kind, qualname in held:
        # Applying the others alone (only=) deletes nothing: say so for a deletion.
        way_out = (
            "it is removed once the refused edit is fixed or undone"
            if kind == "deleted"
            else f"to apply the other changes alone: splice patch --apply-others {file}"
        )
        plan.skipped.append(
            Finding(
                "held-back",
                f"{qualname} ({kind}) was not applied because another edit of this save was "
                f"refused (a patch is all or nothing); {way_out}",
                qualname=qualname,
                line=PatchPlan(plan).line_of(qualname),
                severity="warning",
            )
        )


def held_back_definitions(result: PatchResult) -> list[str]:
    """The definitions a refused patch held back that ``only=`` can apply alone.

    Deletions are left out: a patch restricted with ``only=`` deletes nothing.
    """
    return [
        finding.qualname
        for finding in result.skipped
        if finding.code == "held-back"
        and finding.qualname
        and not finding.message.startswith(f"{finding.qualname} (deleted)")
    ]


def _inside(qualname: str, scopes: Iterable[str | None]) -> bool:
    return any(scope and qualname.startswith(scope + ".") for scope in scopes)


__all__ = [
    "BUNDLED",
    "ENTRY_POINT_GROUP",
    "Adapter",
    "Change",
    "ClassClaim",
    "PatchPlan",
    "active_adapters",
    "changes_of",
    "claim_class",
    "held_back_definitions",
    "notify_update",
    "on_update",
    "plan_patch",
    "remove_update_callback",
    "reset_adapters",
]
