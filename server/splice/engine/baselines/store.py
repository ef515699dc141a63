"""The source text each module really runs: what every patch is diffed against.

A baseline is recorded when a module is imported after ``watch_imports()``
(or by a host that runs a script), and advances after every applied patch.
A module imported earlier has none: the engine then compares against the live
objects themselves, since its file may already hold the new text.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

from splice.engine.outline.definitions import Outline, parse_definitions
from splice.engine.result import Finding

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_sources: dict[str, str] = {}
_outlines: dict[str, Outline] = {}
#: Per module: what a patch without a baseline could not verify. The baseline
#: holds for everything else; these findings are repeated until resolved.
_unverified: dict[str, tuple[Finding, ...]] = {}
#: Per module: the baselines before the current one, oldest first (for undo).
_history: dict[str, list[str]] = {}
#: How many earlier baselines of a module are kept.
HISTORY_DEPTH = 10
_finder: _BaselineFinder | None = None
#: Called with (module name, file) after a module with a source file is imported.
_import_listeners: list[Callable[[str, str], None]] = []


def reset_baseline_lock() -> None:
    """After a fork, replace a lock that another thread may have held."""
    global _lock
    _lock = threading.Lock()


def remember_baseline(name: str, source: str, outline: Outline | None = None) -> None:
    """Record ``source`` as the text that module ``name`` runs now."""
    with _lock:
        previous = _sources.get(name)
        if previous is not None and previous != source:
            history = _history.setdefault(name, [])
            history.append(previous)
            del history[:-HISTORY_DEPTH]
        _sources[name] = source
        _unverified.pop(name, None)
        if outline is None:
            _outlines.pop(name, None)
        else:
            _outlines[name] = outline


def forget_baseline(name: str) -> None:
    with _lock:
        _sources.pop(name, None)
        _history.pop(name, None)
        _outlines.pop(name, None)
        _unverified.pop(name, None)


def earlier_baselines(name: str) -> tuple[str, ...]:
    """The texts module ``name`` ran before its current baseline, oldest first."""
    return tuple(_history.get(name, ()))


def drop_earlier_baselines(name: str, count: int) -> None:
    """Forget the ``count`` most recent earlier baselines (an undo has used them up)."""
    with _lock:
        history = _history.get(name)
        if history is not None and count > 0:
            del history[-count:]


def remember_unverified(name: str, findings: Sequence[Finding]) -> None:
    """Record what the baseline of ``name`` does not vouch for (see ``_unverified``)."""
    with _lock:
        if findings:
            _unverified[name] = tuple(findings)
        else:
            _unverified.pop(name, None)


def unverified_findings(name: str) -> tuple[Finding, ...]:
    return _unverified.get(name, ())


def baseline_source(name: str) -> str | None:
    return _sources.get(name)


def has_baseline(name: str) -> bool:
    return name in _sources


def baseline_outline(name: str, filename: str) -> Outline | None:
    """The parsed baseline, parsed at most once per baseline."""
    outline = _outlines.get(name)
    if outline is not None:
        return outline
    source = _sources.get(name)
    if source is None:
        return None
    try:
        outline = parse_definitions(source, filename)
    except SyntaxError:
        return None
    with _lock:
        if _sources.get(name) is source:
            _outlines[name] = outline
    return outline


def parsed_baseline(name: str) -> Outline | None:
    """The baseline's outline if it is parsed already (never parses)."""
    return _outlines.get(name)


def source_path(module: ModuleType) -> str | None:
    """The real path of the module's Python source file, or None."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) if spec is not None else None
    path = origin if isinstance(origin, str) and origin.endswith(".py") else None
    if path is None:
        file = getattr(module, "__file__", None)
        path = file if isinstance(file, str) and file.endswith(".py") else None
    if path is None or not os.path.isfile(path):
        return None
    return os.path.realpath(path)


def add_import_listener(listener: Callable[[str, str], None]) -> None:
    """Call ``listener(name, real_path)`` after each module with a source is imported."""
    with _lock:
        if listener not in _import_listeners:
            _import_listeners.append(listener)


def remove_import_listener(listener: Callable[[str, str], None]) -> None:
    with _lock:
        if listener in _import_listeners:
            _import_listeners.remove(listener)


def watch_imports() -> None:
    """From now on, record the baseline of every module imported. Idempotent."""
    global _finder
    with _lock:
        if _finder is not None and _finder in sys.meta_path:
            return
        _finder = _BaselineFinder()
        sys.meta_path.insert(0, _finder)


def unwatch_imports() -> None:
    global _finder
    with _lock:
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None


class _BaselineFinder(importlib.abc.MetaPathFinder):
    """Asks the other finders, then wraps the source loader's ``exec_module``.

    The wrapper is set on the loader instance (one per module), so the loader's
    type and everything that inspects it stay as they were.
    """

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                loader = spec.loader
                if isinstance(loader, importlib.machinery.SourceFileLoader):
                    _record_on_exec(loader)
                return spec
        return None


def _record_on_exec(loader: importlib.machinery.SourceFileLoader) -> None:
    original = loader.exec_module

    def exec_module(module: ModuleType) -> None:
        name = module.__name__
        try:
            source = importlib.util.decode_source(loader.get_data(loader.path))
        except (OSError, SyntaxError, UnicodeDecodeError):
            source = None
        if source is not None:
            remember_baseline(name, source)
        original(module)
        if source is not None:
            notify_imported(name, os.path.realpath(loader.path))

    loader.exec_module = exec_module  # type: ignore[method-assign]


def notify_imported(name: str, path: str) -> None:
    """Tell the import listeners that module ``name`` ran ``path`` (hosts that run a file themselves)."""
    for listener in list(_import_listeners):
        try:
            listener(name, path)
        except Exception:  # a listener must never break the user's import
            logger.exception("import listener failed for %s", name)
