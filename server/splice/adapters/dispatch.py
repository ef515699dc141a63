"""``functools.singledispatch`` and ``singledispatchmethod`` implementations follow their edits.

The usual way to register an implementation, ``@show.register`` on
``def _(value: int)``, binds ``_`` to each implementation in turn: only the
last one is what the module's name refers to, so the engine sees the others
as definitions the program does not run. They are in the dispatcher's
registry, though, under the type of their first parameter (or the type given
to ``register``). This adapter finds each one there, by that type, and gives
it its new code in place. When the registered type changed, the new
implementation is registered under the new type and the old entry removed.
"""

from __future__ import annotations

import ast
import functools
import gc
from collections.abc import Callable
from types import FunctionType, MappingProxyType, UnionType
from typing import Any, Union, get_args, get_origin

from splice.engine.commit.mutations import replace_code, set_attribute
from splice.engine.hooks import Adapter, PatchPlan
from splice.engine.objects.codeobjects import code_kind, same_code
from splice.engine.objects.pieces import compile_definition, compile_to_run, run_definition
from splice.engine.objects.targets import namespace_of
from splice.engine.outline.definitions import Definition, Outline

Undo = list[Callable[[], None]]


class DispatchAdapter(Adapter):
    framework = "functools"

    def plan_patch(self, patch: PatchPlan) -> None:
        from splice.engine.baselines.store import baseline_outline

        outline = patch.plan.outline
        if outline is None or ".register" not in patch.plan.source:
            return  # the hot path: most modules register nothing
        old_outline = baseline_outline(patch.module.__name__, patch.plan.filename)
        old_by_key = old_outline.by_key() if old_outline is not None else {}
        for definition in outline.ordered:
            if definition.kind != "function":
                continue
            dispatcher = _dispatcher_of(patch, definition)
            if dispatcher is not None:
                old = old_by_key.get(definition.key)
                if old_outline is None:
                    self.plan_one(patch, outline, definition, None, dispatcher, baseline=False)
                elif old is None or old.text != definition.text:
                    self.plan_one(patch, outline, definition, old, dispatcher, baseline=True)

    def plan_one(
        self,
        patch: PatchPlan,
        outline: Outline,
        definition: Definition,
        old: Definition | None,
        dispatcher: Any,
        *,
        baseline: bool,
    ) -> None:
        module = patch.module
        namespace = namespace_of(module, definition.parent)
        if namespace is None:
            return
        bound = vars(namespace).get(definition.member)
        registry = dispatcher.registry
        types = _registered_types(definition, module, namespace)
        old_types = _registered_types(old, module, namespace) if old is not None else types
        if types is None or old_types is None:
            return
        live = [registry.get(cls) for cls in old_types]
        functions = [
            function
            for function in live
            if isinstance(function, FunctionType)
            and function.__code__.co_filename == patch.plan.filename
            and function.__code__.co_name == definition.name
        ]
        if not functions:
            if baseline:
                return  # added: the engine runs its decorator, which registers it
            # New, or registered for another type than before: which type it
            # had is unknown without a baseline, but no definition claims it now.
            stale = _orphans(patch, outline, dispatcher, definition.name)
            self.plan_register(patch, outline, definition, dispatcher, stale)
            return
        if any(function is bound for function in functions):
            # The engine patches the implementation the name is bound to; only
            # a new registered type is this adapter's to apply.
            if set(types) != set(old_types):
                self.plan_move(patch, definition, dispatcher, functions[0], old_types, types)
            return
        function = functions[0]
        enclosing = _enclosing(outline, definition)
        flags = outline.future_flags
        _forget_not_live(patch, definition)
        if set(types) == set(old_types):
            code = compile_definition(definition.node, enclosing, patch.plan.filename, flags)
            if code is None or (
                same_code(code, function.__code__)
                and code.co_firstlineno == function.__code__.co_firstlineno
            ):
                return
            if code.co_freevars != function.__code__.co_freevars or code_kind(code) != code_kind(
                function.__code__
            ):
                patch.refuse(
                    "dispatch-implementation-incompatible",
                    f"{definition.qualname} (registered for {_names(types)}): cannot patch "
                    "this implementation in place (its kind or the variables it reads from "
                    "enclosing scopes changed). Restart the program",
                    definition.qualname,
                )
                return
            values = _signature_values(definition, module, namespace, patch)
            patch.plan.changed.append(definition.qualname)

            def swap(undo: Undo) -> None:
                replace_code(function, code, undo)
                set_attribute(function, "__defaults__", values[0], undo)
                set_attribute(function, "__kwdefaults__", values[1], undo)
                set_attribute(function, "__annotations__", values[2], undo)
                set_attribute(function, "__doc__", ast.get_docstring(definition.node), undo)

            patch.plan.add_step(definition.line, f"patching {definition.qualname}", swap)
            return
        # Registered for another type now: register the new one, drop the old entries.
        stale = [cls for cls in old_types if registry.get(cls) is function]
        self.plan_register(patch, outline, definition, dispatcher, stale)

    def plan_register(
        self,
        patch: PatchPlan,
        outline: Outline,
        definition: Definition,
        dispatcher: Any,
        stale: list[type],
    ) -> None:
        """Run the definition (its decorator registers it); remove the ``stale`` entries."""
        module = patch.module
        enclosing = _enclosing(outline, definition)
        run_code = compile_to_run(
            definition.node, enclosing, patch.plan.filename, outline.future_flags
        )
        classes = _live_classes(module, definition)
        registry = dispatcher.registry
        patch.plan.rebound.append(definition.qualname)

        def reregister(undo: Undo) -> None:
            entries = _registry_dict(registry)
            before = dict(entries)

            def restore() -> None:
                entries.clear()
                entries.update(before)
                _clear(dispatcher)

            undo.append(restore)
            for cls in stale:
                entries.pop(cls, None)
            run_definition(run_code, enclosing, classes, module)
            _clear(dispatcher)

        patch.plan.add_step(definition.line, f"re-registering {definition.qualname}", reregister)

    def plan_move(
        self,
        patch: PatchPlan,
        definition: Definition,
        dispatcher: Any,
        function: FunctionType,
        old_types: tuple[type, ...],
        types: tuple[type, ...],
    ) -> None:
        registry = dispatcher.registry

        def move(undo: Undo) -> None:
            entries = _registry_dict(registry)
            before = dict(entries)
            for cls in old_types:
                if entries.get(cls) is function:
                    del entries[cls]
            for cls in types:
                entries[cls] = function

            def restore() -> None:
                entries.clear()
                entries.update(before)
                _clear(dispatcher)

            undo.append(restore)
            _clear(dispatcher)

        patch.last(f"registering {definition.qualname} for {_names(types)}", move)


