"""splice: live, function-level hot patching of running Python processes.

Importing splice does nothing but define names: no threads, hooks or files,
and the engine itself loads on first use (the command line starts faster).
``listen()`` starts the kernel agent, explicitly and idempotently.
"""

from __future__ import annotations

from splice.errors import (
    AuthenticationError,
    KernelUnavailableError,
    ProtocolError,
    RemoteError,
    SpliceError,
    UnknownModuleError,
)

# Not ``typing.TYPE_CHECKING``: importing splice must not load ``typing`` (about 3 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from splice.engine.apply import patch_module, run_statement
    from splice.engine.hooks.updates import on_update
    from splice.engine.result import Finding, PatchResult

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
    "on_update",
    "patch_module",
    "run_statement",
    "unload_ipython_extension",
]

_LAZY = {
    "on_update": "splice.engine.hooks.updates",
    "patch_module": "splice.engine.apply",
    "run_statement": "splice.engine.apply",
    "Finding": "splice.engine.result",
    "PatchResult": "splice.engine.result",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'splice' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def listen(**options: Any) -> Any:
    """Start the kernel agent in this process (idempotent); return its connection info."""
    from splice.agent.process import listen as start

    return start(**options)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext splice``: listen from an IPython shell or a Jupyter kernel."""
    from splice.agent.ipython import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from splice.agent.ipython import unload_ipython_extension as unload

    unload(ipython)
