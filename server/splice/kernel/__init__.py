"""The kernel agent and its clients: standard library only.

``agent`` (the socket thread inside the user's process), ``wire`` (JSON-RPC
framing), ``connection`` (connection files), ``client`` (asyncio client),
``blocking`` (synchronous client), ``commands`` (``splice kernels``,
``splice patch``), ``launch`` (``splice kernel``), ``ipython`` (``%load_ext``).
"""

from __future__ import annotations

import logging

# The agent lives in other people's programs: without a handler of its own,
# a warning would reach their stderr through logging's last-resort handler.
logging.getLogger(__name__).addHandler(logging.NullHandler())
