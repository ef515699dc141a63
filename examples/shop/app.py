"""A small shop that keeps running: edit a function below, save, and watch it change.

Run it with splice (see the README):

    splice run --watch examples/shop/app.py

then change, say, the discount in ``total_price`` and save. The running
program picks up the new code on its next tick; the cart (its state) stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pricing import VAT_RATE, round_price

TICK_SECONDS = 2.0


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 1


CART = [Item("coffee", 3.5, 2), Item("croissant", 2.2), Item("juice", 4.0)]
print("shop is open")  # a side effect splice will never re-run


def total_price(items: list[Item]) -> float:
    subtotal = sum(item.price * item.quantity for item in items)
    return round_price(subtotal * (1 + VAT_RATE))


def describe(items: list[Item]) -> str:
    return f"{len(items)} items, total {total_price(items):.2f}"


def main() -> None:
    tick = 0
    while True:
        tick += 1
        print(f"[tick {tick}] {describe(CART)}", flush=True)
        time.sleep(TICK_SECONDS)


if __name__ == "__main__":
    main()
