"""splice: live, function-level hot patching of running Python processes.

Importing splice does nothing but define names: no threads, hooks or files.
``listen()`` starts the kernel agent, explicitly and idempotently.
"""

from __future__ import annotations

from typing import Any

from splice.engine import patch_module, run_statement
from splice.engine.result import Finding, PatchResult
from splice.errors import (
    AuthenticationError,
    KernelUnavailableError,
    ProtocolError,
    RemoteError,
    SpliceError,
    UnknownModuleError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Finding",
    "KernelUnavailableError",
    "PatchResult",
    "ProtocolError",
    "RemoteError",
    "SpliceError",
    "UnknownModuleError",
    "__version__",
    "listen",
    "load_ipython_extension",
    "patch_module",
    "run_statement",
    "unload_ipython_extension",
]


def listen(**options: Any) -> Any:
    """Start the kernel agent in this process (idempotent); return its connection info."""
    from splice.kernel.agent import listen as start

    return start(**options)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext splice``: listen from an IPython shell or a Jupyter kernel."""
    from splice.kernel.ipython import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from splice.kernel.ipython import unload_ipython_extension as unload

    unload(ipython)
