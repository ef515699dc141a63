"""Deleting, with no baseline, what a ``def`` or ``class`` the new text no longer has left behind."""

from __future__ import annotations

import ast
from types import FunctionType
from typing import Any

from splice.engine.commit.mutations import unbind
from splice.engine.objects.targets import live_functions
from splice.engine.objects.verification import unmangled
from splice.engine.outline.definitions import Outline
from splice.engine.outline.statements import star_import_modules
from splice.engine.plan.steps import Plan, Undo
from splice.engine.plan.swaps import SwapPlanner

#: Values a literal assignment can make: a name holding one that the new text
#: no longer assigns may be a removed literal (reported, not deleted).
_LITERAL_TYPES = (
    int,
    float,
    complex,
    str,
    bytes,
    bool,
    tuple,
    list,
    dict,
    set,
    frozenset,
    type(None),
)


class DeletionPlanner(SwapPlanner):
    """The live planner's deletions, and the note it gives for what it cannot prove."""

    def __init__(self, plan: Plan, new: Outline, delete_removed: bool) -> None:
        super().__init__(plan, new)
        self.delete_removed = delete_removed
        self._stored_attributes: set[str] | None = None

    def unverified(self, code: str, message: str, **where: Any) -> None:
        self.skip(
            code, message + " (no baseline: the module was imported before splice)", "info", **where
        )

    def plan_deletions(self, scope: str | None, namespace: Any) -> None:
        """Delete what provably came from a ``def``/``class`` the new text no longer has.

        Proof: a function's ``__module__``, ``__qualname__`` and code file are
        those a definition at this place in this file gives; an object made
        dynamically (``exec``, a factory, ``type(...)``) fails one of them.
        """
        bound_now = set().union(*(names for _, names in self.scope_bindings(scope)), set())
        if scope is None:
            if any(star_import_modules(s.node) for s in self.new.statements):
                return  # a star import may bind any name
            prefix = ""
        else:
            prefix = scope + "."
        name_of_module = self.module.__name__
        filename = self.plan.filename
        from_body = class_body_names(namespace) if scope is not None else set()
        if scope in self.regenerated:
            from_body -= set(vars(namespace).get("__dataclass_fields__", ()))
        for member, value in list(vars(namespace).items()):
            if member in bound_now or (member.startswith("__") and member.endswith("__")):
                continue
            try:
                is_class = isinstance(value, type)
            except Exception:
                continue  # a lazy proxy whose __class__ raises: not made by a def
            if came_from_def(value, member, prefix, name_of_module, filename) or (
                member in from_body and member not in self.stored_attributes()
            ):
                self.plan_delete(scope, namespace, member, value)
            elif (
                is_class
                and value.__module__ == name_of_module
                and value.__qualname__ == prefix + member
            ):
                self.unverified(
                    "deletion-unverified",
                    f"{prefix}{member}: the new text no longer defines this class, but nothing "
                    "in it proves it came from a class statement of this file, so it was kept",
                    qualname=prefix + member,
                )
            elif (
                type(value) is FunctionType
                and value.__module__ == name_of_module
                and value.__code__.co_filename == filename
            ):
                self.unverified(
                    "deletion-unverified",
                    f"{prefix}{member}: the new text no longer binds it, but it holds a function "
                    "this file's code made (a closure, a wrapper) that a removed statement or the "
                    "program may have bound, so it was kept; delete it by hand if it is gone",
                    qualname=prefix + member,
                )
            elif isinstance(value, _LITERAL_TYPES) and (
                scope is None or member not in self.stored_attributes()
            ):
                self.unverified(
                    "deletion-unverified",
                    f"{prefix}{member}: the new text no longer assigns it, but a value in the "
                    "namespace cannot be told from one the program set, so it was kept; delete "
                    "it by hand if it came from a removed assignment",
                    qualname=prefix + member,
                )

    def stored_attributes(self) -> set[str]:
        """Attribute names the new text assigns anywhere (``cls.tag = tag``)."""
        if self._stored_attributes is None:
            self._stored_attributes = {
                node.attr
                for node in ast.walk(self.new.tree)
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
            }
        return self._stored_attributes

    def plan_delete(self, scope: str | None, namespace: Any, member: str, value: Any) -> None:
        name = unmangled(member, f"{scope}.") if scope else member
        qualname = f"{scope}.{name}" if scope else member
        if not self.delete_removed:
            self.skip(
                "deletion-skipped",
                f"{qualname}: removed from the source but kept in the program "
                "(deleting removed definitions is turned off)",
                severity="info",
                qualname=qualname,
            )
            return
        self.plan.deleted.append(qualname)

        def delete(undo: Undo) -> None:
            unbind(namespace, member, undo)

        self.plan.add_step(0, f"deleting {qualname}", delete)


#: What ``type.__new__`` and the compiler add to a class's namespace after its body ran.
_CREATION_MARKERS = frozenset({"__static_attributes__", "__dict__", "__weakref__", "__doc__"})


def class_body_names(cls: type) -> set[str]:
    """Names of ``cls``'s namespace that its class statement's body bound.

    A class's namespace keeps the order its names were bound in: the body's,
    then what class creation adds (``__dict__``, ``__doc__`` when the body has
    none, ``__static_attributes__`` on 3.13+), then whatever is set later
    (decorators, ``__init_subclass__``, the program). A name before one of
    those markers was bound by the body (only with the plain metaclass, which
    adds nothing of its own); with no marker after the body, nothing is known.
    """
    if type(cls) is not type:
        return set()
    names = list(vars(cls))
    last = max((i for i, name in enumerate(names) if name in _CREATION_MARKERS), default=-1)
    return {name for name in names[:last] if not (name.startswith("__") and name.endswith("__"))}


def came_from_def(value: Any, member: str, prefix: str, module_name: str, filename: str) -> bool:
    """Whether ``value``, bound to ``member``, provably came from a ``def`` or ``class`` in ``filename``."""
    try:
        return _came_from_def(value, member, prefix, module_name, filename)
    except Exception:
        # A lazy proxy (Django's settings) runs code on any attribute read and
        # may raise: it was not made by a ``def``, so it is not deleted.
        return False


def _came_from_def(value: Any, member: str, prefix: str, module_name: str, filename: str) -> bool:
    if isinstance(value, type):
        if value.__module__ != module_name or value.__qualname__ != prefix + member:
            return False
        if isinstance(getattr(value, "__firstlineno__", None), int):
            return True  # set by a class statement (3.13+)
        return any(
            came_from_def(inner, inner_name, f"{value.__qualname__}.", module_name, filename)
            for inner_name, inner in vars(value).items()
        )
    for function in live_functions(value, unmangled(member, prefix), None):
        if (
            function.__module__ == module_name
            and function.__qualname__ == prefix + function.__name__
            and function.__code__.co_filename == filename
        ):
            return True
    return False
