"""A changed pydantic model's subclasses, and the live data its new shape rejects.

Subclasses copied the model's fields and validators when they were created
(``ItemCreate(ItemBase)``, ``ItemOut(ItemBase)``: FastAPI's tutorial). A
fresh start makes them again from their own statements, on the new base; so
does the patch: once the base is rebuilt, each subclass's class statement
runs again (from the text its module runs), parents before children, and
the live subclass is rebuilt from it in place. A subclass splice cannot
read (made by a function, a generic parametrisation, ``create_model``)
refuses the patch, as before.

A model's new constraints may reject data the program already holds
(``Field(gt=1)`` while ``ITEMS`` holds a price of 0.5): a fresh start would
fail where that data is made. The live instances are validated against the
new model while planning, and a ``pydantic-live-data-invalid`` warning names
the field and where the data is held.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pydantic

from splice.adapters._classes import instances
from splice.engine.baselines.store import baseline_outline, source_path
from splice.engine.hooks import ClassClaim
from splice.engine.outline.definitions import Definition, Outline, parse_definitions


class Subclass:
    """A live subclass and how to run its class statement again in its module."""

    def __init__(
        self, live: type, module: ModuleType, definition: Definition, filename: str, flags: int
    ) -> None:
        self.live = live
        self.module = module
        self.definition = definition
        self.filename = filename
        self.flags = flags

    def build(self) -> Any:
        """The subclass made again from its statement, on the (rebuilt) live base."""
        from splice.engine.objects.pieces import compile_to_run, run_definition

        code = compile_to_run(self.definition.node, [], self.filename, self.flags)
        return run_definition(code, [], [], self.module)[self.definition.name]


def subclasses(claim: ClassClaim, model: type) -> tuple[list[Subclass], list[str]]:
    """Every subclass of ``model``, parents first, with its statement; and those without one."""
    found: list[type] = []
    pending: list[type] = list(model.__subclasses__())
    while pending:
        cls = pending.pop(0)
        if cls not in found:
            found.append(cls)
            pending.extend(cls.__subclasses__())
    found.sort(key=lambda cls: len(cls.__mro__))
    ready, unreadable = [], []
    for cls in found:
        if _replaced(cls):
            continue  # an older class of that name (or a scratch copy): no fresh start makes it
        source = _statement_of(claim, cls)
        if source is None:
            unreadable.append(cls.__qualname__)
        else:
            ready.append(source)
    return ready, unreadable


def _replaced(cls: type) -> bool:
    """Whether the module now binds another class under this class's own name and qualname."""
    module = sys.modules.get(cls.__module__)
    if module is None or "." in cls.__qualname__:
        return False
    current = vars(module).get(cls.__name__)
    return (
        isinstance(current, type)
        and current is not cls
        and current.__qualname__ == cls.__qualname__
        and current.__module__ == cls.__module__
    )


def _statement_of(claim: ClassClaim, cls: type) -> Subclass | None:
    metadata = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    if "." in cls.__qualname__ or metadata.get("origin") is not None:
        return None  # made inside a function or a class, or a parametrised generic
    module = sys.modules.get(cls.__module__)
    if module is None:
        return None
    if module is claim.module:
        outline: Outline | None = claim.plan.outline or claim.planner.new
        filename = claim.plan.filename
    else:
        path = source_path(module)
        if path is None:
            return None
        filename = path
        outline = baseline_outline(module.__name__, path) or _parsed(path)
    if outline is None:
        return None
    definition = outline.definitions.get(cls.__qualname__)
    if (
        definition is None
        or definition.kind != "class"
        or vars(module).get(cls.__name__) is not cls
    ):
        return None
    return Subclass(cls, module, definition, filename, outline.future_flags)


def _parsed(path: str) -> Outline | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return parse_definitions(stream.read(), path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def rejected_data(claim: ClassClaim, new: Any, family: list[type]) -> tuple[str, int] | None:
    """A warning (message, line) when live instances of ``family`` fail the new model's validation."""
    fields = new.__pydantic_fields__
    failures: list[tuple[Any, pydantic.ValidationError]] = []
    for cls in family:
        for instance in instances(cls):
            values = {name: value for name, value in vars(instance).items() if name in fields}
            try:
                new.__pydantic_validator__.validate_python(values)
            except pydantic.ValidationError as rejected:
                failures.append((instance, rejected))
    if not failures:
        return None
    first = failures[0][1].errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else None
    reason = f"{'.'.join(str(part) for part in first.get('loc', ()))}: {first.get('msg')}"
    held = sorted({name for item, _ in failures for name in _holders(item)})
    where = (
        f" (held by {', '.join(held[:3])}{' and more' if len(held) > 3 else ''})" if held else ""
    )
    count = len(failures)
    message = (
        f"{claim.qualname}: {count} live instance{'s' if count > 1 else ''} no longer "
        f"validate{'' if count > 1 else 's'} under the new model{where}: {reason}. "
        "They keep their data; a fresh start would fail where that data is made. "
        "Fix the data or the constraint"
    )
    return message, _field_line(claim.new, field)


def _field_line(definition: Definition, field: str | None) -> int:
    for statement in definition.statements:
        node = statement.node
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id == field:
            return statement.line
    return definition.line


def _holders(instance: Any) -> Iterator[str]:
    """``module.NAME`` for each module-level name holding ``instance`` (or a container of it)."""
    for module in list(sys.modules.values()):
        if not issubclass(type(module), ModuleType):
            continue
        for name, value in list(vars(module).items()):
            if value is instance or _contains(value, instance):
                yield f"{module.__name__}.{name}"


def _contains(value: Any, instance: Any) -> bool:
    kind = type(value)
    if kind in (list, tuple, set, frozenset):
        return any(item is instance for item in value)
    if kind is dict:
        return any(item is instance for item in value.values())
    return False
