"""A small shop: the kind of module people edit while it runs."""

from dataclasses import dataclass

TAX_RATE = 0.2
log = []
log.append("shop loaded")


@dataclass
class Item:
    name: str
    price: float

    def label(self):
        return f"{self.name}: {self.price:.2f}"


class Cart:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)
        return self

    def total(self):
        return total_price(self.items)


def total_price(items):
    return sum(item.price for item in items) * (1 + TAX_RATE)
