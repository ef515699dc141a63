"""Frozen records, as ``@dataclass(frozen=True)`` makes them, without importing ``dataclasses``.

Every process that starts an agent pays for what ``listen()`` imports, and
``splice patch`` for what it imports: ``dataclasses`` brings ``inspect``
(with ``ast`` and ``dis``: about 5 ms), then costs about 0.8 ms per class it
defines. The values those paths build are ``Record`` subclasses instead:
fields are the class's annotations, in order, and a class value is a field's
default. They are dataclasses to ``dataclasses`` all the same
(``is_dataclass``, ``fields``, ``replace``, ``asdict`` accept them, and a
``@dataclass`` may subclass them): their ``__dataclass_fields__`` and
``__dataclass_params__`` are made, with ``dataclasses``, on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    from typing_extensions import dataclass_transform

    R = TypeVar("R", bound="Record")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


_MISSING = object()


class _DataclassAttribute:
    """``__dataclass_fields__`` or ``__dataclass_params__``: those of a dataclass of the
    same fields, made when first asked (a real dataclass may also subclass a record)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type[Record]) -> Any:
        shadow = owner.__dict__.get("_dataclass_shadow")
        if shadow is None:
            import dataclasses

            specs = [
                (
                    name,
                    owner._types.get(name, "object"),
                    dataclasses.field(
                        default=owner._defaults.get(name, dataclasses.MISSING),
                        compare=name not in owner._uncompared,
                    ),
                )
                for name in owner._fields
            ]
            shadow = dataclasses.make_dataclass(owner.__name__, specs, frozen=True)
            owner._dataclass_shadow = shadow
        return vars(shadow)[self.name]


@dataclass_transform(frozen_default=True)
class Record:
    """A frozen value: keyword or positional ``__init__``, ``__eq__``, ``__hash__``, ``__repr__``.

    ``__post_init__`` runs after ``__init__`` when a subclass defines it (it may
    set fields with ``object.__setattr__``); ``_uncompared`` names fields that
    equality and hashing leave out.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _types: ClassVar[dict[str, str]] = {}
    _uncompared: ClassVar[tuple[str, ...]] = ()
    _dataclass_shadow: ClassVar[type | None] = None
    __match_args__: ClassVar[tuple[str, ...]] = ()
    __dataclass_fields__: ClassVar[Any] = _DataclassAttribute("__dataclass_fields__")
    __dataclass_params__: ClassVar[Any] = _DataclassAttribute("__dataclass_params__")

    def __init_subclass__(cls) -> None:
        # With ``from __future__ import annotations`` these are strings: no evaluation here.
        own = cls.__dict__.get("__annotations__")
        if own is None:  # 3.14 computes a class's annotations on demand
            own = getattr(cls, "__annotations__", {})
        own = {name: kind for name, kind in own.items() if not name.startswith("_")}
        cls._fields = tuple(dict.fromkeys([*cls._fields, *own]))
        cls.__match_args__ = cls._fields  # type: ignore[misc]
        cls._types = {**cls._types, **{name: str(kind) for name, kind in own.items()}}
        cls._defaults = {
            **cls._defaults,
            **{name: cls.__dict__[name] for name in own if name in cls.__dict__},
        }
        for position, name in enumerate(cls._fields):
            if name not in cls._defaults and any(
                earlier in cls._defaults for earlier in cls._fields[:position]
            ):
                raise TypeError(f"non-default argument {name!r} follows default argument")

    def __init__(self, *values: Any, **named: Any) -> None:
        kind = type(self)
        if len(values) > len(kind._fields):
            raise TypeError(
                f"{kind.__name__}() takes {len(kind._fields)} positional arguments"
                f" but {len(values)} were given"
            )
        for name, value in zip(kind._fields, values, strict=False):
            if name in named:
                raise TypeError(f"{kind.__name__}() got multiple values for argument {name!r}")
            named[name] = value
        for name in named:
            if name not in kind._fields:
                raise TypeError(f"{kind.__name__}() got an unexpected keyword argument {name!r}")
        state = self.__dict__
        for name in kind._fields:
            value = named.get(name, kind._defaults.get(name, _MISSING))
            if value is _MISSING:
                raise TypeError(f"{kind.__name__}() missing required argument: {name!r}")
            state[name] = value
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        # The dataclass's own error, which callers catch; loaded only on this misuse.
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _compared(self) -> tuple[Any, ...]:
        kind = type(self)
        return tuple(self.__dict__[name] for name in kind._fields if name not in kind._uncompared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in type(self)._fields)
        return f"{type(self).__qualname__}({shown})"


def replace(record: R, **changes: Any) -> R:
    """``dataclasses.replace`` without importing it: a copy with ``changes``, checked again."""
    values = {name: record.__dict__[name] for name in type(record)._fields}
    values.update(changes)
    return type(record)(**values)
