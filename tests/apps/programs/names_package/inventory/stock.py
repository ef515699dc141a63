"""What is on the shelves."""

from inventory.text import slugify
from inventory.units import KG_PER_LB, to_kg, unit_label

STOCK = [("Green Tea", 10), ("Coffee Beans", 25)]


def stock_lines():
    return [
        {"sku": slugify(name), "kg": to_kg(pounds), "unit": unit_label()} for name, pounds in STOCK
    ]


def conversion():
    return {"kg_per_lb": KG_PER_LB}
