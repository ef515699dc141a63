"""A connection file's JSON text, as ``json.dumps(data, indent=2)`` writes it, without ``json``.

``json`` (with its decoder's patterns) is about 1.5 ms of every ``listen()``,
for a file of flat fields. Strings go through ``json``'s own C escaper
(``_json.encode_basestring_ascii``), numbers through the ``repr`` it uses;
``json`` itself writes anything else, and any interpreter without ``_json``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _escaper() -> Callable[[str], str] | None:
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # not CPython: json.dumps does it all
        return None
    return encode_basestring_ascii


_string = _escaper()


def dumps(data: dict[str, Any]) -> str:
    """``json.dumps(data, indent=2)`` for a dict of strings, numbers, booleans, None and lists of
    strings."""
    lines = [_member(key, value) for key, value in data.items()]
    if _string is None or None in lines:
        import json

        return json.dumps(data, indent=2)
    if not lines:
        return "{}"
    return "{\n" + ",\n".join(line for line in lines if line is not None) + "\n}"


def _member(key: object, value: object) -> str | None:
    if _string is None or not isinstance(key, str):
        return None
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            return None
        if not value:
            return f"  {_string(key)}: []"
        items = ",\n".join(f"    {_string(item)}" for item in value)
        return f"  {_string(key)}: [\n{items}\n  ]"
    scalar = _scalar(value)
    return None if scalar is None else f"  {_string(key)}: {scalar}"


def _scalar(value: object) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value) if _string is not None else None
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and value == value and value not in (float("inf"), float("-inf")):
        return float.__repr__(value)
    return None
