"""Fixtures for engine tests.

Every test that patches a module through ``live`` runs twice: once with the
module imported under splice's import hook (a recorded baseline) and once
imported before splice (no baseline), with the same expectations except where
docs/edits.md documents a difference (``live.baseline`` tells the mode).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.helpers import Live


@pytest.fixture(params=["baseline", "no-baseline"])
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    """Write, import and patch real modules in ``tmp_path``; forget them afterwards."""
    helper = Live(tmp_path, baseline=request.param == "baseline")
    yield helper
    helper.cleanup()


@pytest.fixture
def unwatched(tmp_path: Path) -> Iterator[Live]:
    """Only the no-baseline mode: for behaviours that exist only without a baseline."""
    helper = Live(tmp_path, baseline=False)
    yield helper
    helper.cleanup()
