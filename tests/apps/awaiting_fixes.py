"""Cases of the corpus that fail on main while their fixes are made (issue 19).

Each is ``client-app-NN-edit`` (the test id) → what has to change, so the
lead can route it. Listed cases still run: they are ``xfail(strict=True)``,
so when a fix makes one pass the run fails until its line is removed here.
Remove the whole list when issue 19 is done; nothing else may be added to it.
"""

from __future__ import annotations

AWAITING_FIXES: dict[str, str] = {}

#: Cases that fail on main only sometimes, from a race rather than a missing feature: they run
#: and are ``xfail(strict=False)``. Each says how often it failed and why.
AWAITING_FIXES_INTERMITTENT: dict[str, str] = {}
