"""Prices and taxes: a module of the program, patched like the script itself."""

VAT_RATE = 0.2


def round_price(amount: float) -> float:
    return round(amount, 2)
