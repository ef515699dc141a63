"""What the plugin does inside one Dask worker: patch the modules a file runs as.

Standard library and the engine only, so it can be read (and tested) without
a cluster. The worker keeps the latest text patched into each file: a module
it imports afterwards from a stale copy of that file (a worker whose disk is
not the editor's) is brought up to that text as soon as its import finishes.
"""

from __future__ import annotations

import sys
import threading
import types
import weakref
from collections.abc import Mapping, Sequence

from splice.engine.baselines import store
from splice.engine.result import PatchResult
from splice.logs import get_logger

logger = get_logger(__name__)


class WorkerPatcher:
    """The agent-equivalent of one worker process, without a socket of its own."""

    def __init__(self) -> None:
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()
        self._started = False
        self._paths = SourcePaths()

    def start(self) -> None:
        """Record baselines of every module imported from now on (idempotent)."""
        if self._started:
            return
        store.watch_imports()
        store.add_import_listener(self._imported)
        self._started = True

    def stop(self) -> None:
        # The import hook stays: another splice host in this process may rely on it.
        store.remove_import_listener(self._imported)
        self._started = False

    def latest(self) -> dict[str, str]:
        with self._lock:
            return dict(self._latest)

    def remember(self, sources: Mapping[str, str]) -> None:
        with self._lock:
            self._latest.update(sources)

    def patch_file(
        self,
        file: str,
        source: str,
        only: Sequence[str] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[PatchResult]:
        """Patch every loaded module whose source is ``file``; one result per module.

        No result means no module runs that file here yet; when it is imported
        later it gets ``source`` (unless the patch was a dry run).
        """
        import splice

        results = [
            splice.patch_module(name, source, only, dry_run=dry_run)
            for name in self._paths.modules_running(file)
        ]
        if not dry_run and only is None and all(result.ok for result in results):
            self.remember({file: source})
        return results

    def apply_latest(self) -> list[PatchResult]:
        """Bring loaded modules up to the latest text of their file (at worker start-up).

        Also resolves the path of every loaded module once, so the first save is fast.
        """
        self._paths.modules_running("")
        latest = self.latest()
        results = []
        for file, source in latest.items():
            for name in self._paths.modules_running(file):
                if store.baseline_source(name) != source:
                    results.append(_patch_logged(name, source))
        return results

    def _imported(self, name: str, path: str) -> None:
        # Runs in the importing thread, inside the import: the module is not in use yet.
        with self._lock:
            source = self._latest.get(path)
        if source is not None and store.baseline_source(name) != source:
            _patch_logged(name, source)


class SourcePaths:
    """Which loaded modules run which file, with each module's real path resolved once.

    Resolving a path costs a few system calls; a worker has hundreds of
    modules, and a scan that resolved them all on every save would cost more
    than the patch itself (about 50 ms for 600 modules on a busy machine).
    """

    def __init__(self) -> None:
        # Weak: a module dropped from sys.modules must not be kept alive by us.
        self._known: dict[str, tuple[weakref.ref[types.ModuleType], str | None]] = {}

    def modules_running(self, file: str) -> list[str]:
        """Names of the loaded modules whose real source path is ``file``."""
        names = []
        for name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType):
                continue
            known = self._known.get(name)
            if known is None or known[0]() is not module:
                known = (weakref.ref(module), _source_path(module))
                self._known[name] = known
            if known[1] == file:
                names.append(name)
        return sorted(names)


def _source_path(module: types.ModuleType) -> str | None:
    try:
        return store.source_path(module)
    except Exception:  # a module with a hostile __getattr__ is not ours to patch
        return None


def _patch_logged(name: str, source: str) -> PatchResult:
    import splice

    result = splice.patch_module(name, source)
    if result.ok:
        logger.info("splice: %s", result.summary())
    else:
        logger.warning("splice: %s", result.summary())
    return result
