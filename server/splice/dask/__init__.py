"""splice for Dask clusters: one save patches every worker (``pip install 'splice[dask]'``).

In the program, once::

    client.register_plugin(splice.dask.SplicePlugin())

then, from anywhere that reaches the scheduler::

    outcomes = splice.dask.patch_cluster("tcp://scheduler:8786", "app.py", new_text)

This is the only part of splice that imports ``distributed``, and only when
one of these names is first used; the engine and the kernel agent stay
standard-library only. See docs/dask.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from splice.dask.cluster import DEFAULT_TIMEOUT, patch_cluster, patch_cluster_async
    from splice.dask.plugin import SplicePlugin

__all__ = ["DEFAULT_TIMEOUT", "SplicePlugin", "patch_cluster", "patch_cluster_async"]

_LAZY = {
    "DEFAULT_TIMEOUT": "splice.dask.cluster",
    "patch_cluster": "splice.dask.cluster",
    "patch_cluster_async": "splice.dask.cluster",
    "SplicePlugin": "splice.dask.plugin",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'splice.dask' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("distributed", "dask"):
            raise
        raise ModuleNotFoundError(
            f"splice.dask.{name} needs Dask's distributed: pip install 'splice[dask]'",
            name=error.name,
        ) from error
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
