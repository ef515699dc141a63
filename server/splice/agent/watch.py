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

import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from splice.agent.batch import SavedFile, applied, import_order, needs_retry
from splice.agent.connection import pid_alive
from splice.agent.methods import escaped_result
from splice.agent.program import PeerError
from splice.agent.threads import daemon_thread
from splice.agent.watch_output import (
    changed_anything,
    one_per_process,
    print_catch_up,
    print_outcomes,
)
from splice.agent.watch_processes import PATCH_TIMEOUT, ProgramProcesses, patch_params
from splice.agent.watched_files import is_within, read_source
from splice.engine.apply import patch_module
from splice.engine.baselines.scope import foreign_roots
from splice.engine.baselines.store import (
    Signature,
    add_import_listener,
    baseline_source,
    remove_import_listener,
    source_path,
)
from splice.engine.baselines.store import file_signature as signature
from splice.engine.result import ProcessOutcome
from splice.errors import UnknownModuleError
from splice.logs import get_logger

logger = get_logger(__name__)

#: Seconds between polls; a save shows up within this time.
POLL_INTERVAL = 0.2
#: A file changed this recently may still be being written: look again first.
_SETTLE_SECONDS = 0.03
Report = Callable[[str, list[ProcessOutcome]], None]

#: Another interpreter's standard library or site-packages (a process watched from outside).
_LIBRARY_PATH = re.compile(r"[/\\](site-packages|dist-packages|lib[/\\]python3\.\d+)[/\\]")

__all__ = [
    "POLL_INTERVAL",
    "Watcher",
    "one_per_process",
    "start_watching",
    "watch_program",
]


