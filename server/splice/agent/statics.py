"""Reading the program's objects without running any of their code.

``getattr``, ``hasattr``, ``isinstance`` (which reads ``__class__`` when the
type check fails), ``dir()``, ``inspect.getdoc`` and ``inspect.signature``
all run code of the program's: ``__getattr__``, ``__getattribute__``,
properties, ``__dir__``, a metaclass's ``__doc__``. Hover and completion use
these functions instead. Each reads C-level state only: a type's ``__mro__``
and ``__dict__`` through ``type``'s own descriptors, an instance's
``__dict__`` through the C descriptor its class has, and type checks as
``issubclass(type(value), <a builtin type>)``. What the program's code has
stored (a class attribute, an instance's value) is returned as it is, never
called.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_MODULE = type.__dict__["__module__"]
_STATIC_FUNCTION = staticmethod.__dict__["__func__"]
_CLASS_FUNCTION = classmethod.__dict__["__func__"]
_FUNCTION_DOC = types.FunctionType.__dict__["__doc__"]
_FUNCTION_CODE = types.FunctionType.__dict__["__code__"]
_FUNCTION_DEFAULTS = types.FunctionType.__dict__["__defaults__"]
_FUNCTION_KWDEFAULTS = types.FunctionType.__dict__["__kwdefaults__"]
_METHOD_FUNCTION = types.MethodType.__dict__["__func__"]
_METHOD_SELF = types.MethodType.__dict__["__self__"]
_PROPERTY_DOC = property.__dict__["__doc__"]

MISSING: Any = object()

#: Descriptors implemented in C whose ``__get__`` only binds (a method) or reads a slot.
_C_BINDERS = (
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    types.MemberDescriptorType,
)
#: What counts as a function for ``kind``.
ROUTINES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    types.MethodWrapperType,
)


def is_a(value: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance`` for built-in types, without reading ``value.__class__``."""
    return issubclass(type(value), kind)


def exactly(value: Any, kinds: tuple[type, ...]) -> bool:
    """Whether ``type(value)`` is one of ``kinds`` (by identity: ``==`` could be a metaclass's)."""
    kind = type(value)
    return any(kind is candidate for candidate in kinds)


def mro(cls: type) -> tuple[type, ...]:
    order: tuple[type, ...] = _TYPE_MRO.__get__(cls)
    return order


def class_dict(cls: type) -> Mapping[str, Any]:
    namespace: Mapping[str, Any] = _TYPE_DICT.__get__(cls)
    return namespace


def in_mro(cls: type, name: str) -> Any:
    """What ``cls`` or the first of its bases that has ``name`` stores under it; MISSING if none."""
    for base in mro(cls):
        namespace = class_dict(base)
        if name in namespace:
            return namespace[name]
    return MISSING


def instance_dict(value: Any) -> dict[str, Any] | None:
    """The object's own ``__dict__`` (a module's namespace too), when its class keeps one in C."""
    if is_a(value, type):
        return None
    entry = in_mro(type(value), "__dict__")
    if not exactly(entry, (types.GetSetDescriptorType, types.MemberDescriptorType)):
        return None  # none, or a property of the program's named __dict__: not called
    namespace = entry.__get__(value, type(value))
    return namespace if type(namespace) is dict else None


def has_method(value: Any, name: str) -> bool:
    """Whether the type of ``value`` defines ``name`` (``__get__``, ``__set__``...)."""
    return in_mro(type(value), name) is not MISSING


def is_data_descriptor(value: Any) -> bool:
    return has_method(value, "__set__") or has_method(value, "__delete__")


@dataclass(frozen=True)
class Found:
    """An attribute as stored: in the object's own namespace, a class along its MRO, or its metaclass."""

    value: Any
    place: str  # "own" | "class" | "type"


def lookup(owner: Any, name: str) -> Found | None:
    """Where attribute lookup would find ``name`` on ``owner``, found by reading only.

    The order is Python's: a data descriptor of the type first, then the
    object's own namespace, then the type's other attributes. ``__getattr__``
    is never consulted.
    """
    if is_a(owner, type):
        meta = in_mro(type(owner), name)
        if meta is not MISSING and is_data_descriptor(meta):
            return Found(meta, "type")
        own = in_mro(owner, name)
        if own is not MISSING:
            return Found(own, "class")
        return Found(meta, "type") if meta is not MISSING else None
    stored = in_mro(type(owner), name)
    if stored is not MISSING and is_data_descriptor(stored):
        return Found(stored, "class")
    namespace = instance_dict(owner)
    if namespace is not None and name in namespace:
        return Found(namespace[name], "own")
    return Found(stored, "class") if stored is not MISSING else None


