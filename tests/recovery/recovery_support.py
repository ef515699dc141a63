"""Helpers for the baseline-recovery tests: modules imported as if before splice, and the edits."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from splice.engine.baselines.recovery import forget_verdict
from splice.engine.baselines.store import forget_baseline, has_baseline, remember_baseline

_counter = itertools.count()

#: A user's module: two decorators of its own, a default, a function to delete.
MYMOD = """\
import functools


def shout(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return str(function(*args, **kwargs)).upper()

    return wrapper


def whisper(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return str(function(*args, **kwargs)).lower()

    return wrapper


def doomed():
    return "still here"


def greet(name="world"):
    return f"hello {name}"


@shout
def title():
    return "Title"


def area(radius):
    return 3 * radius * radius


def body():
    return "old body"
"""


def five_edits(source: str) -> str:
    """Delete a function, change a default, add an import, change a decorator, change a body."""
    edited = source.replace('def doomed():\n    return "still here"\n\n\n', "")
    edited = edited.replace('name="world"', 'name="splice"')
    edited = edited.replace("import functools\n", "import functools\nimport math\n")
    edited = edited.replace("return 3 * radius * radius", "return math.pi * radius * radius")
    edited = edited.replace("@shout\ndef title", "@whisper\ndef title")
    edited = edited.replace('"old body"', '"new body"')
    assert edited.count("\n") == source.count("\n") - 3, "an edit did not apply to the text"
    return edited


#: What the five edits must show when called, as Python expressions and reprs.
FIVE_EDITS_CHECK = (
    "(hasattr(mymod, 'doomed'), mymod.greet(), round(mymod.area(1), 5), mymod.title(), "
    "mymod.body())"
)
FIVE_EDITS_BEFORE = "(True, 'hello world', 3, 'TITLE', 'old body')"
FIVE_EDITS_AFTER = "(False, 'hello splice', 3.14159, 'title', 'new body')"


class Modules:
    """Writes uniquely named modules and imports them as if before splice (no baseline)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []

    def load(self, source: str, *, recorded: bool = False) -> ModuleType:
        """Import ``source`` bypassing import hooks; ``recorded`` records it as under splice."""
        name = f"splice_recovery_{next(_counter)}"
        text = textwrap.dedent(source)
        path = self.folder / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        self.names.append(name)
        spec.loader.exec_module(module)
        if recorded:
            remember_baseline(name, text)
        else:
            forget_baseline(name)
        assert has_baseline(name) == recorded
        return module

    def write(self, module: ModuleType, source: str) -> str:
        """Save new text to the module's file, as an editor would, before the agent looks."""
        text = textwrap.dedent(source)
        Path(module.__file__ or "").write_text(text)
        return text

    def cleanup(self) -> None:
        for name in self.names:
            sys.modules.pop(name, None)
            forget_baseline(name)
            forget_verdict(name)


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.05)


def module_entry(modules: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((entry for entry in modules if entry["name"] == name), None)


def settled(entries: Iterator[dict[str, Any]] | list[dict[str, Any]], name: str) -> Any:
    entry = module_entry(list(entries), name)
    if entry is None or entry.get("baseline") in (None, "pending", "none"):
        return None
    return entry
