"""``splice attach PID``: start the kernel agent inside a Python process already running.

The attacher (``attach.py``) inspects the target through ``/proc``
(``process.py``), then hands it a small bootstrap script (``stub.py``, which
runs ``bootstrap.py`` inside the target) through ``sys.remote_exec`` on
Python 3.14+ or through gdb on 3.10-3.13 (``inject.py``, ``gdb_script.py``).
Only ``bootstrap.py`` and ``stub.py`` run in the target: they use the standard
library and splice's own agent, imported from its path.
"""

from __future__ import annotations

from splice.attach.errors import AttachError

__all__ = ["AttachError"]
