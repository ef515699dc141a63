"""Units the warehouse weighs in."""

import functools

KG_PER_LB = 0.4536
PRECISION = 2


def to_kg(pounds):
    return round(pounds * KG_PER_LB, PRECISION)


@functools.cache
def unit_label():
    return f"kg (to {PRECISION} places)"
