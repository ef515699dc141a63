"""The script the target runs (by ``sys.remote_exec`` or a pending call): find splice, start it.

``splice attach`` copies this file into its workspace with the
``PARAMETERS`` line filled in (``workspace.py``). It runs in the target's
interpreter, whatever its virtualenv, so it needs only the standard library:
it imports splice from the attacher's copy by path, leaves ``sys.path`` as it
was, and reports in ``output/result.json``. It first claims ``output/claim``
(an exclusive create): when the attacher gave up waiting it has taken the
claim, and a late run does nothing.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sys
import traceback
from typing import Any

PARAMETERS: dict[str, Any] = {}


def _import_splice(package_directory: str) -> Any:
    """splice from ``package_directory``, whatever the target's ``sys.path`` holds."""
    loaded = sys.modules.get("splice")
    if loaded is not None:
        paths = [os.path.realpath(path) for path in getattr(loaded, "__path__", [])]
        if os.path.realpath(package_directory) not in paths:
            raise ImportError(
                f"this process already imported another module named splice ({paths or loaded}); "
                f"splice attach needs its own ({package_directory})"
            )
        return loaded
    spec = importlib.util.spec_from_file_location(
        "splice",
        os.path.join(package_directory, "__init__.py"),
        submodule_search_locations=[package_directory],
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load splice from {package_directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["splice"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["splice"]
        raise
    return module


def _write_result(path: str, result: dict[str, Any]) -> None:
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump(result, stream)
    os.replace(temporary, path)


def _attach(parameters: dict[str, Any]) -> None:
    directory = parameters["output"]
    try:
        claim = os.open(os.path.join(directory, "claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError:
        return  # the attacher gave up (it holds the claim), or this already ran
    os.close(claim)
    # Importing splice allocates enough to trigger a collection, and on a big heap
    # a full one would be charged to the target's main thread: pause the GC meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # The attacher checked already; an older target must still fail with a sentence.
        if sys.version_info < (3, 10):  # noqa: UP036
            raise RuntimeError(f"Python {sys.version.split()[0]} is older than 3.10")
        _import_splice(parameters["package"])
        from splice.attach import bootstrap

        result = bootstrap.start(parameters.get("runtimeDir"))
    except BaseException as error:
        result = {
            "error": f"{error.__class__.__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
    finally:
        if collecting:
            gc.enable()
    _write_result(os.path.join(directory, "result.json"), result)


if PARAMETERS:
    _attach(PARAMETERS)
