"""One save sent to many processes as an edit of the text they run, not the whole text.

A ``patch`` request may carry ``edit`` instead of ``source``: the digest of
the baseline it applies to, how many characters of it stay at the start and
at the end, the text in between, and the digest of the result. The process
applies it only to a baseline with exactly that digest and checks the
result's digest, so the text it patches is exactly the sender's; anything
else is refused and the sender sends the whole text. Computed once per save,
the edit is what every process of a program receives: a few hundred bytes to
decode instead of the whole file (docs/protocol.md, "patch").
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any


class EditMismatch(ValueError):
    """The edit is not for the text this process runs."""


#: id(text) -> (text, its digest): a baseline's digest is computed once, as the
#: result of the edit that made it (the text is kept, so the id stays its own).
_known: dict[int, tuple[str, str]] = {}
_KNOWN_LIMIT = 64
_lock = threading.Lock()


def digest(text: str) -> str:
    known = _known.get(id(text))
    if known is not None and known[0] is text:
        return known[1]
    value = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if len(text) > 4096:
        with _lock:
            if len(_known) >= _KNOWN_LIMIT:
                _known.pop(next(iter(_known)))
            _known[id(text)] = (text, value)
    return value


def make_edit(old: str, new: str) -> dict[str, Any]:
    """The edit that turns ``old`` into ``new`` (the ``edit`` param of ``patch``)."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, prefix)
    return {
        "baseline": digest(old),
        "prefix": prefix,
        "suffix": suffix,
        "text": new[prefix : len(new) - suffix],
        "digest": digest(new),
    }


_last: list[tuple[str, str, dict[str, Any]]] = []


def edit_between(old: str, new: str) -> dict[str, Any]:
    """``make_edit``, computed once for a save sent to many processes."""
    last = _last[0] if _last else None
    if last is not None and last[0] is old and last[1] is new:
        return last[2]
    edit = make_edit(old, new)
    _last[:] = [(old, new, edit)]
    return edit


def apply_edit(baseline: str | None, edit: Any) -> str:
    """The text ``edit`` makes of ``baseline``; EditMismatch unless it is exactly the sender's."""
    if not isinstance(edit, dict):
        raise EditMismatch("'edit' must be an object")
    prefix, suffix, text = edit.get("prefix"), edit.get("suffix"), edit.get("text")
    if not (
        isinstance(prefix, int)
        and isinstance(suffix, int)
        and isinstance(text, str)
        and not isinstance(prefix, bool)
        and not isinstance(suffix, bool)
    ):
        raise EditMismatch("'edit' needs integer 'prefix' and 'suffix' and a string 'text'")
    if baseline is None:
        raise EditMismatch("no baseline to apply an edit to")
    if edit.get("baseline") != digest(baseline):
        raise EditMismatch("the edit is for another text than this process runs")
    if prefix < 0 or suffix < 0 or prefix + suffix > len(baseline):
        raise EditMismatch("the edit does not fit the baseline")
    new = baseline[:prefix] + text + baseline[len(baseline) - suffix :]
    if edit.get("digest") != digest(new):
        raise EditMismatch("the edited text is not the sender's")
    return new


def _common_prefix(old: str, new: str) -> int:
    # Binary search over slice comparisons: C speed, whatever the texts' size.
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(old: str, new: str, prefix: int) -> int:
    low, high = 0, min(len(old), len(new)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low
