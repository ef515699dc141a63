"""``splice run --watch``: patch every process of the running program whenever a file is saved.

Polling, standard library only. Each poll costs one ``os.stat`` per watched
file; a file is read only when its modification time, size or inode changed,
and patched only when its text differs from what was last patched. Editors
that save by writing a new file and renaming it over the old one change the
inode, and a file that is briefly missing is simply looked at again later.

What is watched: every source file that any process of the program has
imported, except the standard library, site-packages and splice itself,
plus whatever was imported from a ``--watch-path`` folder. The watcher runs
in the program's root process; it patches that process in place and every
other live process of the program (its forked, spawned and subprocess
children, found by their connection files' ``rootPid``) through their
agents, over connections it keeps open (``splice.agent.program``): the
patch goes to all of them first, then the answers are collected, so one
save costs about as much in 16 processes as in one. A process that starts
after a save is brought to the text the others run as soon as it is seen.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import site
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

from splice.agent import deltas
from splice.agent.connection import ConnectionInfo, pid_alive
from splice.agent.methods import escaped_result
from splice.agent.program import Peer, PeerError, Pending, program_processes
from splice.agent.threads import daemon_thread
from splice.engine.apply import patch_module
from splice.engine.baselines.store import add_import_listener, baseline_source, source_path
from splice.engine.result import PatchResult, ProcessOutcome
from splice.errors import UnknownModuleError
from splice.report import describe_catch_up, describe_details, describe_outcomes

logger = logging.getLogger(__name__)

#: Seconds between polls; a save shows up within this time.
POLL_INTERVAL = 0.2
#: A file changed this recently may still be being written: look again first.
_SETTLE_SECONDS = 0.03
#: Seconds between looks for processes of the program that started since.
PROCESS_SCAN_INTERVAL = 0.5
#: Seconds before trying again to reach a process of the program that did not answer.
RETRY_INTERVAL = 2.0
#: Seconds a process has to answer one patch before it is reported as not answering.
PATCH_TIMEOUT = 10.0

#: Seconds a process whose connection closed mid-patch has to be gone, to count as exited.
EXIT_GRACE = 0.5

Signature = tuple[int, int, int]
Report = Callable[[str, list[ProcessOutcome]], None]


class Watcher:
    """Watches the source files the program imported and patches every process that runs them."""

    def __init__(
        self,
        extra_paths: Sequence[str] = (),
        interval: float = POLL_INTERVAL,
        report: Report | None = None,
        *,
        processes: bool = True,
        runtime_dir: str | None = None,
        catch_up_report: Callable[[str, ProcessOutcome], None] | None = None,
    ) -> None:
        self.extra_paths = tuple(os.path.realpath(path) for path in extra_paths)
        self.interval = interval
        self.report = report or print_outcomes
        self.report_catch_up = catch_up_report or print_catch_up
        #: Patch the program's other processes too (needs this process's agent).
        self.processes = processes
        self.runtime_dir = runtime_dir
        self.pid = os.getpid()
        self._libraries = library_directories()
        self._files: dict[str, set[str]] = {}  # real path -> module names, in this process
        self._peer_files: dict[int, dict[str, set[str]]] = {}  # pid -> real path -> names
        self._peers: dict[int, Peer] = {}
        #: pid -> (when, its connection file, why): processes of the program we could not reach.
        self._unreachable: dict[int, tuple[float, ConnectionInfo, str]] = {}
        self._first_looks: list[tuple[Peer, str, str]] = []  # files a process just imported
        self._signatures: dict[str, Signature] = {}
        self._patched_text: dict[str, str] = {}
        #: (pid, path) -> the text last sent to that process for that file.
        self._sent: dict[tuple[int, str], str] = {}
        self._saves: set[str] = set()  # files patched at least once
        self._known_module_count = -1
        self._last_process_scan = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self.start_without_thread()
        self._thread = daemon_thread(self._run, "splice-watch")
        self._thread.start()

    def start_without_thread(self) -> None:
        """Track modules as ``start`` does, for a caller that calls ``poll()`` itself."""
        self._scan_modules()
        add_import_listener(self._on_import)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for peer in list(self._peers.values()):
            peer.close()

    def watches(self, path: str) -> bool:
        """Whether a module file at ``path`` (a real path) is one the watcher patches."""
        if any(_is_within(path, extra) for extra in self.extra_paths):
            return True
        return not any(_is_within(path, library) for library in self._libraries)

    def describe(self) -> str:
        """The first line ``--watch`` prints: what it watches, and where it patches."""
        where = "every process of the program" if self.processes else "this process"
        extra = (
            f", and those imported from {', '.join(self.extra_paths)}" if self.extra_paths else ""
        )
        return (
            f"splice watch: patching {where} when a source file it imported is saved: files"
            f" outside the standard library and site-packages{extra} (polling every"
            f" {self.interval:g} s)"
        )

    def poll(self) -> list[ProcessOutcome]:
        """Look at every watched file once; patch those that changed, in every process."""
        self._scan_modules_if_needed()
        scanned = self._due_for_process_scan()
        if scanned:
            self._scan_processes()
        outcomes: list[ProcessOutcome] = []
        with self._lock:
            paths = set(self._files).union(*(files for files in self._peer_files.values()))
        for path in sorted(paths):
            if path not in self._patched_text:
                continue  # not looked at yet: what its process runs comes first
            text = self._changed_text(path)
            if text is None:
                continue
            if not scanned:
                # A process that started since the last look must get this patch too.
                self._scan_processes()
                scanned = True
            self._patched_text[path] = text
            self._saves.add(path)
            round_outcomes = self._patch_everywhere(path, text)
            if round_outcomes:
                self.report(path, round_outcomes)
            outcomes.extend(round_outcomes)
        outcomes.extend(self._settle_first_looks())
        return outcomes

    # Which processes --------------------------------------------------------------------

    def _due_for_process_scan(self) -> bool:
        return (
            self.processes and time.monotonic() - self._last_process_scan >= PROCESS_SCAN_INTERVAL
        )

    def _scan_processes(self) -> list[Peer]:
        """Connect to the program's processes that started since the last look."""
        if not self.processes:
            return []
        self._last_process_scan = time.monotonic()
        try:
            found = program_processes(self.pid, self.runtime_dir)
        except OSError:
            logger.debug("splice watch: cannot read the runtime directory", exc_info=True)
            return []
        alive = {info.pid for info in found}
        for pid in [pid for pid, peer in self._peers.items() if peer.closed or pid not in alive]:
            self._forget(pid)
        for pid in [pid for pid in self._unreachable if pid not in alive]:
            del self._unreachable[pid]
        new = []
        now = time.monotonic()
        for info in found:
            if info.pid == self.pid or info.pid in self._peers:
                continue
            tried = self._unreachable.get(info.pid)
            if tried is not None and now - tried[0] < RETRY_INTERVAL:
                continue
            peer = None
            try:
                peer = Peer(info, self._on_peer_import)
                modules = peer.request("modules").wait(PATCH_TIMEOUT)
            except PeerError as error:
                logger.debug("splice watch: cannot reach pid %s: %s", info.pid, error)
                if peer is not None:
                    peer.close()
                self._unreachable[info.pid] = (now, info, str(error))
                continue
            self._unreachable.pop(info.pid, None)
            self._peers[info.pid] = peer
            new.append(peer)
            entries = modules.get("modules", []) if isinstance(modules, dict) else []
            for entry in entries:
                name, path = entry.get("name"), entry.get("file")
                if isinstance(name, str) and isinstance(path, str):
                    self._on_peer_import(peer, name, path)
        return new

    def _forget(self, pid: int) -> None:
        peer = self._peers.pop(pid, None)
        if peer is not None:
            peer.close()
        with self._lock:
            self._peer_files.pop(pid, None)
        for key in [key for key in self._sent if key[0] == pid]:
            del self._sent[key]

    # Which files ------------------------------------------------------------------------

    def _scan_modules_if_needed(self) -> None:
        if len(sys.modules) != self._known_module_count:
            self._scan_modules()
        else:
            # A host replaces __main__ without changing the module count.
            main = sys.modules.get("__main__")
            path = source_path(main) if main is not None else None
            if path is not None:
                self._track("__main__", path)

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
        if not self.watches(path):
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

    def _on_peer_import(self, peer: Peer, name: str, path: str) -> None:
        # On the peer's reader thread: only bookkeeping here, the requests wait for poll().
        if not self.watches(path):
            return
        with self._lock:
            names = self._peer_files.setdefault(peer.pid, {}).setdefault(path, set())
            if name not in names:
                names.add(name)
                self._first_looks.append((peer, name, path))

    def _settle_first_looks(self) -> list[ProcessOutcome]:
        """Files a process imported since the last poll: learn what it runs, catch it up."""
        with self._lock:
            looks, self._first_looks = self._first_looks, []
        outcomes: list[ProcessOutcome] = []
        for peer, name, path in looks:
            if peer.closed:
                continue
            if path not in self._patched_text:
                # First sight of this file: the process's baseline is what runs. Left
                # without a signature, so a save made before this look is still patched.
                try:
                    answer = peer.request("baseline", {"module": name}).wait(PATCH_TIMEOUT)
                except PeerError:
                    continue
                source = answer.get("source") if isinstance(answer, dict) else None
                if isinstance(source, str):
                    self._patched_text[path] = source
                    self._sent[(peer.pid, path)] = source
                continue
            text = self._patched_text[path]
            if not self._saved(path):
                # Most likely what it runs too: the next save goes as an edit of it (a
                # process that runs something else refuses the edit and gets the whole text).
                self._sent.setdefault((peer.pid, path), text)
                continue
            if self._sent.get((peer.pid, path)) == text:
                continue
            # The process imported the file before a save but was seen after the
            # others were patched (it started meanwhile): it gets what they run.
            self._sent[(peer.pid, path)] = text
            found = self._collect(
                peer,
                [(peer.request("patch", _patch_params(name, text), timeout=PATCH_TIMEOUT), None)],
            )
            found = [outcome for outcome in found if not self._exited(outcome)]
            outcomes.extend(found)
            for outcome in found:
                if not outcome.ok or _changed(outcome.result):
                    self.report_catch_up(path, outcome)
        return outcomes

    def _saved(self, path: str) -> bool:
        """Whether any save of ``path`` has been patched (else every process runs its first text)."""
        return path in self._saves

    def _changed_text(self, path: str) -> str | None:
        signature = _signature(path)
        if signature is None or signature == self._signatures.get(path):
            return None
        self._stop.wait(_SETTLE_SECONDS)
        if _signature(path) != signature:
            return None  # still being written; the next poll sees it settled
        self._signatures[path] = signature
        text = _read(path)
        if text is None or text == self._patched_text.get(path):
            return None
        return text

    # Patching ---------------------------------------------------------------------------

    def _patch_everywhere(self, path: str, text: str) -> list[ProcessOutcome]:
        """Send the patch to every other process first, patch this one, then collect."""
        sent = []
        with self._lock:
            targets = [
                (self._peers[pid], sorted(files[path]))
                for pid, files in self._peer_files.items()
                if path in files and pid in self._peers
            ]
            local = sorted(self._files.get(path, ()))
        edits: dict[str, dict[str, object]] = {}
        for peer, names in targets:
            previous = self._sent.get((peer.pid, path))
            self._sent[(peer.pid, path)] = text
            requests: list[tuple[Pending, dict[str, object] | None]] = []
            for name in names:
                params = _patch_params(name, text)
                if previous is not None and previous != text:
                    # Most processes run the same text: one edit of it, computed once.
                    edit = edits.get(previous)
                    if edit is None:
                        edit = edits[previous] = deltas.make_edit(previous, text)
                    request = peer.request("patch", _edit_params(name, edit), timeout=PATCH_TIMEOUT)
                    requests.append((request, params))
                else:
                    requests.append((peer.request("patch", params, timeout=PATCH_TIMEOUT), None))
            sent.append((peer, requests))
        # ``__main__`` and ``__mp_main__`` are often one module under two names.
        modules = {id(module): name for name in local if (module := sys.modules.get(name))}
        here = [self._patch_here(name, text) for name in sorted(modules.values())]
        outcomes = [outcome for outcome in here if outcome is not None]
        for peer, requests in sent:
            outcomes.extend(self._collect(peer, requests))
        # A process we cannot talk to may run this file: say so rather than guess it does not.
        for _, info, reason in self._unreachable.values():
            outcomes.append(
                ProcessOutcome(
                    info.pid,
                    _label(info),
                    error=f"not reachable ({reason}); it may still run the old code",
                )
            )
        return [outcome for outcome in one_per_process(outcomes) if not self._exited(outcome)]

    def _exited(self, outcome: ProcessOutcome) -> bool:
        """A process that went away during the patch runs no old code: it is no failure."""
        peer = self._peers.get(outcome.pid)
        if outcome.error is None or peer is None or not peer.closed:
            return False
        deadline = time.monotonic() + EXIT_GRACE
        while pid_alive(outcome.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        self._forget(outcome.pid)
        return True

    def _patch_here(self, name: str, text: str) -> ProcessOutcome | None:
        module = sys.modules.get(name)
        if module is None:
            return None
        try:
            result = patch_module(module, text)
        except UnknownModuleError:
            return None
        except Exception:
            raise  # a bug in splice: logged by the poll loop
        except BaseException as error:  # SystemExit from a new decorator, say
            result = escaped_result(name, error, "apply-failed")
        return ProcessOutcome(self.pid, _own_label(), result)

    def _collect(
        self, peer: Peer, requests: Iterable[tuple[Pending, dict[str, object] | None]]
    ) -> list[ProcessOutcome]:
        """Each request's answer; an edit the process refused is sent again as the whole text."""
        label = _label(peer.info)
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
                outcomes.append(ProcessOutcome(peer.pid, label, PatchResult.from_dict(answer)))
            except PeerError as error:
                outcomes.append(ProcessOutcome(peer.pid, label, error=str(error)))
            except (KeyError, TypeError, ValueError) as error:
                outcomes.append(
                    ProcessOutcome(peer.pid, label, error=f"a malformed answer ({error})")
                )
        return outcomes

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any one bad save
                logger.debug("splice watch: a poll failed", exc_info=True)


def one_per_process(outcomes: list[ProcessOutcome]) -> list[ProcessOutcome]:
    """One outcome per process: a process that runs the file under two names answers twice.

    Its failure if one failed, else the answer that changed something, so that
    a second name for an already patched module does not hide what was done.
    """
    chosen: dict[int, ProcessOutcome] = {}
    for outcome in outcomes:
        previous = chosen.get(outcome.pid)
        if previous is None or _rank(outcome) > _rank(previous):
            chosen[outcome.pid] = outcome
    return list(chosen.values())


def _rank(outcome: ProcessOutcome) -> int:
    if not outcome.ok:
        return 2
    return 1 if _changed(outcome.result) else 0


def _label(info: ConnectionInfo) -> str:
    return f"{info.program or 'python'}, {info.role}"


def _patch_params(name: str, text: str) -> dict[str, object]:
    return {"module": name, "source": text, "dryRun": False, "deleteRemoved": True}


def _edit_params(name: str, edit: dict[str, object]) -> dict[str, object]:
    return {"module": name, "edit": edit, "dryRun": False, "deleteRemoved": True}


def _changed(result: PatchResult | None) -> bool:
    return result is not None and bool(
        result.changed or result.added or result.deleted or result.rebound
    )


def _own_label() -> str:
    from splice.agent.process import current

    agent = current()
    if agent is not None:
        return agent.program
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"


def print_outcomes(path: str, outcomes: list[ProcessOutcome], stream: TextIO | None = None) -> None:
    """One line per save; then each problem once, as ``file:line: message``."""
    out = stream or sys.stderr
    name = os.path.basename(path)
    lines = [describe_outcomes(name, outcomes)]
    for outcome in outcomes:
        if outcome.result is None:
            continue
        for line in describe_details(outcome.result, name):
            if f"  {line}" not in lines:
                lines.append(f"  {line}")
    print("\n".join(lines), file=out, flush=True)


def print_catch_up(path: str, outcome: ProcessOutcome, stream: TextIO | None = None) -> None:
    """One line for a process that was patched after the others, and its problems."""
    out = stream or sys.stderr
    name = os.path.basename(path)
    lines = [describe_catch_up(name, outcome)]
    if outcome.result is not None:
        lines.extend(f"  {line}" for line in describe_details(outcome.result, name))
    print("\n".join(lines), file=out, flush=True)


def start_watching(
    extra_paths: Sequence[str] = (),
    interval: float = POLL_INTERVAL,
    *,
    listening: bool = True,
    announce: TextIO | None = None,
) -> Watcher:
    """Start a daemon thread that patches every process of this program when a file is saved."""
    watcher = Watcher(extra_paths, interval, processes=listening)
    print(watcher.describe(), file=announce or sys.stderr, flush=True)
    watcher.start()
    return watcher


def library_directories() -> tuple[str, ...]:
    """The standard library, site-packages and splice itself: folders whose files are not watched."""
    found: set[str] = set()
    schemes = [sysconfig.get_paths()]
    with contextlib.suppress(KeyError, ValueError):
        schemes.append(
            sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
        )
    for paths in schemes:
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                found.add(paths[key])
    with contextlib.suppress(AttributeError):
        found.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        found.add(site.getusersitepackages())
    found.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # splice
    return tuple(sorted({os.path.realpath(path) for path in found if path}))


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
