"""Fixtures for engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.helpers import Live


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Write, import and patch real modules in ``tmp_path``; forget them afterwards."""
    helper = Live(tmp_path)
    yield helper
    helper.cleanup()
