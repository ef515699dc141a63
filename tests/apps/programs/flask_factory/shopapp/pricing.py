"""Prices: tax, discounts and how they are shown."""

import functools

VAT = 0.2
DISCOUNT = 0.0


def price_with_vat(cents):
    return round(cents * (1 + VAT))


def format_price(cents):
    return f"{cents / 100:.2f} EUR"


@functools.lru_cache(maxsize=128)
def discounted(cents):
    return round(cents * (1 - DISCOUNT))
