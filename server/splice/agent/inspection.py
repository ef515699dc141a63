"""What a name of a module is right now, for hover and completion, read without running the program.

``describe`` resolves a dotted chain (``cfg.lr``, ``model.layers``) in a
module's namespace by reading dictionaries only (``statics``): never
``getattr``, ``hasattr``, ``isinstance``, ``dir()``, ``inspect.getdoc`` or
``inspect.signature``, which run the program's ``__getattr__``,
``__getattribute__``, properties, a ``__class__`` property, a metaclass's
``__doc__`` or ``__dir__``. A property, or any descriptor that only running
code would resolve, is reported, not called.

The one piece of the program's code it runs is ``repr``: of the value, and
of its defaults for a function's signature. That runs through
``evaluation.bounded_repr``, within the size and time limits of
``evaluate``: once the time is up the repr is interrupted, and interrupted
again until it stops, so a hover leaves no thread running the program's
code. Whatever the repr raises, ``SystemExit`` and ``KeyboardInterrupt``
included, becomes its text (``run``, which the agent passes in, is
``requests.contained``: the one place such exceptions stop).
"""

from __future__ import annotations

import builtins
import inspect
import time
import types
from collections.abc import Callable
from typing import Any

from splice.agent import statics
from splice.agent.evaluation import REPR_TIME_LIMIT, Interruptible, bounded_repr

#: Attributes listed for completion, at most.
ATTRIBUTE_LIMIT = 1000
_DOC_LIMIT = 2000
#: Characters of one default value in a signature.
_DEFAULT_LIMIT = 100
#: Values whose repr is the interpreter's own (exact types only: a subclass may override it).
_PLAIN = (int, float, complex, bool, str, bytes, type(None), type(Ellipsis))

Runner = Callable[[Callable[[], Any]], Any]
MISSING = statics.MISSING


class NotResolved(Exception):
    """The chain names nothing the namespace holds, or a part that only running code would give."""


def kind_of(value: Any) -> str:
    if statics.is_a(value, types.ModuleType):
        return "module"
    if statics.is_a(value, type):
        return "class"
    if statics.is_a(value, statics.ROUTINES):
        return "function"
    if statics.is_a(value, property):
        return "property"
    return "value"


def resolve(namespace: dict[str, Any], parts: list[str]) -> Any:
    """The value the chain names, or a ``statics.Descriptor`` for a last part that is one."""
    first = parts[0]
    value = namespace.get(first, statics.MISSING)
    if value is statics.MISSING:
        value = vars(builtins).get(first, statics.MISSING)
    if value is statics.MISSING:
        raise NotResolved(f"{first!r} is not defined in the running module")
    for index, name in enumerate(parts[1:], start=1):
        where = ".".join(parts[:index])
        found = statics.lookup(value, name)
        if found is None:
            module = " (a module __getattr__ may provide it: not called)"
            suffix = module if statics.is_a(value, types.ModuleType) else ""
            raise NotResolved(f"{where} has no attribute {name!r}{suffix}")
        value = statics.follow(value, found)
        if type(value) is statics.Descriptor and index < len(parts) - 1:
            kind = statics.type_name(value.descriptor)
            raise NotResolved(f"{where}.{name} is a {kind}: not called")
    return value


def describe(
    namespace: dict[str, Any],
    expression: str,
    limit: int,
    guard: Interruptible,
    run: Runner,
    *,
    attributes: bool,
) -> dict[str, Any]:
    """The ``inspect`` method's result for ``expression`` (docs/protocol.md)."""
    value = resolve(namespace, expression.split("."))
    if type(value) is statics.Descriptor:  # not isinstance: it would read __class__
        descriptor = value.descriptor
        return {
            "found": True,
            "expression": expression,
            "kind": "property",
            "type": statics.type_name(descriptor),
            "value": None,
            "truncated": False,
            "signature": None,
            "doc": _doc(descriptor),
        }
    deadline = time.monotonic() + REPR_TIME_LIMIT
    text, truncated = _repr(value, limit, guard, run, deadline)
    kind = kind_of(value)
    result: dict[str, Any] = {
        "found": True,
        "expression": expression,
        "kind": kind,
        "type": statics.type_name(value),
        "value": text,
        "truncated": truncated,
        "signature": signature(value, guard, run, deadline),
        "doc": _doc(value) if kind != "value" else None,  # a value's doc is its type's
    }
    if attributes:
        result["attributes"] = list_attributes(value)
    return result


def _repr(
    value: Any, limit: int, guard: Interruptible, run: Runner, deadline: float
) -> tuple[str, bool]:
    """The value's text within ``limit`` characters and the time left; and whether it was cut."""
    if _plain(value, limit):
        return repr(value), False
    left = deadline - time.monotonic()
    name = statics.type_name(value)
    if left <= 0:
        return f"<{name} object: no time left for its repr>", True
    try:
        shown = run(lambda: bounded_repr(value, limit, guard, left))
    except Exception as error:  # requests.UserCodeRaised: SystemExit, KeyboardInterrupt...
        raised = getattr(error, "error", error)
        return f"<{name} object: repr raised {statics.type_name(raised)}>", False
    return shown.text, shown.truncated


