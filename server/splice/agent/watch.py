"""``splice run --watch``: patch the running program whenever one of its files is saved.

Polling, standard library only. Each poll costs one ``os.stat`` per watched
file; a file is read only when its modification time, size or inode changed,
and patched only when its text differs from what was last patched. Editors
that save by writing a new file and renaming it over the old one change the
inode, and a file that is briefly missing is simply looked at again later.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from splice.agent.methods import escaped_result
from splice.engine.apply import patch_module
from splice.engine.baseline import add_import_listener, baseline_source, source_path
from splice.engine.result import PatchResult
from splice.errors import UnknownModuleError
from splice.report import describe_details, describe_result, file_label

logger = logging.getLogger(__name__)

#: Seconds between polls; a save shows up within this time.
POLL_INTERVAL = 0.2
#: A file changed this recently may still be being written: look again first.
_SETTLE_SECONDS = 0.03

Signature = tuple[int, int, int]


class Watcher:
    """Watches the source files of the modules under ``root`` and patches them."""

    def __init__(
        self,
        root: str,
        interval: float = POLL_INTERVAL,
        report: Callable[[PatchResult], None] | None = None,
    ) -> None:
        self.root = os.path.realpath(root)
        self.interval = interval
        self.report = report or print_result
        self._files: dict[str, set[str]] = {}  # real path -> module names
        self._signatures: dict[str, Signature] = {}
        self._patched_text: dict[str, str] = {}
        self._known_module_count = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._scan_modules()
        add_import_listener(self._on_import)
        self._thread = threading.Thread(target=self._run, name="splice-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def poll(self) -> list[PatchResult]:
        """Look at every watched file once; patch those that changed."""
        if len(sys.modules) != self._known_module_count:
            self._scan_modules()
        else:
            # A host replaces __main__ without changing the module count.
            main = sys.modules.get("__main__")
            path = source_path(main) if main is not None else None
            if path is not None:
                self._track("__main__", path)
        results = []
        with self._lock:
            files = list(self._files.items())
        for path, names in files:
            signature = _signature(path)
            if signature is None or signature == self._signatures.get(path):
                continue
            self._stop.wait(_SETTLE_SECONDS)
            if _signature(path) != signature:
                continue  # still being written; the next poll sees it settled
            self._signatures[path] = signature
            text = _read(path)
            if text is None or text == self._patched_text.get(path):
                continue
            self._patched_text[path] = text
            for name in sorted(names):
                module = sys.modules.get(name)
                if module is None:
                    continue
                try:
                    result = patch_module(module, text)
                except UnknownModuleError:
                    continue
                except Exception:
                    raise  # a bug in splice: logged by the poll loop
                except BaseException as error:  # SystemExit from a new decorator, say
                    result = escaped_result(name, error, "apply-failed")
                results.append(result)
                self.report(result)
        return results

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any one bad save
                logger.debug("splice watch: a poll failed", exc_info=True)

    def _on_import(self, name: str, path: str) -> None:
        self._track(name, path)

    def _scan_modules(self) -> None:
        modules = list(sys.modules.items())
        self._known_module_count = len(modules)
        for name, module in modules:
            path = source_path(module) if module is not None else None
            if path is not None:
                self._track(name, path)

    def _track(self, name: str, path: str) -> None:
        if not _is_within(path, self.root):
            return
        with self._lock:
            names = self._files.setdefault(path, set())
            if name in names:
                return
            names.add(name)
        if path in self._signatures or path in self._patched_text:
            return
        known = baseline_source(name)
        if known is not None:
            # What the module runs is the starting point, not what the file says
            # now: a save that came before this first look is still patched.
            self._patched_text[path] = known
            return
        signature, text = _signature(path), _read(path)
        if signature is not None and text is not None:
            self._signatures[path] = signature
            self._patched_text[path] = text


def print_result(result: PatchResult, stream: TextIO | None = None) -> None:
    """One line per patch; then one ``file:line: message`` line per problem."""
    out = stream or sys.stderr
    name = file_label(result)
    lines = [describe_result(result), *(f"  {line}" for line in describe_details(result, name))]
    print("\n".join(lines), file=out, flush=True)


def start_watching(root: str, interval: float = POLL_INTERVAL) -> Watcher:
    """Start a daemon thread that patches modules under ``root`` when saved."""
    watcher = Watcher(root, interval)
    watcher.start()
    return watcher


def _signature(path: str) -> Signature | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as file:
            return importlib.util.decode_source(file.read())
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