@dataclass(frozen=True)
class Descriptor:
    """An attribute whose value only running the program's code would give (a property...)."""

    descriptor: Any


def follow(owner: Any, found: Found) -> Any:
    """The attribute's value where reading gives it; a ``Descriptor`` where only code would."""
    entry = found.value
    if found.place == "own" or not has_method(entry, "__get__"):
        return entry
    instance = None if found.place == "class" and is_a(owner, type) else owner
    cls = type(owner) if instance is not None else owner
    if is_a(entry, types.FunctionType):
        return entry if instance is None else types.MethodType(entry, instance)
    if is_a(entry, staticmethod):
        return _STATIC_FUNCTION.__get__(entry)
    if is_a(entry, classmethod):
        return types.MethodType(_CLASS_FUNCTION.__get__(entry), cls)
    if exactly(entry, _C_BINDERS) or (
        type(entry) is types.GetSetDescriptorType and module_of(entry.__objclass__) == "builtins"
    ):
        # C code of the interpreter's own types: binding a method, reading a slot or a
        # built-in field (a function's __name__). A getset of an extension module's
        # type runs that module's code, so it counts as a property.
        return type(entry).__get__(entry, instance, cls)
    return Descriptor(entry)


def text(value: Any) -> str | None:
    """A ``str`` the program stored (a name, a docstring) as a plain ``str``, else None."""
    if not is_a(value, str):
        return None
    plain: str = str.__str__(value)
    return plain


def module_of(cls: type) -> str:
    return text(_TYPE_MODULE.__get__(cls)) or ""


def qualname_of(cls: type) -> str:
    return text(_TYPE_QUALNAME.__get__(cls)) or text(_TYPE_NAME.__get__(cls)) or "?"


def type_name(value: Any) -> str:
    """``module.Qualname`` of the value's type (builtins and ``__main__`` without the module)."""
    return class_name(type(value))


def class_name(cls: type) -> str:
    module, qualname = module_of(cls), qualname_of(cls)
    return qualname if module in ("builtins", "__main__", "") else f"{module}.{qualname}"


def doc(value: Any) -> str | None:
    """The docstring the object itself stores (a class's own, else its first base's but object's)."""
    if is_a(value, types.MethodType):
        value = _METHOD_FUNCTION.__get__(value)
    if is_a(value, types.FunctionType):
        return text(_FUNCTION_DOC.__get__(value))
    if type(value) is property:
        return text(_PROPERTY_DOC.__get__(value))
    if is_a(value, type):
        for base in mro(value):
            if base is not object:
                found = text(class_dict(base).get("__doc__"))
                if found:
                    return found
        return None
    if is_a(value, types.ModuleType):
        namespace = instance_dict(value)
        return text(namespace.get("__doc__")) if namespace is not None else None
    if exactly(value, ROUTINES) or exactly(value, _C_BINDERS):
        return text(value.__doc__)  # a C docstring
    # Anything else (a descriptor of the program's, reported as a property): its class's.
    return doc(type(value))


def function_parts(value: Any) -> tuple[Any, Any, Any, bool] | None:
    """``(code, defaults, keyword defaults, bound)`` of a Python function or bound method."""
    bound = False
    if is_a(value, types.MethodType):
        value, bound = _METHOD_FUNCTION.__get__(value), True
    if not is_a(value, types.FunctionType):
        return None
    defaults = _FUNCTION_DEFAULTS.__get__(value)
    keyword_defaults = _FUNCTION_KWDEFAULTS.__get__(value)
    return (
        _FUNCTION_CODE.__get__(value),
        defaults if type(defaults) is tuple else (),
        keyword_defaults if type(keyword_defaults) is dict else {},
        bound,
    )


def annotations_of(value: Any) -> dict[str, Any]:
    """A function's annotations where they are already values (3.14 computes them by calling code)."""
    if is_a(value, types.MethodType):
        value = _METHOD_FUNCTION.__get__(value)
    if not is_a(value, types.FunctionType):
        return {}
    if sys.version_info >= (3, 14):
        # ``__annotations__`` would call ``__annotate__``: code of the program (PEP 649).
        return {}
    found = types.FunctionType.__dict__["__annotations__"].__get__(value)
    return found if type(found) is dict else {}


def names(value: Any) -> list[str]:
    """The attribute names ``dir()`` would list, read from the namespaces (never ``__dir__``)."""
    seen: dict[str, None] = {}
    namespace = instance_dict(value)
    if namespace is not None:
        seen.update((key, None) for key in namespace if is_a(key, str))
    if is_a(value, types.ModuleType):
        return sorted(seen)
    for base in mro(value if is_a(value, type) else type(value)):
        seen.update((key, None) for key in class_dict(base) if is_a(key, str))
    return sorted(seen)
