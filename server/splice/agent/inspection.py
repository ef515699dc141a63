"""What a name of a module is right now, for hover and completion, without running the program.

``inspect_name`` resolves a dotted chain (``cfg.lr``, ``model.layers``) in a
module's namespace. It never calls a property or another descriptor of the
user's: attributes are looked up with ``inspect.getattr_static`` and only
plain values, functions, classes, modules and slots are followed, so a hover
cannot trigger the program's side effects. The one piece of user code it may
run is the value's ``__repr__`` (within the size and time limits of
``evaluation.bounded_repr``) and, for completion, its ``__dir__``.
"""

from __future__ import annotations

import builtins
import inspect
import types
from dataclasses import dataclass
from typing import Any

from splice.agent.evaluation import Interruptible, bounded_repr, type_name

#: Attributes listed for completion, at most.
ATTRIBUTE_LIMIT = 1000
_DOC_LIMIT = 2000
_FOLLOWED_DESCRIPTORS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    types.MemberDescriptorType,  # __slots__: reading one runs no user code
    types.GetSetDescriptorType,  # C-level attributes (int.real, a function's __name__)
    staticmethod,
    classmethod,
)


class NotResolved(Exception):
    """The chain names nothing the namespace holds, or a part that would run user code."""


@dataclass(frozen=True)
class Resolved:
    value: Any
    #: Set when the last part is a property (or other descriptor) we did not call.
    descriptor: Any = None


def kind_of(value: Any) -> str:
    if inspect.ismodule(value):
        return "module"
    if inspect.isclass(value):
        return "class"
    if callable(value) and (inspect.isroutine(value) or isinstance(value, types.MethodType)):
        return "function"
    if isinstance(value, property):
        return "property"
    return "value"


def resolve(namespace: dict[str, Any], parts: list[str]) -> Resolved:
    first = parts[0]
    if first in namespace:
        value = namespace[first]
    elif hasattr(builtins, first):
        value = getattr(builtins, first)
    else:
        raise NotResolved(f"{first!r} is not defined in the running module")
    for index, name in enumerate(parts[1:], start=1):
        try:
            static = inspect.getattr_static(value, name)
        except AttributeError:
            raise NotResolved(f"{'.'.join(parts[:index])} has no attribute {name!r}") from None
        if _is_plain(value, name, static):
            value = static
        elif isinstance(static, _FOLLOWED_DESCRIPTORS):
            value = getattr(value, name)
        elif index == len(parts) - 1:
            return Resolved(None, static)
        else:
            raise NotResolved(
                f"{'.'.join(parts[: index + 1])} is a {type_name(static)}: not called"
            )
    return Resolved(value)


def _is_plain(owner: Any, name: str, static: Any) -> bool:
    """A value stored as it is: no descriptor, or held by an instance or a module itself."""
    if not hasattr(type(static), "__get__"):
        return True
    holder = getattr(owner, "__dict__", None)
    owned = isinstance(holder, dict) and holder.get(name, _MISSING) is static
    return owned and not inspect.isclass(owner)


_MISSING = object()


def describe(
    namespace: dict[str, Any],
    expression: str,
    limit: int,
    guard: Interruptible,
    *,
    attributes: bool,
) -> dict[str, Any]:
    """The ``inspect`` method's result for ``expression`` (docs/protocol.md)."""
    parts = expression.split(".")
    resolved = resolve(namespace, parts)
    if resolved.descriptor is not None:
        descriptor = resolved.descriptor
        return {
            "found": True,
            "expression": expression,
            "kind": "property",
            "type": type_name(descriptor),
            "value": None,
            "truncated": False,
            "signature": None,
            "doc": _doc(descriptor),
        }
    value = resolved.value
    shown = bounded_repr(value, limit, guard)
    result: dict[str, Any] = {
        "found": True,
        "expression": expression,
        "kind": kind_of(value),
        "type": shown.type_name,
        "value": shown.text,
        "truncated": shown.truncated,
        "signature": _signature(value),
        "doc": _doc(value) if not _is_data(value) else None,
    }
    if attributes:
        result["attributes"] = list_attributes(value)
    return result


def _is_data(value: Any) -> bool:
    # A number's or a string's docstring is its type's, which says nothing about it.
    return kind_of(value) == "value"


def _signature(value: Any) -> str | None:
    if not callable(value):
        return None
    try:
        return str(inspect.signature(value))
    except (TypeError, ValueError):
        return None


def _doc(value: Any) -> str | None:
    try:
        doc = inspect.getdoc(value)
    except Exception:  # a hostile __doc__
        return None
    if not doc:
        return None
    return doc if len(doc) <= _DOC_LIMIT else doc[:_DOC_LIMIT] + "..."


def list_attributes(value: Any) -> list[dict[str, str]]:
    """``dir(value)`` with each attribute's kind, read statically."""
    try:
        names = dir(value)
    except Exception:
        return []
    found = []
    for name in names[:ATTRIBUTE_LIMIT]:
        if not isinstance(name, str):
            continue
        try:
            static = inspect.getattr_static(value, name)
        except AttributeError:
            kind = "value"  # provided by __getattr__: not looked at
        else:
            kind = "property" if isinstance(static, property) else kind_of(_unwrapped(static))
        found.append({"name": name, "kind": kind})
    return found


def _unwrapped(static: Any) -> Any:
    if isinstance(static, (staticmethod, classmethod)):
        return static.__func__
    return static
