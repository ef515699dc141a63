"""The types of command arguments, checked strictly as pygls structures them.

pygls structures each positional argument of ``workspace/executeCommand``
with the annotation of the handler's parameter and answers ``InvalidParams``
when one does not fit. lsprotocol's own converter is lenient (``None``
becomes ``"None"``, ``1.5`` becomes ``1``), so the handlers' parameters use
these types, whose hooks accept only what the protocol sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NewType

import cattrs
from lsprotocol.converters import get_converter

#: A document's URI, as the client names it.
Uri = NewType("Uri", str)
#: An LSP line or character: 0-based, counted as the client counts.
Offset = NewType("Offset", int)
#: A finding's code or a qualname: any text.
Name = NewType("Name", str)


def _text(value: Any, _: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def _offset(value: Any, _: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a line or character number (0 or more), got {value!r}")
    return value


def _kernel(value: Any, _: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip():
        # A pid typed by a person often arrives as text.
        return int(value) if value.strip().isdigit() else value.strip()
    raise TypeError(f"expected a pid or a connection file path, got {value!r}")


_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {
    Uri: _text,
    Offset: _offset,
    Name: _text,
}


def make_converter() -> cattrs.Converter:
    """lsprotocol's converter, plus strict hooks for command arguments."""
    converter = get_converter()
    for kind, hook in _HOOKS.items():
        converter.register_structure_hook(kind, hook)
    return converter


def kernel_target(values: tuple[Any, ...]) -> int | str | None:
    """The optional kernel argument of ``splice.attach`` and ``splice.detach``.

    pygls cannot structure an optional positional argument (it wants every
    parameter), so these two commands take ``*values`` and check them here.
    """
    if len(values) > 1:
        raise TypeError(f"expected at most 1 argument, got {len(values)}")
    return _kernel(values[0], None) if values else None
