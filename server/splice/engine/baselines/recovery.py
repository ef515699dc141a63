"""Baselines for modules imported before splice was watching, recovered from their files.

A module imported before the agent started has no recorded text, and its file
may have been edited since. Its file becomes its baseline only when it is
provably the text the module runs; the verdict, per module (docs/attach.md,
"Modules imported before the agent"):

1. Every function the module's namespace and classes reach (behind wrappers)
   whose code came from the file has an identical code object in the file
   compiled now. Code equality includes line numbers, constants and nested
   code, and also covers lambdas and closures the planner does not see.
2. The file planned against the live module by the live-object planner, as a
   dry run, changes nothing (no definition, default, decorator, import,
   literal or deletion) and refuses nothing. Definitions below the line a
   module's still-running top-level code has reached are not expected yet.
3. What the live objects cannot show (a decorator that returns its function,
   a top-level statement that is not a literal: the planner's ``*-unverified``
   findings) is vouched for only by the file's times: last modified and last
   changed (``ctime``, which no tool can set back) before this process, or
   the process it was forked from, started. Then the import read this very
   text.

Verified: the file is remembered as the baseline, and patches are exactly as
correct as for a module imported under splice. Otherwise the module keeps no
baseline ("differs" when a check shows the file is not what runs,
"unconfirmed" when only rule 3 was missing) and the live-object planner
patches it. Nothing here runs the user's code: rule 1 rejects an edited
function before any of its defaults would be evaluated.

``start_recovery`` checks the user's modules (not the standard library,
site-packages, scripts or splice) on a daemon thread; ``ensure_verified``
checks one module first when a request needs it, so a patch never races it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any, Literal

from splice.engine.baselines.store import has_baseline, remember_baseline, source_path
from splice.engine.outline.definitions import Outline, parse_definitions
from splice.engine.plan.steps import code_filename

logger = logging.getLogger(__name__)

State = Literal["verified", "differs", "unconfirmed"]
Evidence = Literal["live-objects", "file-times", ""]

THREAD_NAME = "splice-agent-baselines"
#: How deep to follow wrappers to reach a function.
_MAX_DEPTH = 8
#: How the live planner's findings end; said once by the verdict instead.
_NO_BASELINE = " (no baseline: the module was imported before splice)"
#: Seconds the background pass rests at most between two modules.
_MAX_REST = 0.1


@dataclass(frozen=True)
class Verdict:
    """Whether a module's file is the text it runs, and why."""

    module: str
    file: str
    state: State
    reason: str
    #: What proved a verified file: the live objects alone, or with the file's times.
    evidence: Evidence = ""
    lines: int = 0
    duration_ms: float = 0.0

    @property
    def verified(self) -> bool:
        return self.state == "verified"


_lock = threading.Lock()
_verdicts: dict[str, Verdict] = {}
#: id() of the module object each verdict is about (a replaced module is judged again).
_judged: dict[str, int] = {}
_pending: set[str] = set()
_started_in: int | None = None
_finished = threading.Event()
_fork_hook = False
_process_start: int | None = None


def start_recovery() -> None:
    """Verify the user's modules that have no baseline, on a daemon thread. Idempotent."""
    global _started_in, _fork_hook, _finished
    with _lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
        _finished = threading.Event()
        if not _fork_hook and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)
            _fork_hook = True
    process_start_ns()  # now, while the process tree is as it was
    threading.Thread(target=_recover_all, name=THREAD_NAME, daemon=True).start()


def wait_for_recovery(timeout: float | None = None) -> bool:
    """Wait until the background pass is over; False on timeout or when it never started."""
    return _started_in == os.getpid() and _finished.wait(timeout)


def ensure_verified(name: str) -> Verdict | None:
    """Judge module ``name`` now unless it has a baseline or a verdict (any module, any scope)."""
    module = sys.modules.get(name)
    if not isinstance(module, ModuleType) or has_baseline(name):
        return None
    return verify_module(name, module)


