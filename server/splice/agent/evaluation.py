"""Running the user's expressions for the editor: interruptible, with output captured.

Three things make an evaluation safe to run from an editor:

- ``Interruptible``: a thread running user code can be interrupted from another
  thread (a ``cancel`` request, or the repr's time limit) by raising an
  exception in it at its next bytecode, and again every 50 ms for as long as
  the user code runs (code that catches the exception does not get to go on).
  C code that does not return to Python (``time.sleep``, a huge builtin
  ``repr``) is interrupted only when it returns.
- ``captured_output``: what the evaluating thread prints goes to a buffer
  returned with the result; every other thread's output reaches the program's
  own stdout and stderr as before.
- ``bounded_repr``: the text of a value, built within a size budget (so a list
  of ten million items costs what its first few thousand characters cost), and
  the user's ``__repr__`` within a time limit.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import linecache
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType
from typing import Any, TextIO

from splice.agent import statics
from splice.agent.threads import daemon_thread

#: Characters of printed output kept per evaluation; the rest is counted, not kept.
OUTPUT_LIMIT = 100_000


class EvaluationCancelled(BaseException):
    """Raised inside an evaluation that was cancelled."""


class ReprTimeout(BaseException):
    """Raised inside a ``__repr__`` that ran past its time limit."""


def _set_async_exception(thread_id: int, error: type[BaseException] | None) -> bool:
    try:
        import ctypes
    except ImportError:  # an interpreter without ctypes: nothing can be interrupted
        return False
    target = ctypes.py_object(error) if error is not None else None
    count = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)
    return bool(count == 1)


#: Seconds between two interruptions of user code that goes on after one.
INTERRUPT_AGAIN = 0.05


class Interruptible:
    """A stretch of user code on one thread that other threads may interrupt.

    Interrupting is allowed only while the stretch runs (under a lock); once
    interrupted, the stretch is interrupted again every ``INTERRUPT_AGAIN``
    seconds until it ends (user code may catch the first exception and go
    on). Leaving the stretch clears an interruption not delivered yet, so the
    exception cannot land in the agent's code after the user's has finished.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: int | None = None
        #: Counts stretches, so an interruption of one never reaches the next.
        self._stretch = 0
        self._left = threading.Event()
        self.interrupted_by: type[BaseException] | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            self._thread = threading.get_ident()
            self._stretch += 1
            self.interrupted_by = None
            self._left = threading.Event()
        try:
            yield
        finally:
            # An interruption may land while leaving; the next comes INTERRUPT_AGAIN
            # later, by when this has long finished: so it is left on the second try.
            while True:
                try:
                    self._leave()
                    break
                except BaseException:  # noqa: S112 - our own interruption, arriving late
                    continue

    def _leave(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            pending = self.interrupted_by is not None
            self._left.set()
        if pending and thread is not None:
            _set_async_exception(thread, None)

    def interrupt(self, error: type[BaseException]) -> bool:
        """Raise ``error`` in the running code, and again until it ends; False when nothing runs."""
        with self._lock:
            if self._thread is None or self.interrupted_by is not None:
                return False
            if not _set_async_exception(self._thread, error):
                return False
            self.interrupted_by = error
            stretch, left = self._stretch, self._left
        daemon_thread(self._insist, "splice-agent-interrupt", (error, stretch, left)).start()
        return True

    def _insist(self, error: type[BaseException], stretch: int, left: threading.Event) -> None:
        while not left.wait(INTERRUPT_AGAIN):
            with self._lock:
                if self._thread is None or self._stretch != stretch:
                    return
                _set_async_exception(self._thread, error)


_evaluations_lock = threading.Lock()
_evaluations: dict[str, Interruptible] = {}


@contextlib.contextmanager
def registered(evaluation_id: str | None, guard: Interruptible) -> Iterator[None]:
    """Make ``guard`` reachable by ``cancel(evaluation_id)`` while the block runs."""
    if evaluation_id is None:
        yield
        return
    with _evaluations_lock:
        if evaluation_id in _evaluations:
            raise ValueError(f"an evaluation with id {evaluation_id!r} is already running")
        _evaluations[evaluation_id] = guard
    try:
        yield
    finally:
        with _evaluations_lock:
            _evaluations.pop(evaluation_id, None)


def cancel(evaluation_id: str) -> bool:
    """Interrupt the running evaluation with that id; False if none runs."""
    with _evaluations_lock:
        guard = _evaluations.get(evaluation_id)
    return guard is not None and guard.interrupt(EvaluationCancelled)


class Raised(Exception):
    """User code raised ``error`` (anything, ``SystemExit`` included) after printing ``output``."""

    def __init__(self, error: BaseException, output: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.output = output


_inputs = itertools.count(1)
#: Prefix of the file names evaluated input is compiled under (shown in tracebacks).
INPUT_FILE = "<splice evaluate"


def compile_input(text: str, statements: bool) -> tuple[CodeType | None, CodeType | None]:
    """``(block, expression)``: the code to run, and the last expression whose value is shown.

    Without ``statements`` the text must be one expression. With it, the text
    is a block whose last statement, when it is an expression, gives the value,
    as at the interactive prompt. The text is put in ``linecache`` so that its
    lines show in tracebacks.
    """
    filename = f"{INPUT_FILE} {next(_inputs)}>"
    if not statements:
        whole = compile(text, filename, "eval", dont_inherit=True)
        _remember_lines(filename, text)
        return None, whole
    tree = ast.parse(text, filename, "exec")
    final = tree.body[-1] if tree.body else None
    expression: CodeType | None = None
    if isinstance(final, ast.Expr):
        tree.body.pop()
        expression = compile(ast.Expression(final.value), filename, "eval", dont_inherit=True)
    block = compile(tree, filename, "exec", dont_inherit=True) if tree.body else None
    _remember_lines(filename, text)
    return block, expression


def _remember_lines(filename: str, text: str) -> None:
    lines = text.splitlines(keepends=True)
    linecache.cache[filename] = (len(text), None, lines, filename)


def format_traceback(error: BaseException) -> str:
    """The traceback from the evaluated input down, without the agent's own frames."""
    frames = error.__traceback__
    while frames is not None and not frames.tb_frame.f_code.co_filename.startswith(INPUT_FILE):
        frames = frames.tb_next
    return "".join(traceback.format_exception(type(error), error, frames or error.__traceback__))


# Output ------------------------------------------------------------------------------


class _Capture:
    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0
        self.limit = limit

    def write(self, text: str) -> None:
        room = self.limit - self.size
        if room > 0:
            kept = text[:room]
            self.parts.append(kept)
            self.size += len(kept)
        self.dropped += max(0, len(text) - max(room, 0))

    def text(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[{self.dropped} more characters of output not kept]\n"
        return text


class _RoutedStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: capturing threads write to their buffer."""

    def __init__(self, original: TextIO) -> None:
        self.original = original
        self.captures: dict[int, _Capture] = {}

    def write(self, text: str) -> int:
        capture = self.captures.get(threading.get_ident())
        if capture is None:
            return self.original.write(text)
        capture.write(str(text))
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() not in self.captures:
            self.original.flush()

    def __getattr__(self, name: str) -> Any:
        # encoding, isatty, fileno, buffer...: the program's stream answers.
        return getattr(self.original, name)


_streams_lock = threading.Lock()


@contextlib.contextmanager
def captured_output(limit: int = OUTPUT_LIMIT) -> Iterator[_Capture]:
    """Collect what this thread writes to stdout and stderr while the block runs.

    The stand-in streams are put in place only while some evaluation runs, and
    taken out only if the program has not replaced them meanwhile.
    """
    capture = _Capture(limit)
    thread = threading.get_ident()
    routed: list[_RoutedStream] = []
    with _streams_lock:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _RoutedStream):
                if stream is None:
                    continue
                stream = _RoutedStream(stream)
                setattr(sys, name, stream)
            stream.captures[thread] = capture
            routed.append(stream)
    try:
        yield capture
    finally:
        with _streams_lock:
            for stream in routed:
                stream.captures.pop(thread, None)
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if isinstance(stream, _RoutedStream) and not stream.captures:
                    setattr(sys, name, stream.original)


# Repr --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A value's text for the editor: at most ``limit`` characters, and whether it was cut."""

    text: str
    type_name: str
    truncated: bool


#: A repr that takes longer than this is cut short (Python code only, see module doc).
REPR_TIME_LIMIT = 1.0
#: Integers larger than this many bits are described, not printed.
_LARGEST_INT_BITS = 100_000
_MAX_DEPTH = 30
_CONTAINERS = (list, tuple, set, frozenset, dict)


def type_name(value: Any) -> str:
    """The value's type, ``module.Qualname``, read without running the program's code."""
    return statics.type_name(value)


def bounded_repr(
    value: Any, limit: int, guard: Interruptible, time_limit: float = REPR_TIME_LIMIT
) -> Shown:
    """``repr(value)``, the same text when it fits in ``limit`` characters, cut otherwise."""
    builder = _ReprBuilder(limit)
    cancelled = threading.Event()

    def interrupt_when_late() -> None:
        if not cancelled.wait(time_limit):
            guard.interrupt(ReprTimeout)

    # Not a threading.Timer: splice's threads are the ones a debugger leaves alone.
    daemon_thread(interrupt_when_late, "splice-repr-timer").start()
    try:
        with guard.running():
            builder.add(value, 0)
    except ReprTimeout:
        builder.truncated = True
        if not builder.parts:
            limit_text = f"{round(time_limit, 1):g}"
            builder.emit(f"<{type_name(value)} object: its repr took longer than {limit_text} s>")
    finally:
        cancelled.set()
    return Shown("".join(builder.parts), type_name(value), builder.truncated)


class _ReprBuilder:
    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.truncated = False
        self._active: set[int] = set()

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def emit(self, text: str) -> None:
        room = self.limit - self.size
        if len(text) > room:
            text = text[: max(room, 0)]
            self.truncated = True
        self.parts.append(text)
        self.size += len(text)

    def add(self, value: Any, depth: int) -> None:
        if self.full:
            self.truncated = True
            return
        kind = type(value)
        if statics.exactly(value, _CONTAINERS) and depth < _MAX_DEPTH:
            self._container(value, kind, depth)
        elif statics.exactly(value, (str, bytes)) and len(value) > self.limit:
            self.emit(repr(value[: self.limit]))
            self.truncated = True
        elif kind is int and value.bit_length() > _LARGEST_INT_BITS:
            self.emit(f"<int of {value.bit_length()} bits>")
        else:
            self.emit(self._user_repr(value))

    def _container(self, value: Any, kind: Any, depth: int) -> None:
        if id(value) in self._active:
            self.emit("[...]" if kind is list else "{...}" if kind is dict else "...")
            return
        if not value:
            self.emit(repr(value))
            return
        brackets: dict[Any, tuple[str, str]] = {
            list: ("[", "]"),
            tuple: ("(", ",)" if len(value) == 1 else ")"),
            set: ("{", "}"),
            frozenset: ("frozenset({", "})"),
            dict: ("{", "}"),
        }
        opening, closing = brackets[kind]
        self._active.add(id(value))
        try:
            self.emit(opening)
            items = value.items() if kind is dict else value
            for index, item in enumerate(items):
                if self.full:
                    self.truncated = True
                    return
                if index:
                    self.emit(", ")
                if kind is dict:
                    self.add(item[0], depth + 1)
                    self.emit(": ")
                    self.add(item[1], depth + 1)
                else:
                    self.add(item, depth + 1)
            self.emit(closing)
        finally:
            self._active.discard(id(value))

    def _user_repr(self, value: Any) -> str:
        try:
            return repr(value)
        except Exception as error:  # the user's __repr__ is broken: say so, not fail
            return f"<{type_name(value)} object: repr raised {error.__class__.__name__}: {error}>"
