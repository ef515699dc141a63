"""Fixtures for the framework tests: in-process modules with and without a baseline.

The end-to-end tests start their own servers (``served_app.py``); the
in-process ones use the engine tests' ``Live`` helper, once with a recorded
baseline and once as if the module had been imported before splice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.helpers import Live


@pytest.fixture(params=["baseline", "no-baseline"])
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    helper = Live(tmp_path, baseline=request.param == "baseline")
    yield helper
    helper.cleanup()