def verdict_of(name: str) -> Verdict | None:
    return _verdicts.get(name)


def is_pending(name: str) -> bool:
    """Whether the background pass will judge ``name`` but has not yet."""
    return name in _pending


def verify_module(name: str, module: ModuleType) -> Verdict | None:
    """Judge ``module`` (once per module object) and remember its file as baseline if verified.

    None when there is nothing to judge: it already has a baseline, or no source file.
    """
    from splice.engine.apply import PATCH_LOCK
    from splice.engine.commit.commit import collection_paused

    path = _path(module)
    if path is None or getattr(module, "__name__", None) != name:
        return None
    # Under the engine's lock: no patch can advance (or record) a baseline meanwhile.
    with PATCH_LOCK:
        if has_baseline(name):
            return None
        known = _verdicts.get(name)
        if known is not None and _judged.get(name) == id(module):
            return known
        started = time.perf_counter()
        with collection_paused():  # as a patch: a big heap must not make collections costly
            verdict, text, outline = _judge(name, module, path)
        verdict = _timed(verdict, started)
        if verdict.verified and text is not None and sys.modules.get(name) is module:
            remember_baseline(name, text, outline)
        with _lock:
            _verdicts[name] = verdict
            _judged[name] = id(module)
    logger.debug("baseline of %s: %s (%s)", name, verdict.state, verdict.reason)
    return verdict


def forget_verdict(name: str) -> None:
    """Drop the verdict about ``name`` (a test's module, a module unloaded for good)."""
    with _lock:
        _verdicts.pop(name, None)
        _judged.pop(name, None)


def in_user_scope(path: str) -> bool:
    """Whether ``path`` is one of the user's files: not the standard library,
    site-packages, installed scripts, or splice itself."""
    real = os.path.realpath(path)
    return not any(
        real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in _foreign_roots()
    )


def process_start_ns() -> int | None:
    """When this process's Python state began (the wall clock, in ns), or None off Linux.

    A process forked without ``exec`` (same executable, same command line as
    its parent) inherited modules its parent imported earlier: then the
    oldest such ancestor's start counts.
    """
    global _process_start
    if _process_start is None:
        _process_start = _measure_process_start()
    return _process_start


# -- the verdict ---------------------------------------------------------------


def _judge(name: str, module: ModuleType, path: str) -> tuple[Verdict, str | None, Outline | None]:
    from splice.engine.apply import patch_module

    def verdict(state: State, reason: str, evidence: Evidence = "", lines: int = 0) -> Verdict:
        return Verdict(name, path, state, reason, evidence, lines)

    try:
        with open(path, "rb") as stream:
            data = stream.read()
            status = os.fstat(stream.fileno())
        text = importlib.util.decode_source(data)
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        return verdict("differs", f"the file cannot be read now: {error}"), None, None
    text = text[1:] if text.startswith("\ufeff") else text
    lines = text.count("\n") + (not text.endswith("\n"))
    filename = code_filename(module)
    try:
        code = compile(text, filename, "exec", dont_inherit=True)
        outline = parse_definitions(text, filename)
    except (SyntaxError, ValueError) as error:
        return (
            verdict("differs", f"the file does not compile now: {error}", lines=lines),
            None,
            None,
        )
    foreign = _function_not_in(module, filename, _all_codes(code))
    if foreign is not None:
        where = f"{foreign.__qualname__} (line {foreign.__code__.co_firstlineno})"
        reason = f"the file differs from what runs: the code of {where} is not in it"
        return verdict("differs", reason, lines=lines), None, None
    result = patch_module(module, text, dry_run=True)
    running = _running_line(module)
    difference = _difference(result, outline, running)
    if difference is not None:
        reason = f"the file differs from what runs: {difference}"
        return verdict("differs", reason, lines=lines), None, None
    unverified = [f for f in result.skipped if f.code.endswith("-unverified")]
    if not unverified:
        reason = "every part of the file matches the live objects"
        return verdict("verified", reason, "live-objects", lines), text, outline
    start = process_start_ns()
    if start is not None and max(status.st_mtime_ns, status.st_ctime_ns) < start:
        reason = (
            "the live objects match the file, and it was last written before the process "
            "started, so the import read this text"
        )
        return verdict("verified", reason, "file-times", lines), text, outline
    first = unverified[0]
    detail = first.message.removesuffix(_NO_BASELINE)
    if not detail.startswith(first.where()):
        detail = f"{first.where()}: {detail}"
    reason = (
        f"the live objects cannot show whether the file is what runs ({detail}), "
        "and it was written after the process started"
    )
    return verdict("unconfirmed", reason, lines=lines), None, None


