"""Fixtures and markers for the baseline-recovery tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "edit_before_load(text): mymod.py holds text when %load_ext splice runs"
    )