def _orphans(patch: PatchPlan, outline: Outline, dispatcher: Any, name: str) -> list[type]:
    """Types registered to a function ``name`` of this file that no definition registers now."""
    claimed: set[type] = set()
    for definition in outline.ordered:
        if definition.kind == "function" and _dispatcher_of(patch, definition) is dispatcher:
            namespace = namespace_of(patch.module, definition.parent)
            claimed.update(_registered_types(definition, patch.module, namespace) or ())
    return [
        cls
        for cls, function in dispatcher.registry.items()
        if isinstance(function, FunctionType)
        and function.__code__.co_filename == patch.plan.filename
        and function.__code__.co_name == name
        and cls not in claimed
    ]


def _dispatcher_of(patch: PatchPlan, definition: Definition) -> Any:
    """The singledispatch function whose ``register`` decorates ``definition``, if any."""
    for decorator in definition.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not (
            isinstance(target, ast.Attribute)
            and target.attr == "register"
            and isinstance(target.value, ast.Name)
        ):
            continue
        namespace = namespace_of(patch.module, definition.parent)
        value = vars(namespace).get(target.value.id) if namespace is not None else None
        if value is None:
            value = vars(patch.module).get(target.value.id)
        try:  # ``@atexit.register``, ``@admin.register(Model)``: anything may stand there
            if isinstance(value, functools.singledispatchmethod):
                value = value.dispatcher
            if isinstance(getattr(value, "registry", None), MappingProxyType) and callable(
                getattr(value, "dispatch", None)
            ):
                return value
        except Exception:
            continue
    return None


def _registered_types(
    definition: Definition, module: Any, namespace: Any
) -> tuple[type, ...] | None:
    """The types a ``register`` decorator registers ``definition`` for, evaluated now."""
    node = definition.node
    assert not isinstance(node, ast.ClassDef)
    expression: ast.expr | None = None
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and decorator.args:
            expression = decorator.args[0]
    if expression is None:
        parameters = [*node.args.posonlyargs, *node.args.args]
        index = 1 if definition.parent else 0
        if len(parameters) <= index:
            return None
        expression = parameters[index].annotation
    if expression is None:
        return None
    scope = dict(vars(namespace)) if isinstance(namespace, type) else None
    try:
        value = eval(compile(ast.Expression(expression), "<register>", "eval"), vars(module), scope)
    except Exception:
        return None
    if isinstance(value, UnionType) or get_origin(value) is Union:
        return tuple(argument for argument in get_args(value) if isinstance(argument, type))
    return (value,) if isinstance(value, type) else None


def _signature_values(
    definition: Definition, module: Any, namespace: Any, patch: PatchPlan
) -> tuple[Any, Any, Any]:
    from splice.engine.objects.evaluation import evaluate_signature

    live_class = namespace if isinstance(namespace, type) else None
    flags = patch.plan.outline.future_flags if patch.plan.outline is not None else 0
    return evaluate_signature(definition, module, live_class, patch.plan.filename, flags)


def _enclosing(outline: Outline, definition: Definition) -> list[ast.ClassDef]:
    classes = {d.qualname: d for d in outline.ordered if d.kind == "class"}
    chain: list[ast.ClassDef] = []
    parent = definition.parent
    while parent:
        node = classes[parent].node
        assert isinstance(node, ast.ClassDef)
        chain.insert(0, node)
        parent = classes[parent].parent
    return chain


def _live_classes(module: Any, definition: Definition) -> list[type]:
    chain: list[type] = []
    scopes: list[str] = []
    parent = definition.parent
    while parent:
        scopes.insert(0, parent)
        parent = parent.rpartition(".")[0] or None
    for scope in scopes:
        live = namespace_of(module, scope)
        if isinstance(live, type):
            chain.append(live)
    return chain


def _forget_not_live(patch: PatchPlan, definition: Definition) -> None:
    """The engine's "not the definition the program runs": this adapter found it."""
    patch.skipped[:] = [
        finding
        for finding in patch.skipped
        if not (
            finding.code == "definition-not-live"
            and finding.qualname == definition.qualname
            and finding.line == definition.line
        )
    ]


def _registry_dict(registry: Any) -> dict[Any, Any]:
    """The dict behind a dispatcher's read-only ``registry`` view."""
    for referent in gc.get_referents(registry):
        if isinstance(referent, dict):
            return referent
    raise TypeError("the dispatcher's registry is not a view of a dict")


def _clear(dispatcher: Any) -> None:
    clear = getattr(dispatcher, "_clear_cache", None)
    if callable(clear):
        clear()


def _names(types: tuple[type, ...]) -> str:
    return ", ".join(cls.__name__ for cls in types)


adapter = DispatchAdapter()