def _difference(result: Any, outline: Outline, running: int | None) -> str | None:
    """What the dry run would change or refused, or None when it found nothing."""
    from splice.report import describe_changes, describe_errors

    if result.errors:
        return describe_errors(result)
    added = [
        qualname
        for qualname in result.added
        if running is None or not _below(outline, qualname, running)
    ]
    statements = [line for line in result.statements_applied if running is None or line <= running]
    if result.changed or result.deleted or result.rebound or result.moved or added or statements:
        return describe_changes(result)
    for finding in result.skipped:
        if not finding.code.endswith("-unverified"):
            return f"{finding.message} ({finding.where()})"
    return None


def _below(outline: Outline, qualname: str, line: int) -> bool:
    """Whether ``qualname`` (or its outermost class) is defined below ``line``."""
    top = outline.definitions.get(qualname.split(".")[0])
    return top is not None and top.line > line


def _running_line(module: ModuleType) -> int | None:
    """The line a still-running top-level code of ``module`` has reached, if it runs."""
    namespace = vars(module)
    for frame in sys._current_frames().values():
        current: Any = frame
        while current is not None:
            if current.f_code.co_name == "<module>" and current.f_globals is namespace:
                return int(current.f_lineno or 0)
            current = current.f_back
    return None


def _all_codes(code: CodeType) -> set[CodeType]:
    found = set()
    stack = [code]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
    return found


def _function_not_in(module: ModuleType, filename: str, codes: set[CodeType]) -> Any:
    """A live function from ``filename`` whose code the compiled file lacks, or None."""
    name = module.__name__
    namespaces: list[Any] = [module]
    seen_classes: set[int] = set()
    while namespaces:
        namespace = namespaces.pop()
        for value in list(vars(namespace).values()):
            if isinstance(value, type):
                if value.__module__ == name and id(value) not in seen_classes:
                    seen_classes.add(id(value))
                    namespaces.append(value)
                continue
            for function in _functions_behind(value):
                code = function.__code__
                if code.co_filename == filename and code not in codes:
                    return function
    return None


def _functions_behind(value: Any) -> Iterator[FunctionType]:
    """Plain functions reachable from ``value`` through wrappers, without running properties."""
    seen: set[int] = set()
    frontier: list[tuple[Any, int]] = [(value, 0)]
    while frontier:
        current, depth = frontier.pop()
        if id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        if isinstance(current, FunctionType):
            yield current
            for cell in current.__closure__ or ():
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if isinstance(contents, FunctionType) or _peek(contents, "__wrapped__"):
                    frontier.append((contents, depth + 1))
        for attribute in ("__wrapped__", "__func__", "fget", "fset", "fdel", "func"):
            inner = _peek(current, attribute)
            if inner is not None:
                frontier.append((inner, depth + 1))


def _peek(value: Any, attribute: str) -> Any:
    try:
        if isinstance(value, (staticmethod, classmethod, property, MethodType)):
            return getattr(value, attribute, None)
        if isinstance(value, FunctionType):
            return vars(value).get(attribute)
        instance = object.__getattribute__(value, "__dict__")
    except (AttributeError, TypeError):
        return None
    if not isinstance(instance, dict):
        return None
    found = instance.get(attribute)
    if found is None and attribute == "func":
        found = getattr(value, "func", None) if _is_partial(value) else None
    return found


def _is_partial(value: Any) -> bool:
    import functools

    return isinstance(value, functools.partial)


def _timed(verdict: Verdict, started: float) -> Verdict:
    from dataclasses import replace

    return replace(verdict, duration_ms=(time.perf_counter() - started) * 1000)


def _path(module: ModuleType) -> str | None:
    try:
        return source_path(module)
    except Exception:  # a module with a hostile __getattr__ is not ours to judge
        return None


# -- the background pass -------------------------------------------------------


def _recover_all() -> None:
    finished = _finished
    try:
        candidates = _candidates()
        with _lock:
            _pending.update(name for name, _ in candidates)
        for name, module in candidates:
            began = time.perf_counter()
            try:
                verify_module(name, module)
            except Exception:  # never let the thread fail noisily in the user's process
                logger.debug("could not verify the baseline of %s", name, exc_info=True)
            finally:
                with _lock:
                    _pending.discard(name)
            # Rest as long as the module took: the program keeps at least half of
            # the interpreter meanwhile (a request that needs a module judges it first).
            time.sleep(min(time.perf_counter() - began, _MAX_REST))
    finally:
        finished.set()


def _candidates() -> list[tuple[str, ModuleType]]:
    found = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or has_baseline(name) or name in _verdicts:
            continue
        path = _path(module)
        if path is not None and in_user_scope(path):
            found.append((name, module))
    found.sort(key=lambda item: (item[0] != "__main__", item[0]))
    return found


_roots: tuple[str, ...] | None = None


def _foreign_roots() -> tuple[str, ...]:
    global _roots
    if _roots is None:
        import site
        import sysconfig

        roots = set()
        for scheme_key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts"):
            for variables in (None, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
                try:
                    roots.add(sysconfig.get_path(scheme_key, vars=variables))
                except (KeyError, ValueError):
                    continue
        for getter in ("getsitepackages", "getusersitepackages"):
            try:
                found = getattr(site, getter)()
            except AttributeError:  # a virtualenv's old site.py
                continue
            roots.update([found] if isinstance(found, str) else found)
        roots.update(
            p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")
        )
        import splice

        roots.add(os.path.dirname(os.path.abspath(splice.__file__ or "")))
        _roots = tuple(sorted({os.path.realpath(root) for root in roots if root}))
    return _roots


def _after_fork() -> None:
    """In a forked child: the parent's thread is gone; verdicts and the start time stay."""
    global _lock, _started_in
    _lock = threading.Lock()
    _started_in = None
    _pending.clear()


# -- when the process started ---------------------------------------------------


def _measure_process_start() -> int | None:
    try:
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        since_boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        now = time.time_ns()
        pid = os.getpid()
        identity = _identity(pid)
        started, parent = _stat(pid)
    except (AttributeError, OSError, ValueError):
        return None
    while parent > 1:
        try:
            if _identity(parent) != identity:
                break
            started, parent = _stat(parent)[0], _stat(parent)[1]
        except (OSError, ValueError):
            break
    # /proc counts clock ticks since boot, rounded down: an earlier bound, never a later one.
    return now - (since_boot - started * 1_000_000_000 // ticks_per_second)


def _identity(pid: int) -> tuple[str, bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as stream:
        command = stream.read()
    return os.readlink(f"/proc/{pid}/exe"), command


def _stat(pid: int) -> tuple[int, int]:
    """(start time in clock ticks since boot, parent pid) from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat", "rb") as stream:
        fields = stream.read().rpartition(b")")[2].split()
    return int(fields[19]), int(fields[1])


__all__ = [
    "THREAD_NAME",
    "Verdict",
    "ensure_verified",
    "forget_verdict",
    "in_user_scope",
    "is_pending",
    "process_start_ns",
    "start_recovery",
    "verdict_of",
    "verify_module",
    "wait_for_recovery",
]
