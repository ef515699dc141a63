"""The repository's own example, examples/shop, as a user runs it (``python app.py``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Ticks
from sequence import App

EDITS = (
    Edit(
        "vat-rate-imported-by-name",
        1,
        {"pricing.py": [("VAT_RATE = 0.2", "VAT_RATE = 0.25")]},
        stale=(Spot("app.py", "from pricing import VAT_RATE"),),
        must_apply=True,
        why="issue 19: examples/shop's VAT_RATE edit must be live in app.py",
    ),
    Edit(
        "discount-in-total-price",
        0,
        {"app.py": [("subtotal * (1 + VAT_RATE)", "subtotal * 0.9 * (1 + VAT_RATE)")]},
    ),
    Edit("rounding", 0, {"pricing.py": [("return round(amount, 2)", "return round(amount, 1)")]}),
)

APP = App(
    name="shop",
    folder=Path(__file__).resolve().parents[3] / "examples" / "shop",
    command=("app.py",),
    probes=Ticks(pattern=r"^\[tick \d+\] (.*)$"),
    edits=EDITS,
    drivers=("watch", "lsp"),
)
