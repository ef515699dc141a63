"""Scores are clamped to a limit."""

LIMIT = 12


def clamp(value):
    return min(value, LIMIT)
