"""Why an attach failed: one exception, a stable reason code, and a message saying what to do."""

from __future__ import annotations

from splice.errors import SpliceError

#: Every ``AttachError.reason``, for ``--json`` output and tests.
REASONS = (
    "no_such_process",
    "not_python",
    "python_too_old",
    "process_stopped",
    "already_traced",
    "ptrace_not_permitted",
    "no_trusted_python",
    "gdb_missing",
    "gdb_failed",
    "timeout",
    "bootstrap_failed",
    "unverified",
)

#: What to do when the kernel refuses ptrace, for every message that says so.
PTRACE_HINT = (
    "attach as the user who owns the process or as root; give the attaching user "
    "CAP_SYS_PTRACE; or allow ptrace of non-child processes with "
    "'echo 0 > /proc/sys/kernel/yama/ptrace_scope' (as root); in a container, run it with "
    "--cap-add=SYS_PTRACE"
)


class AttachError(SpliceError):
    """The agent could not be started in the target; the target runs on as before."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown attach failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason
