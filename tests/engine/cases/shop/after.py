"""A small shop: the kind of module people edit while it runs."""

from dataclasses import dataclass

TAX_RATE = 0.25
DISCOUNT = 10
log = []
log.append("shop loaded again")


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 1

    def label(self):
        return f"{self.quantity} x {self.name}: {self.price:.2f}"


class Cart:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)
        return self

    def count(self):
        return sum(item.quantity for item in self.items)

    def total(self):
        return total_price(self.items)


def total_price(items):
    subtotal = sum(item.price * item.quantity for item in items)
    return round(subtotal * (1 + TAX_RATE) - (DISCOUNT if subtotal > 100 else 0), 2)
