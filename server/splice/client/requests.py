"""What both clients send and how they read errors: no asyncio, so ``splice patch`` starts fast."""

from __future__ import annotations

from splice.errors import AuthenticationError, KernelBusyError, ProtocolError, RemoteError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Seconds to reach a kernel and finish the handshake.
CONNECT_TIMEOUT = 10.0
#: Seconds to wait for unsent bytes to leave when closing.
CLOSE_TIMEOUT = 1.0
#: Seconds a request may take by default: a patch takes milliseconds, so a
#: kernel silent for this long is stopped, deadlocked or stuck in user code.
REQUEST_TIMEOUT = 60.0
#: The requests before authentication: they take no deadline.
HANDSHAKE_METHODS = ("initialize", "authenticate")


def remote_error(error: Any) -> Exception:
    """The exception for a JSON-RPC ``error`` object."""
    if not isinstance(error, dict):
        return ProtocolError(f"malformed error object {error!r}")
    code = error.get("code")
    message = str(error.get("message", "unknown error"))
    if code == AuthenticationError.rpc_code:
        return AuthenticationError(message)
    if code == KernelBusyError.rpc_code:
        return KernelBusyError(message)
    return RemoteError(code if isinstance(code, int) else -32603, message, error.get("data"))


def patch_params(
    module: str,
    source: str,
    only: list[str] | tuple[str, ...] | None,
    dry_run: bool,
    delete_removed: bool,
) -> dict[str, Any]:
    """The ``patch`` request's params; both clients send the same ones."""
    params: dict[str, Any] = {
        "module": module,
        "source": source,
        "dryRun": dry_run,
        "deleteRemoved": delete_removed,
    }
    if only is not None:
        params["only"] = list(only)
    return params


def run_statement_params(module: str, line: int, source: str | None) -> dict[str, Any]:
    """The ``runStatement`` request's params; both clients send the same ones."""
    params: dict[str, Any] = {"module": module, "line": line}
    if source is not None:
        params["source"] = source
    return params
