"""A package whose modules import names from each other (``python run.py``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Ticks
from sequence import App

STOCK_IMPORTS = Spot("inventory/stock.py", "from inventory.")
REPORT_IMPORTS = Spot("inventory/report.py", "from inventory.text import")

DECORATED_TEXT = '''\
"""Text helpers."""

import functools


def lowercase(function):
    @functools.wraps(function)
    def wrapper(name):
        return function(name).lower()

    return wrapper


@lowercase
def slugify(name):
    return name.strip().replace(" ", "-")
'''

EDITS = (
    Edit(
        "constant-imported-by-name",
        1,
        {"inventory/units.py": [("KG_PER_LB = 0.4536", "KG_PER_LB = 0.45359237")]},
        stale=(STOCK_IMPORTS,),
        must_apply=True,
    ),
    Edit(
        "decorator-added-to-an-imported-function",
        1,
        {"inventory/text.py": DECORATED_TEXT},
        stale=(STOCK_IMPORTS, REPORT_IMPORTS),
        must_apply=True,
        why="slugify is rebound; stock.py and report.py hold the undecorated function",
    ),
    Edit(
        "constant-read-by-a-cache",
        3,
        {"inventory/units.py": [("PRECISION = 2", "PRECISION = 3")]},
        must_apply=True,
    ),
    Edit(
        "rename-saved-together",
        6,
        {
            # The importer first: the order in which an editor that saves both may send them.
            "inventory/stock.py": [
                ("KG_PER_LB, to_kg, unit_label", "KG_PER_LB, pounds_to_kg, unit_label"),
                ('"kg": to_kg(pounds)', '"kg": pounds_to_kg(pounds)'),
            ],
            "inventory/units.py": [("def to_kg(pounds):", "def pounds_to_kg(pounds):")],
        },
        must_apply=True,
    ),
    Edit(
        "half-finished-rename",
        7,
        {"inventory/text.py": [("def slugify(name):", "def make_slug(name):")]},
        stale=(STOCK_IMPORTS, REPORT_IMPORTS),
        why="stock.py and report.py still import slugify: a fresh start fails with ImportError",
    ),
    Edit(
        "rename-finished",
        0,
        {
            "inventory/stock.py": [
                ("from inventory.text import slugify", "from inventory.text import make_slug"),
                ('"sku": slugify(name)', '"sku": make_slug(name)'),
            ],
            "inventory/report.py": [
                ("from inventory.text import slugify", "from inventory.text import make_slug"),
                ('"title": slugify(TITLE)', '"title": make_slug(TITLE)'),
            ],
        },
    ),
    Edit(
        "re-exported-function-body",
        0,
        {"inventory/report.py": [("**conversion()}", '**conversion(), "version": 2}')]},
    ),
)

APP = App(
    name="names_package",
    folder=Path(__file__).resolve().parents[1] / "programs" / "names_package",
    command=("run.py",),
    probes=Ticks(),
    edits=EDITS,
    drivers=("watch", "lsp"),
)
