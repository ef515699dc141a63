"""The source text each module really runs: what every patch is diffed against.

A baseline is recorded when a module is imported after ``watch_imports()``
(or by a host that runs a script), and advances after every applied patch.
A module imported earlier has none: the engine then compares against the live
objects themselves, since its file may already hold the new text.

Only the user's own code (``scope.in_user_scope``: not the standard library,
site-packages or splice) is read at import. For every other module the hook
keeps the file's identity as the module ran (modification time in ns, size,
inode); its text is read when a request needs it, and becomes the baseline
only if the file is still exactly that file, else the module has none. A
large application then keeps the text of its own code, not of its libraries.

Importing this module loads no parser: the engine comes with the first patch.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

from splice.engine.baselines import scope
from splice.logs import get_logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from splice.engine.outline.definitions import Outline
    from splice.engine.result import Finding

logger = get_logger(__name__)

_lock = threading.Lock()
_sources: dict[str, str] = {}
#: (modification time in ns, size, inode) of a file.
Signature = tuple[int, int, int]
#: Per module outside the user's code: its file and the file's signature when
#: the module ran. Its text is read on demand (``baseline_source``).
_deferred: dict[str, tuple[str, Signature]] = {}
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
        _deferred.pop(name, None)
        _unverified.pop(name, None)
        if outline is None:
            _outlines.pop(name, None)
        else:
            _outlines[name] = outline


def forget_baseline(name: str) -> None:
    with _lock:
        _sources.pop(name, None)
        _deferred.pop(name, None)
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
    source = _sources.get(name)
    if source is None and name in _deferred:
        return _read_deferred(name)
    return source


def has_baseline(name: str) -> bool:
    if name in _sources:
        return True
    entry = _deferred.get(name)
    if entry is None:
        return False
    if file_signature(entry[0]) == entry[1]:
        return True
    _drop_deferred(name, entry)
    return False


def deferred_baselines() -> int:
    """How many modules' baselines are kept as a file's signature, their text unread."""
    return len(_deferred)


def baseline_outline(name: str, filename: str) -> Outline | None:
    """The parsed baseline, parsed at most once per baseline."""
    outline = _outlines.get(name)
    if outline is not None:
        return outline
    source = baseline_source(name)
    if source is None:
        return None
    from splice.engine.outline.definitions import parse_definitions

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


def _read_deferred(name: str) -> str | None:
    """The text of a module outside the user's code, if its file is still what the module ran."""
    entry = _deferred.get(name)
    if entry is None:
        return _sources.get(name)
    path, signature = entry
    text = None
    try:
        if file_signature(path) == signature:
            with open(path, "rb") as stream:
                data = stream.read()
            # Checked again after reading: a write in between changes the signature.
            if file_signature(path) == signature:
                text = importlib.util.decode_source(data)
    except (OSError, SyntaxError, UnicodeDecodeError):
        text = None
    with _lock:
        if _deferred.get(name) is not entry:
            return _sources.get(name)  # another thread settled it meanwhile
        del _deferred[name]
        if text is not None:
            _sources[name] = text
    return text


def _drop_deferred(name: str, entry: tuple[str, Signature]) -> None:
    with _lock:
        if _deferred.get(name) is entry:
            del _deferred[name]


def file_signature(path: str) -> Signature | None:
    """What changes when a file is written or replaced: modification time (ns), size and inode."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


def source_path(module: ModuleType) -> str | None:
    """The real path of the module's Python source file, or None."""
    path = source_origin(module)
    if path is None or not os.path.isfile(path):
        return None
    return scope.real_path(path)


def source_origin(module: ModuleType) -> str | None:
    """The path the module says its Python source is at, unchecked (no system call)."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) if spec is not None else None
    if isinstance(origin, str) and origin.endswith(".py"):
        return origin
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) and file.endswith(".py") else None


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
    # Before the hook: what finding the roots imports (sysconfig) must not meet it.
    scope.foreign_roots()
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


class _BaselineFinder:
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
        path = loader.path
        try:
            status: os.stat_result | None = os.lstat(path)
        except OSError:
            status = None
        # One system call for most modules: no link, so its folder says whose it is.
        if status is not None and os.path.isabs(path) and not stat.S_ISLNK(status.st_mode):
            real, users = scope.folder_file(path)
        else:
            real, users = scope.user_file(path)
            status = None
        recorded = False
        if users:
            try:
                source = decode_source(loader.get_data(path))
            except (OSError, SyntaxError, UnicodeDecodeError):
                source = None
            if source is not None:
                remember_baseline(name, source)
                recorded = True
        else:
            # Before the module runs: a write from here on changes the signature.
            signature = (
                file_signature(path)
                if status is None
                else (status.st_mtime_ns, status.st_size, status.st_ino)
            )
            if signature is not None:
                with _lock:
                    _sources.pop(name, None)
                    _outlines.pop(name, None)
                    _deferred[name] = (path, signature)
                recorded = True
        original(module)
        if recorded and _import_listeners:
            notify_imported(name, real)

    loader.exec_module = exec_module  # type: ignore[method-assign]


def decode_source(data: bytes) -> str:
    """``importlib.util.decode_source``, without its encoding detection for plain UTF-8.

    With no byte order mark, no coding declaration in the first two lines and
    no carriage return, the two give the same text; text that is not UTF-8 gets
    its error from ``decode_source`` (a SyntaxError when it is in the first lines).
    """
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    head = data if second < 0 else data[:second]
    if data.startswith(b"\xef\xbb\xbf") or b"coding" in head or b"\r" in data:
        return importlib.util.decode_source(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return importlib.util.decode_source(data)


def notify_imported(name: str, path: str) -> None:
    """Tell the import listeners that module ``name`` ran ``path`` (hosts that run a file themselves)."""
    for listener in list(_import_listeners):
        try:
            listener(name, path)
        except Exception:  # a listener must never break the user's import
            logger.exception("import listener failed for %s", name)
