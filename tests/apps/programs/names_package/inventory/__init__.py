"""Stock of a small warehouse."""

from inventory.report import build_report

__all__ = ["build_report"]
