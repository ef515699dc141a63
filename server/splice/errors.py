"""The exceptions splice raises, and their stable JSON-RPC error codes.

    SpliceError                          (splice.errors unless named)
     ├── UnknownModuleError              the module is not loaded, or has no source
     ├── ProtocolError                   a malformed message on the wire
     │    └── FrameTooLargeError         a frame announced a body over the limit (agent.wire)
     ├── AuthenticationError             a missing or wrong proof of the token
     │    └── KernelIdentityError        the process at a kernel's address is not that
     │                                   kernel: no proof of its token, or another process
     │                                   holds the socket (agent.authentication)
     ├── KernelUnavailableError          no kernel found, or the kernel died or did not answer
     │    ├── KernelBusyError            the kernel refused a connection: too many clients
     │    └── KernelTimeoutError         the kernel did not answer in time (also a TimeoutError)
     ├── RemoteError                     the kernel answered with a JSON-RPC error
     ├── UnsafeRuntimeDirectoryError     the runtime directory could let another user in
     │                                   (agent.connection; also a PermissionError)
     └── AttachError                     ``splice attach`` could not start the agent; ``.reason``
                                         is one of attach.errors.REASONS (attach.errors)

Internal, caught where they are raised and never reaching the caller:

    MethodError                   agent.requests: becomes a JSON-RPC error reply
    UserCodeRaised                agent.requests: a BaseException of the program's code,
                                  contained; the method answers with its own result
    UntrustedConnectionFileError  agent.connection: a file discovery skips; load()
                                  turns it into KernelUnavailableError (a ValueError)
    ConnectionClosedError         agent.wire: the peer closed the stream (a ConnectionError)
    PeerError                     agent.program: a process --watch could not reach
    Raised                        agent.evaluation: user code raised; becomes an error reply
    NotResolved                   agent.inspection: a chain ``inspect`` cannot follow
    CallInterruptedError          attach.gdb_script: a call inside gdb did not return
    _Failed                       lsp.patching: a kernel could not answer, in words

Two derive from ``BaseException`` and are raised inside user code from
another thread, both in agent.evaluation: ``EvaluationCancelled`` (a
``cancel`` request; the reply is an error) and ``ReprTimeout`` (a
``__repr__`` past its time limit; the value is described instead).

The engine raises only on misuse (an unknown module, a wrong argument type);
a patch that cannot be applied is reported in its ``PatchResult``, not raised.
"""

from __future__ import annotations


class SpliceError(Exception):
    """The root of every exception splice raises on purpose."""

    #: The JSON-RPC error code this exception maps to on the wire.
    rpc_code = -32000


class UnknownModuleError(SpliceError, LookupError):
    """The module is not in ``sys.modules``, or has no Python source."""

    rpc_code = -32002


class DeadlinePassed(SpliceError):
    """A patch's deadline passed before it was swapped in: everything it staged was undone."""


class ProtocolError(SpliceError):
    """A message on the wire is malformed (framing, JSON or JSON-RPC shape)."""

    rpc_code = -32600


class AuthenticationError(SpliceError):
    """The client did not present the kernel's token, or a wrong one."""

    rpc_code = -32001


class KernelIdentityError(AuthenticationError):
    """The process at a kernel's address could not show that it is that kernel; nothing was sent."""


class KernelUnavailableError(SpliceError):
    """No live kernel could be reached: none found, refused, or it died."""

    rpc_code = -32003


class KernelBusyError(KernelUnavailableError):
    """The kernel is alive but refused the connection: too many clients, or authenticating."""

    rpc_code = -32004


class KernelTimeoutError(KernelUnavailableError, TimeoutError):
    """The kernel did not answer within the deadline: stopped, deadlocked or stuck in user code."""


class RemoteError(SpliceError):
    """The kernel answered a request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


#: Every error code splice puts on the wire, in one place.
RPC_CODES = {
    "parse_error": -32700,
    "invalid_request": -32600,
    "method_not_found": -32601,
    "invalid_params": -32602,
    "internal_error": -32603,
    "server_error": SpliceError.rpc_code,
    "unauthorized": AuthenticationError.rpc_code,
    "unknown_module": UnknownModuleError.rpc_code,
    "kernel_unavailable": KernelUnavailableError.rpc_code,
    "busy": KernelBusyError.rpc_code,
    "expired": -32005,
}


def describe_kernel_error(error: BaseException, connection_file: str) -> str:
    """Why a kernel gave no answer, in the words every client uses (``splice patch``, MCP)."""
    if isinstance(error, KernelIdentityError):
        return f"not that kernel: {error}"
    if isinstance(error, AuthenticationError):
        return f"wrong token: the kernel refused {connection_file} ({error})"
    if isinstance(error, KernelBusyError):
        return f"kernel busy: {error}"
    if isinstance(error, KernelTimeoutError):
        return f"kernel not answering: {error}"
    if isinstance(error, KernelUnavailableError):
        return f"kernel died or is unreachable: {error}"
    if isinstance(error, RemoteError) and error.code == RPC_CODES["expired"]:
        return f"not applied: {error}"
    if isinstance(error, RemoteError):
        return f"kernel error {error.code}: {error}"
    return f"{error.__class__.__name__}: {error}"
