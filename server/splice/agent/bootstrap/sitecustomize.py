"""splice's start-up hook for the Python processes of a program under splice.

``splice run`` puts this folder first on ``PYTHONPATH``, so every child
interpreter (spawned multiprocessing workers, the forkserver, Python
subprocesses) runs this before any user import; an editor puts it there for a
program it debugs (``SPLICE_DEBUG_SESSION``, see splice.agent.debug). It starts
splice's baseline recorder and agent (``splice.agent.children``), then runs the
user's own ``sitecustomize``, if there is one further down the path, as it
would have run.
"""

import importlib
import os
import sys


def _start_splice() -> None:
    try:
        from splice.agent.children import bootstrap
    except Exception:  # another interpreter without splice: it runs as it would have
        return
    bootstrap()


def _chain_to_the_next_sitecustomize() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ours = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    try:
        importlib.import_module("sitecustomize")  # the user's, if there is one
    except ImportError as error:
        if error.name != "sitecustomize":
            raise
        if ours is not None:
            sys.modules["sitecustomize"] = ours
    finally:
        sys.path[:] = saved


# SPLICE_DEBUG_SESSION: an editor's debug session (splice.agent.debug).
if os.environ.get("SPLICE_ROOT_PID") or os.environ.get("SPLICE_DEBUG_SESSION"):
    _start_splice()
_chain_to_the_next_sitecustomize()
