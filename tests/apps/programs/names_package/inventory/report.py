"""The report the dashboard shows."""

from inventory.stock import conversion, stock_lines
from inventory.text import slugify

TITLE = "Warehouse stock"


def build_report():
    return {"title": slugify(TITLE), "lines": stock_lines(), **conversion()}
