"""The generated module the process and Dask benchmarks patch: about 2,000 lines."""

from __future__ import annotations

FUNCTIONS = 250
#: Lines ``make_module`` writes: seven per function, four for the header and ``target``.
LINES = FUNCTIONS * 7 + 4


def make_module(marker: int) -> str:
    """About 2,000 lines of functions; ``target`` returns ``marker``."""
    lines = ['"""A generated module for benchmarks."""', ""]
    for index in range(FUNCTIONS):
        lines += [
            f"def function_{index}(value, scale={index}):",
            f'    """Function {index}."""',
            "    total = value * scale",
            "    for step in range(3):",
            "        total += step",
            "    return total",
            "",
        ]
    lines += ["def target():", f"    return {marker}", ""]
    return "\n".join(lines)
