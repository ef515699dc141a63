"""What every request gets, whatever its method: its error, its deadline, and a guard on user code.

- ``MethodError``: a JSON-RPC error to answer with.
- ``deadline_of`` / ``before`` / ``holding_patch_lock``: a request's
  ``deadline`` (seconds since the epoch): one the kernel gets to too late is
  refused (``expired``), including work that waited for the host's loop or
  for the patch lock, so a request its client gave up on is never carried out.
- ``contained``: the one place a ``BaseException`` of the program's code
  (``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit``, an interruption)
  stops, for every method.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Runner = Callable[[Callable[[], Any]], Any]


class MethodError(Exception):
    """A JSON-RPC error to send back; ``code`` names an entry of ``RPC_CODES``."""

    def __init__(self, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class UserCodeRaised(Exception):
    """The program's code, run for a request, raised ``error``: a ``BaseException`` not an ``Exception``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{error.__class__.__name__}: {error}")
        self.error = error


def contained(run: Runner) -> Runner:
    """``run``, except that a ``BaseException`` of the work comes out as ``UserCodeRaised``.

    The one place where ``SystemExit``, ``KeyboardInterrupt``,
    ``GeneratorExit`` (and the agent's own interruptions) raised by the
    program's code stop: every method's work runs through it (``dispatch``
    wraps the runner it hands each method, ``inspect`` its repr), so no
    method can end the connection's thread or the process. What the method
    answers then is its own: a failed patch result, an evaluation error, a
    repr that says so; any other method answers ``server_error``.
    """

    def run_contained(work: Callable[[], Any]) -> Any:
        try:
            return run(work)
        except Exception:
            raise
        except BaseException as error:
            raise UserCodeRaised(error) from None

    return run_contained


def run_here(work: Callable[[], Any]) -> Any:
    """Run on the calling (connection's) thread: for what must not wait for the host's loop."""
    return work()


def deadline_of(params: dict[str, Any]) -> float | None:
    """The request's ``deadline`` (seconds since the epoch); MethodError ``expired`` once past."""
    deadline = params.get("deadline")
    if deadline is None:
        return None
    if not isinstance(deadline, (int, float)) or isinstance(deadline, bool):
        raise MethodError("invalid_params", "'deadline' must be a number (seconds since the epoch)")
    _check_deadline(float(deadline))
    return float(deadline)


def _check_deadline(deadline: float, why: str = "was the process stopped, or busy?") -> None:
    late = time.time() - deadline
    if late >= 0:
        raise MethodError(
            "expired",
            f"the request's deadline passed before the kernel could start it ({why});"
            " the client has given up on it, so nothing was done",
            {"late": round(late, 3)},
        )


def before(deadline: float, run: Runner) -> Runner:
    """``run``, refusing the work (``expired``) if it would start after ``deadline``.

    Checked when the work starts, on whatever thread runs it: a job that
    waited for the host's event loop is refused as well.
    """

    def run_in_time(work: Callable[[], Any]) -> Any:
        def timed() -> Any:
            _check_deadline(deadline)
            return work()

        return run(timed)

    return run_in_time


def holding_patch_lock(deadline: float | None, work: Callable[[], Any]) -> Any:
    """Run engine ``work`` once the process's patch lock is ours, if before ``deadline``.

    The engine would wait for the lock itself, however long another patch
    holds it (a new decorator that blocks); taken here with the deadline as
    its timeout, a patch the client gave up on meanwhile is refused, not
    applied late. The engine takes it again (it is reentrant).
    """
    from splice.engine import apply

    lock = apply.PATCH_LOCK
    timeout = -1.0 if deadline is None else max(0.0, deadline - time.time())
    if not lock.acquire(timeout=timeout):
        assert deadline is not None
        _check_deadline(deadline, "another patch held this process's patch lock")
    try:
        if deadline is not None:
            _check_deadline(deadline)
        return work()
    finally:
        lock.release()
