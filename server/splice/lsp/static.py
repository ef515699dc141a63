"""jedi -> splice: the static side of hover and completion (signatures, docs, names).

jedi is error tolerant and needs no running program; it runs on a worker
thread so a slow inference never holds up the server's loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaticName:
    name: str
    kind: str  # jedi's type: module, class, instance, function, param, path, keyword, property, statement
    detail: str


def _script(text: str, path: str) -> object:
    import jedi  # type: ignore[import-untyped]

    return jedi.Script(text, path=path)


def _hover(text: str, path: str, line: int, column: int) -> str | None:
    script = _script(text, path)
    try:
        names = script.help(line, column)  # type: ignore[attr-defined]
    except Exception:  # jedi fails on some inputs: a hover is not worth an error
        logger.debug("jedi help failed", exc_info=True)
        return None
    for name in names:
        signatures = [signature.to_string() for signature in name.get_signatures()]
        doc = name.docstring(raw=True)
        head = (
            f"```python\n{signatures[0]}\n```"
            if signatures
            else f"```python\n{name.description}\n```"
        )
        return f"{head}\n\n{doc}" if doc else head
    return None


def _complete(text: str, path: str, line: int, column: int) -> list[StaticName]:
    script = _script(text, path)
    try:
        completions = script.complete(line, column)  # type: ignore[attr-defined]
    except Exception:
        logger.debug("jedi complete failed", exc_info=True)
        return []
    return [StaticName(item.name, item.type, item.description) for item in completions]


async def static_hover(text: str, path: str, line: int, column: int) -> str | None:
    """jedi's signature and docstring at 1-based ``line``, 0-based ``column``."""
    return await asyncio.to_thread(_hover, text, path, line, column)


async def static_completions(text: str, path: str, line: int, column: int) -> list[StaticName]:
    return await asyncio.to_thread(_complete, text, path, line, column)
