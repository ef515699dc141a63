"""Turn the engine's import events into ``moduleImported`` notifications.

``splice.engine.baselines.store`` calls our listener in the importing thread, right
after a module with a source file ran. The listener only queues the event;
a daemon thread of the agent sends it, so a slow client can never slow down
the user's imports.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

from splice.agent.threads import daemon_thread
from splice.logs import get_logger

logger = get_logger(__name__)

#: Events kept while clients are slow to read; older ones are dropped.
MAX_QUEUED = 10_000
#: ``splice.engine.baselines.recovery.THREAD_NAME`` (not imported: it would load the engine).
RECOVERY_THREAD = "splice-agent-baselines"


class ImportWatcher:
    """Calls ``notify(name, file)`` on its own thread for each module imported."""

    def __init__(self, notify: Callable[[str, str], None]) -> None:
        self._notify = notify
        self._queue: collections.deque[tuple[str, str]] = collections.deque(maxlen=MAX_QUEUED)
        self._wake = threading.Event()
        self._active = False
        self._stopped = False
        self._thread = daemon_thread(self._run, "splice-agent-imports")

    def start(self) -> None:
        from splice.engine.baselines.store import add_import_listener

        add_import_listener(self._on_import)
        self._thread.start()

    def stop(self) -> None:
        from splice.engine.baselines.store import remove_import_listener

        remove_import_listener(self._on_import)
        self._stopped = True
        self._wake.set()

    def set_active(self, active: bool) -> None:
        """Queue events only while at least one client can receive them."""
        self._active = active

    def _on_import(self, name: str, path: str) -> None:
        # Runs in the user's importing thread: no locks, no I/O. splice's own
        # modules, and whatever baseline recovery's thread loads, are not the user's.
        if (
            self._active
            and not name.startswith("splice.")
            and threading.current_thread().name != RECOVERY_THREAD
        ):
            self._queue.append((name, path))
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait()
            self._wake.clear()
            while self._queue and not self._stopped:
                name, path = self._queue.popleft()
                try:
                    self._notify(name, path)
                except Exception:  # never let the thread die noisily in the user's process
                    logger.debug("could not send moduleImported for %s", name, exc_info=True)