class Watcher:
    """Watches the source files the program imported and patches every process that runs them.

    By default it runs inside the program (``splice run --watch``, a
    notebook): it patches its own process in place and, with ``processes``,
    the program's other processes through their agents. With ``root_pid`` it
    runs outside (``splice attach PID --watch``): every process of that
    program, the root included, is patched through its agent.
    """

    def __init__(
        self,
        extra_paths: Sequence[str] = (),
        interval: float = POLL_INTERVAL,
        report: Report | None = None,
        *,
        processes: bool = True,
        runtime_dir: str | None = None,
        catch_up_report: Callable[[str, ProcessOutcome], None] | None = None,
        root_pid: int | None = None,
        output: TextIO | None = None,
    ) -> None:
        self.extra_paths = tuple(os.path.realpath(path) for path in extra_paths)
        self.interval = interval
        self.output = output
        self.report = report or self._print_outcomes
        self.report_catch_up = catch_up_report or self._print_catch_up
        #: Patch this process in place (False: watching a program from outside).
        self.local = root_pid is None
        #: Patch the program's other processes too (needs this process's agent).
        self.processes = processes or not self.local
        self.runtime_dir = runtime_dir
        self.pid = os.getpid() if root_pid is None else root_pid
        self._libraries = foreign_roots()
        self._files: dict[str, set[str]] = {}  # real path -> module names, in this process
        self.program = ProgramProcesses(
            self.pid, runtime_dir, self.watches, include_root=not self.local
        )
        self._signatures: dict[str, Signature] = {}
        self._patched_text: dict[str, str] = {}
        self._saves: set[str] = set()  # files patched at least once
        self._last_outcomes: dict[str, list[ProcessOutcome]] = {}
        self._known_module_count = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self.start_without_thread()
        self._thread = daemon_thread(self._run, "splice-watch")
        self._thread.start()

    def start_without_thread(self) -> None:
        """Track modules as ``start`` does, for a caller that calls ``poll()`` itself."""
        if self.local:
            self._scan_modules()
            add_import_listener(self._on_import)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self.local:
            remove_import_listener(self._on_import)
        self.program.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def watches(self, path: str) -> bool:
        """Whether a module file at ``path`` (a real path) is one the watcher patches."""
        if any(is_within(path, extra) for extra in self.extra_paths):
            return True
        if not self.local and _LIBRARY_PATH.search(path):
            return False
        return not any(is_within(path, library) for library in self._libraries)

    def root_alive(self) -> bool:
        """Whether the program's root process (the watched one, from outside) still runs."""
        return pid_alive(self.pid)

    def describe(self) -> str:
        """The first line ``--watch`` prints: what it watches, and where it patches."""
        where = "every process of the program" if self.processes else "this process"
        if not self.local:
            where = f"pid {self.pid} and every process of its program"
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
        if self.processes and self.program.due_for_scan():
            self.program.scan()
        outcomes: list[ProcessOutcome] = []
        with self._lock:
            paths = set(self._files)
        paths |= self.program.paths()
        saved = []
        for path in sorted(paths):
            if path not in self._patched_text:
                continue  # not looked at yet: what its process runs comes first
            text = self._changed_text(path)
            if text is not None:
                saved.append(SavedFile(path, text, self._module_names(path)))
        if saved and self.processes:
            # A process that started since the last look must get these patches too; a
            # look at the top of this poll may be older than the save (it can take a
            # while to connect to a process that appeared then).
            self.program.scan()
        outcomes.extend(self._patch_batch(saved))
        outcomes.extend(self._settle_first_looks())
        return outcomes

    def _patch_batch(self, saved: list[SavedFile]) -> list[ProcessOutcome]:
        """The files of one poll in import order; one that failed by raising, again after the rest."""
        outcomes: list[ProcessOutcome] = []
        retry: list[SavedFile] = []
        batch = import_order(saved)
        for position, file in enumerate(batch):
            found = self._patch_file(file)
            if needs_retry(found) and position < len(batch) - 1:
                retry.append(file)  # reported after its second try
                continue
            if found:
                self.report(file.path, found)
            outcomes.extend(found)
        after = outcomes
        for file in retry:
            found = self._patch_file(file) if applied(after) else self._last_outcomes[file.path]
            if found:
                self.report(file.path, found)
            outcomes.extend(found)
        return outcomes

    def _patch_file(self, file: SavedFile) -> list[ProcessOutcome]:
        self._patched_text[file.path] = file.text
        self._saves.add(file.path)
        found = self._patch_everywhere(file.path, file.text)
        self._last_outcomes[file.path] = found
        return found

    def _module_names(self, path: str) -> tuple[str, ...]:
        with self._lock:
            names = set(self._files.get(path, ()))
        return tuple(sorted(names | self.program.names(path)))

    # Which files ------------------------------------------------------------------------

    def _scan_modules_if_needed(self) -> None:
        if not self.local:
            return
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
        self._start_from_file(path)

    def _start_from_file(self, path: str) -> None:
        stamp, text = signature(path), read_source(path)
        if stamp is not None and text is not None:
            with self._lock:
                if path not in self._patched_text:
                    self._signatures[path] = stamp
                    self._patched_text[path] = text

    def _settle_first_looks(self) -> list[ProcessOutcome]:
        """Files a process imported since the last poll: learn what it runs, catch it up."""
        outcomes: list[ProcessOutcome] = []
        sent = self.program.sent
        for peer, name, path in self.program.take_first_looks():
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
                    sent[(peer.pid, path)] = source
                else:
                    # No baseline (imported before its agent started): the file as it is
                    # now, as for this process's own modules; its patches compare with
                    # the live objects.
                    self._start_from_file(path)
                continue
            text = self._patched_text[path]
            if not self._saved(path):
                # Most likely what it runs too: the next save goes as an edit of it (a
                # process that runs something else refuses the edit and gets the whole text).
                sent.setdefault((peer.pid, path), text)
                continue
            if sent.get((peer.pid, path)) == text:
                continue
            # The process imported the file before a save but was seen after the
            # others were patched (it started meanwhile): it gets what they run.
            sent[(peer.pid, path)] = text
            asked = peer.request("patch", patch_params(name, text), timeout=PATCH_TIMEOUT)
            found = self.program.collect(peer, [(asked, None)])
            found = [outcome for outcome in found if not self.program.exited(outcome)]
            outcomes.extend(found)
            for outcome in found:
                if not outcome.ok or changed_anything(outcome.result):
                    self.report_catch_up(path, outcome)
        return outcomes

    def _saved(self, path: str) -> bool:
        """Whether any save of ``path`` has been patched (else every process runs its first text)."""
        return path in self._saves

    def _changed_text(self, path: str) -> str | None:
        stamp = signature(path)
        if stamp is None or stamp == self._signatures.get(path):
            return None
        self._stop.wait(_SETTLE_SECONDS)
        if signature(path) != stamp:
            return None  # still being written; the next poll sees it settled
        self._signatures[path] = stamp
        text = read_source(path)
        if text is None or text == self._patched_text.get(path):
            return None
        return text

    # Patching ---------------------------------------------------------------------------

    def _patch_everywhere(self, path: str, text: str) -> list[ProcessOutcome]:
        """Send the patch to every other process first, patch this one, then collect."""
        sent = []
        with self._lock:
            local = sorted(self._files.get(path, ()))
        edits: dict[str, dict[str, object]] = {}
        for peer, names in self.program.running(path):
            sent.append((peer, self.program.send_patch(peer, path, names, text, edits)))
        # ``__main__`` and ``__mp_main__`` are often one module under two names.
        modules = {id(module): name for name in local if (module := sys.modules.get(name))}
        here = [self._patch_here(name, text) for name in sorted(modules.values())]
        outcomes = [outcome for outcome in here if outcome is not None]
        for peer, pending in sent:
            outcomes.extend(self.program.collect(peer, pending))
        outcomes.extend(self.program.unreachable())
        exited = self.program.exited
        return [outcome for outcome in one_per_process(outcomes) if not exited(outcome)]

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

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any one bad save
                logger.debug("splice watch: a poll failed", exc_info=True)

    def run_until_stopped(self) -> None:
        """Poll on the calling thread until ``stop()`` (or, from outside, the program ends)."""
        self.start_without_thread()
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:
                logger.debug("splice watch: a poll failed", exc_info=True)
            if not self.local and not self.root_alive():
                self._stop.set()

    def _print_outcomes(self, path: str, outcomes: list[ProcessOutcome]) -> None:
        print_outcomes(path, outcomes, self.output, text=self._patched_text.get(path))

    def _print_catch_up(self, path: str, outcome: ProcessOutcome) -> None:
        print_catch_up(path, outcome, self.output)


def _own_label() -> str:
    from splice.agent.process import current

    agent = current()
    if agent is not None:
        return agent.program
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"


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


def watch_program(root_pid: int, runtime_dir: str | None, output: TextIO | None = None) -> int:
    """Follow saves for a program started without ``--watch`` (``splice attach PID --watch``).

    Polls on the calling thread until the program's root process exits or the
    user presses Ctrl-C; prints one line per save, as ``--watch`` does.
    """
    out = output or sys.stdout
    watcher = Watcher(root_pid=root_pid, runtime_dir=runtime_dir, output=out)
    print(watcher.describe(), file=out, flush=True)
    try:
        watcher.run_until_stopped()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    if not watcher.root_alive():
        print(f"splice watch: pid {root_pid} exited", file=out, flush=True)
    return 0
