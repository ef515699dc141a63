"""Helpers for engine tests: real modules written to a temporary folder, imported, patched."""

from __future__ import annotations

import enum
import importlib
import itertools
import linecache
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import splice
from splice.engine.baselines.store import forget_baseline, remember_baseline
from splice.engine.result import PatchResult

CASES = Path(__file__).parent / "cases"
T = TypeVar("T")


class Mode(enum.Enum):
    """The default of ``Live.load(baseline=...)``: whatever mode the fixture runs in."""

    FIXTURE = "fixture"


_counter = itertools.count()


class Live:
    """Writes, imports and patches uniquely named modules in one temporary folder."""

    def __init__(self, folder: Path, *, baseline: bool = True) -> None:
        self.folder = folder
        #: The mode: modules load with a recorded baseline, or as if imported before splice.
        self.baseline = baseline
        self.names: list[str] = []

    def path(self, module: ModuleType) -> Path:
        return Path(module.__file__ or "")

    def load(
        self, source: str, *, baseline: bool | None | Mode = Mode.FIXTURE, prefix: str = "live"
    ) -> ModuleType:
        """Import ``source`` as a fresh module.

        ``baseline``: True records the source as its baseline, False makes sure
        it has none (as if imported before splice), None leaves it to import
        hooks; by default, the fixture's mode decides.
        """
        if baseline is Mode.FIXTURE:
            baseline = self.baseline
        name = f"splice_{prefix}_{next(_counter)}"
        text = textwrap.dedent(source)
        path = self.folder / f"{name}.py"
        path.write_text(text)
        self.names.append(name)
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))
        importlib.invalidate_caches()
        if baseline:
            remember_baseline(name, text)
        module = importlib.import_module(name)
        if baseline is False:
            forget_baseline(name)
        return module

    def patch(self, module: ModuleType, source: str, **options: object) -> PatchResult:
        """Save ``source`` to the module's file (as an editor would) and patch the module."""
        text = textwrap.dedent(source)
        self.path(module).write_text(text)
        return splice.patch_module(module, text, **options)  # type: ignore[arg-type]

    def repatch(self, module: ModuleType, source: str, **options: object) -> PatchResult:
        """``patch``, in the no-baseline mode as if the earlier patches had not recorded one."""
        if not self.baseline:
            forget_baseline(module.__name__)
        return self.patch(module, source, **options)

    def either(self, baseline: T, no_baseline: T) -> T:
        """The expectation of this mode: the two differ only where docs/edits.md says so."""
        return baseline if self.baseline else no_baseline

    def fresh(self, source: str) -> ModuleType:
        """A separate, freshly imported module running ``source``: what a restart would give."""
        return self.load(source, baseline=False, prefix="fresh")

    def case(self, name: str) -> tuple[str, str]:
        folder = CASES / name
        return (folder / "before.py").read_text(), (folder / "after.py").read_text()

    def cleanup(self) -> None:
        for name in self.names:
            sys.modules.pop(name, None)
            forget_baseline(name)
        while str(self.folder) in sys.path:
            sys.path.remove(str(self.folder))
        for path in self.folder.glob("*.py"):
            linecache.cache.pop(str(path), None)


def ok(result: PatchResult) -> PatchResult:
    """The result, after asserting it applied; its findings are in the failure message."""
    assert result.ok, result.errors
    return result


def codes(findings: tuple[object, ...]) -> list[str]:
    return [finding.code for finding in findings]  # type: ignore[attr-defined]