def _plain(value: Any, limit: int) -> bool:
    """A small value of a built-in type: its repr is the interpreter's, and short."""
    if not statics.exactly(value, _PLAIN):
        return False
    if statics.exactly(value, (str, bytes)):
        return len(value) <= limit // 4  # escapes make a repr up to 4 times longer
    return not statics.exactly(value, (int,)) or value.bit_length() <= 64


def _doc(value: Any) -> str | None:
    doc = statics.doc(value)
    if not doc:
        return None
    doc = inspect.cleandoc(doc)
    return doc if len(doc) <= _DOC_LIMIT else doc[:_DOC_LIMIT] + "..."


def signature(value: Any, guard: Interruptible, run: Runner, deadline: float) -> str | None:
    """``(x, y=1, *, z) -> int`` of a Python function, method or class, from its code object.

    Built-in callables give theirs from the text signature the interpreter
    stores. Defaults that are not plain values are shown by their repr, under
    the same guard as the value's.
    """
    if statics.is_a(value, type):
        for name in ("__init__", "__new__"):
            found = statics.in_mro(value, name)
            if statics.is_a(found, (types.FunctionType, staticmethod)):
                function = found if name == "__init__" else statics.follow(value, _static(found))
                return _function_signature(function, guard, run, deadline, skip_first=True)
        return None
    parts = statics.function_parts(value)
    if parts is not None:
        return _function_signature(value, guard, run, deadline, skip_first=parts[3])
    if statics.exactly(value, statics.ROUTINES):
        try:  # the interpreter's own: parsed from its __text_signature__, nothing runs
            return str(inspect.signature(value))
        except (TypeError, ValueError):
            return None
    return None


def _static(entry: Any) -> statics.Found:
    return statics.Found(entry, "class")


def _function_signature(
    function: Any, guard: Interruptible, run: Runner, deadline: float, *, skip_first: bool
) -> str | None:
    parts = statics.function_parts(function)
    if parts is None:
        return None
    code, defaults, keyword_defaults, _ = parts
    notes = statics.annotations_of(function)

    def shown(value: Any) -> str:
        return _repr(value, _DEFAULT_LIMIT, guard, run, deadline)[0]

    def parameter(name: str, default: Any = MISSING, prefix: str = "") -> str:
        text = prefix + name
        if name in notes:
            text += f": {_annotation(notes[name], shown)}"
        if default is not MISSING:
            text += (" = " if name in notes else "=") + shown(default)
        return text

    positional = code.co_varnames[: code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    first_default = len(positional) - len(defaults)
    # A bound method's first parameter (self, cls) is not the caller's to pass.
    skipped = 1 if skip_first and positional else 0
    pieces = []
    for index, name in enumerate(positional):
        if index >= skipped:
            default = defaults[index - first_default] if index >= first_default else MISSING
            pieces.append(parameter(name, default))
        if index + 1 == code.co_posonlyargcount and index >= skipped:
            pieces.append("/")
    rest = code.co_argcount + code.co_kwonlyargcount
    if code.co_flags & inspect.CO_VARARGS:
        pieces.append(parameter(code.co_varnames[rest], prefix="*"))
        rest += 1
    elif keyword_only:
        pieces.append("*")
    for name in keyword_only:
        pieces.append(parameter(name, keyword_defaults.get(name, MISSING)))
    if code.co_flags & inspect.CO_VARKEYWORDS:
        pieces.append(parameter(code.co_varnames[rest], prefix="**"))
    returns = f" -> {_annotation(notes['return'], shown)}" if "return" in notes else ""
    return f"({', '.join(pieces)}){returns}"


def _annotation(note: Any, shown: Callable[[Any], str]) -> str:
    text = statics.text(note)
    if text is not None:
        return text
    if statics.is_a(note, type):
        return statics.class_name(note)
    return shown(note)


def list_attributes(value: Any) -> list[dict[str, str]]:
    """The names ``dir(value)`` would list, each with its kind, read from the namespaces."""
    found = []
    for name in statics.names(value)[:ATTRIBUTE_LIMIT]:
        entry = statics.lookup(value, name)
        if entry is None:
            continue
        stored = entry.value
        if entry.place == "own":
            kind = kind_of(stored)
        elif statics.is_a(stored, property):
            kind = "property"
        elif statics.is_a(stored, (staticmethod, classmethod)):
            kind = "function"
        else:
            kind = kind_of(stored)
        found.append({"name": name, "kind": kind})
    return found
