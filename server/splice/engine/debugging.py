"""Whether a debugger holds a thread's frame: told by the agent, asked by ``stale/frames.py``.

Its own small module so that ``listen()`` can tell it without loading the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType

#: Set by ``splice.agent.debug.install``: whether the stack under this top frame is
#: stopped in a debugger (then ``function-running`` says so).
stopped_in_debugger: Callable[[FrameType], bool] | None = None
