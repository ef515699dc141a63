"""Undo: the text a module ran before its last patch comes back in place, several steps deep."""

from __future__ import annotations

from engine.helpers import Live
from splice.engine.baselines.store import baseline_source
from splice.engine.undo import undo_depth, undo_last_patch

V1 = """\
RATE = 1


def price(x):
    return x * RATE


class Cart:
    def total(self, items):
        return sum(items)
"""
V2 = V1.replace("return x * RATE", "return x * RATE + 10")
V3 = (
    V2.replace("return sum(items)", "return sum(items) * 2")
    + "\n\ndef added():\n    return 'new'\n"
)


def test_undo_restores_the_previous_text_in_place_keeping_identity(live: Live):
    module = live.load(V1)
    price, total = module.price, module.Cart.total
    assert live.patch(module, V2).ok
    assert live.patch(module, V3).ok
    assert (module.price(1), module.Cart().total([1]), module.added()) == (11, 2, "new")

    result = undo_last_patch(module)

    assert result.ok, result.summary()
    assert module.price is price and module.Cart.total is total
    assert (module.price(1), module.Cart().total([1])) == (11, 1)
    assert not hasattr(module, "added")
    assert baseline_source(module.__name__) == V2


def test_undo_goes_several_steps_back_then_says_there_is_nothing_left(live: Live):
    module = live.load(V1)
    price = module.price
    live.patch(module, V2)
    live.patch(module, V3)
    # Without a baseline, the first patch had no earlier text to record.
    depth = live.either(2, 1)
    assert undo_depth(module) == depth

    for _ in range(depth):
        assert undo_last_patch(module).ok

    assert module.price is price
    assert module.price(1) == live.either(1, 11)
    refused = undo_last_patch(module)
    assert not refused.ok
    assert refused.first_error is not None and refused.first_error.code == "nothing-to-undo"
    assert module.price(1) == live.either(1, 11)


def test_undo_that_cannot_apply_changes_nothing_and_keeps_the_history(live: Live):
    module = live.load(V1)
    live.patch(module, V2)
    live.patch(module, V3)
    # The program rebound the class behind splice's back: the older text's
    # Cart.total has no live class to go into, so the undo is refused whole.
    module.Cart = None
    before = undo_depth(module)

    result = undo_last_patch(module)

    assert not result.ok
    assert module.price(1) == 11
    assert module.added() == "new"
    assert undo_depth(module) == before
