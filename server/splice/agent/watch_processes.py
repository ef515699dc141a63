"""The watcher's view of the program's other processes: who they are, what they run, their answers.

One ``Peer`` (an open, authenticated connection) per live process whose
connection file names the program's root; the files each one imported
(from its ``modules`` reply, then its ``moduleImported`` notifications); the
text last sent to each for each file; and the processes that could not be
reached, so a patch can say it may not have reached them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from splice.agent import deltas
from splice.agent.connection import ConnectionInfo, pid_alive, runtime_dir
from splice.agent.directory_reading import DirectoryReading
from splice.agent.program import Peer, PeerError, Pending, program_processes
from splice.engine.result import PatchResult, ProcessOutcome
from splice.logs import get_logger

logger = get_logger(__name__)

#: Seconds between looks for processes of the program that started since.
PROCESS_SCAN_INTERVAL = 0.5
#: Seconds before trying again to reach a process of the program that did not answer.
RETRY_INTERVAL = 2.0
#: Seconds a process has to answer one patch before it is reported as not answering.
PATCH_TIMEOUT = 10.0
#: Seconds a process whose connection closed mid-patch has to be gone, to count as exited.
EXIT_GRACE = 0.5


class ProgramProcesses:
    """The live processes of one program (by root pid) and the files each one runs."""

    def __init__(
        self,
        root_pid: int,
        runtime_dir: str | None,
        watches: Callable[[str], bool],
        *,
        include_root: bool,
    ) -> None:
        self.root_pid = root_pid
        self.runtime_dir = runtime_dir
        self.watches = watches
        #: Reach the root through its agent too (the watcher runs outside the program).
        self.include_root = include_root
        self.peers: dict[int, Peer] = {}
        #: pid -> real path -> module names, in that process.
        self.files: dict[int, dict[str, set[str]]] = {}
        #: (pid, path) -> the text last sent to that process for that file.
        self.sent: dict[tuple[int, str], str] = {}
        #: pid -> (when, its connection file, why): processes we could not reach.
        self._unreachable: dict[int, tuple[float, ConnectionInfo, str]] = {}
        self._first_looks: list[tuple[Peer, str, str]] = []  # files a process just imported
        self._last_scan = 0.0
        self._reading = DirectoryReading()
        self.lock = threading.Lock()

    def due_for_scan(self) -> bool:
        return time.monotonic() - self._last_scan >= PROCESS_SCAN_INTERVAL

    def scan(self) -> list[Peer]:
        """Connect to the program's processes that started since the last look.

        A process that starts writes its connection file into the runtime
        directory (a rename), which changes the directory's modification time:
        while that is unchanged, there is nobody new, and the files are not
        read again (a save looks, and 16 processes' files cost milliseconds).
        """
        self._last_scan = time.monotonic()
        for pid in [pid for pid, peer in self.peers.items() if peer.closed]:
            self.forget(pid)
        try:
            directory = self.runtime_dir or runtime_dir()
        except (OSError, ValueError):
            logger.debug("splice watch: no runtime directory", exc_info=True)
            return []
        retry_due = any(
            self._last_scan - tried >= RETRY_INTERVAL for tried, _, _ in self._unreachable.values()
        )
        if self._reading.holds(directory) and not retry_due:
            return []
        try:
            found = program_processes(self.root_pid, directory)
        except OSError:
            logger.debug("splice watch: cannot read the runtime directory", exc_info=True)
            return []
        self._reading.taken(directory)
        alive = {info.pid for info in found}
        for pid in [pid for pid, peer in self.peers.items() if peer.closed or pid not in alive]:
            self.forget(pid)
        for pid in [pid for pid in self._unreachable if pid not in alive]:
            del self._unreachable[pid]
        new = []
        now = time.monotonic()
        for info in found:
            if (info.pid == self.root_pid and not self.include_root) or info.pid in self.peers:
                continue
            tried = self._unreachable.get(info.pid)
            if tried is not None and now - tried[0] < RETRY_INTERVAL:
                continue
            peer = None
            try:
                peer = Peer(info, self._on_import)
                modules = peer.request("modules").wait(PATCH_TIMEOUT)
            except PeerError as error:
                logger.debug("splice watch: cannot reach pid %s: %s", info.pid, error)
                if peer is not None:
                    peer.close()
                self._unreachable[info.pid] = (now, info, str(error))
                continue
            self._unreachable.pop(info.pid, None)
            self.peers[info.pid] = peer
            new.append(peer)
            entries = modules.get("modules", []) if isinstance(modules, dict) else []
            for entry in entries:
                name, path = entry.get("name"), entry.get("file")
                if isinstance(name, str) and isinstance(path, str):
                    self._on_import(peer, name, path)
        return new

    def forget(self, pid: int) -> None:
        peer = self.peers.pop(pid, None)
        if peer is not None:
            peer.close()
        with self.lock:
            self.files.pop(pid, None)
        for key in [key for key in self.sent if key[0] == pid]:
            del self.sent[key]

    def close(self) -> None:
        for peer in list(self.peers.values()):
            peer.close()

    def paths(self) -> set[str]:
        with self.lock:
            return set().union(*(files for files in self.files.values()))

    def names(self, path: str) -> set[str]:
        with self.lock:
            return set().union(*(files.get(path, set()) for files in self.files.values()))

    def running(self, path: str) -> list[tuple[Peer, list[str]]]:
        """Each reachable process that runs ``path``, with the module names it runs it as."""
        with self.lock:
            return [
                (self.peers[pid], sorted(files[path]))
                for pid, files in self.files.items()
                if path in files and pid in self.peers
            ]

    def _on_import(self, peer: Peer, name: str, path: str) -> None:
        # On the peer's reader thread: only bookkeeping here, the requests wait for poll().
        if not self.watches(path):
            return
        with self.lock:
            names = self.files.setdefault(peer.pid, {}).setdefault(path, set())
            if name not in names:
                names.add(name)
                self._first_looks.append((peer, name, path))

    def take_first_looks(self) -> list[tuple[Peer, str, str]]:
        """(process, module, file) imported since the last call, oldest first."""
        with self.lock:
            looks, self._first_looks = self._first_looks, []
        return looks

    def unreachable(self) -> list[ProcessOutcome]:
        """A process we cannot talk to may run the file: say so rather than guess it does not."""
        return [
            ProcessOutcome(
                info.pid,
                label(info),
                error=f"not reachable ({reason}); it may still run the old code",
            )
            for _, info, reason in self._unreachable.values()
        ]

    def collect(
        self, peer: Peer, requests: Iterable[tuple[Pending, dict[str, object] | None]]
    ) -> list[ProcessOutcome]:
        """The answers of one process, each as an outcome (or why there is none).

        Each request comes with the whole-text parameters to send instead if the
        process refuses it as an edit of a text it does not run (or None).
        """
        name = label(peer.info)
        outcomes = []
        deadline = time.monotonic() + PATCH_TIMEOUT
        for item, whole in requests:
            try:
                try:
                    answer = item.wait(max(0.0, deadline - time.monotonic()))
                except PeerError as error:
                    if whole is None or not error.refused:
                        raise
                    # It runs another text than we thought (an earlier patch was refused
                    # there): it plans the whole text itself.
                    retry = peer.request("patch", whole, timeout=PATCH_TIMEOUT)
                    answer = retry.wait(max(0.0, deadline - time.monotonic()))
                outcomes.append(ProcessOutcome(peer.pid, name, PatchResult.from_dict(answer)))
            except PeerError as error:
                outcomes.append(ProcessOutcome(peer.pid, name, error=str(error)))
            except (KeyError, TypeError, ValueError) as error:
                outcomes.append(
                    ProcessOutcome(peer.pid, name, error=f"a malformed answer ({error})")
                )
        return outcomes

    def send_patch(
        self,
        peer: Peer,
        path: str,
        names: Iterable[str],
        text: str,
        edits: dict[str, dict[str, object]],
    ) -> list[tuple[Pending, dict[str, object] | None]]:
        """Ask ``peer`` to patch its modules of ``path`` to ``text``.

        A process that was last sent another text gets an edit of it (most run
        the same text: ``edits`` computes each edit once per save), with the
        whole text kept for a refusal; otherwise the whole text.
        """
        previous = self.sent.get((peer.pid, path))
        self.sent[(peer.pid, path)] = text
        requests: list[tuple[Pending, dict[str, object] | None]] = []
        for name in names:
            params = patch_params(name, text)
            if previous is None or previous == text:
                requests.append((peer.request("patch", params, timeout=PATCH_TIMEOUT), None))
                continue
            edit = edits.get(previous)
            if edit is None:
                edit = edits[previous] = deltas.make_edit(previous, text)
            request = peer.request("patch", edit_params(name, edit), timeout=PATCH_TIMEOUT)
            requests.append((request, params))
        return requests

    def exited(self, outcome: ProcessOutcome) -> bool:
        """A process that went away during the patch runs no old code: it is no failure."""
        peer = self.peers.get(outcome.pid)
        if outcome.error is None or peer is None or not peer.closed:
            return False
        deadline = time.monotonic() + EXIT_GRACE
        while pid_alive(outcome.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        self.forget(outcome.pid)
        return True


def label(info: ConnectionInfo) -> str:
    return f"{info.program or 'python'}, {info.role}"


def patch_params(name: str, text: str) -> dict[str, object]:
    return {"module": name, "source": text, "dryRun": False, "deleteRemoved": True}


def edit_params(name: str, edit: dict[str, object]) -> dict[str, object]:
    return {"module": name, "edit": edit, "dryRun": False, "deleteRemoved": True}
