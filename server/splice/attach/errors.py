"""Why an attach failed: one exception, a stable reason code, and a message saying what to do."""

from __future__ import annotations

from splice.errors import SpliceError

#: Every ``AttachError.reason``, for ``--json`` output and tests.
REASONS = (
    "no_such_process",
    "not_python",
    "python_too_old",
    "process_stopped",
    "ptrace_not_permitted",
    "gdb_missing",
    "gdb_failed",
    "timeout",
    "bootstrap_failed",
)


class AttachError(SpliceError):
    """The agent could not be started in the target; the target runs on as before."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown attach failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason
