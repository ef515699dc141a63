"""A realistic edit of a whole module at once (tests/engine/cases/shop)."""

from __future__ import annotations

from engine.helpers import Live, codes, ok


def test_shop_edit_reports_each_change(live: Live) -> None:
    before, after = live.case("shop")
    module = live.load(before)
    result = ok(live.patch(module, after))
    assert set(result.changed) == {"Item", "Item.label", "total_price"}
    assert result.added == ("Cart.count",)
    assert result.moved == ("Cart.__init__", "Cart.add", "Cart.total")
    # Without a baseline, `log.append(...)` cannot be told changed: reported all the same.
    assert codes(result.skipped) == [live.either("statement-not-run", "statement-unverified")]
    assert result.skipped[0].line == 8
    assert set(result.statements_applied) == {5, 6}


def test_shop_edit_existing_cart_uses_new_code(live: Live) -> None:
    before, after = live.case("shop")
    module = live.load(before)
    cart = module.Cart().add(module.Item("tea", 100.0))
    assert cart.total() == 120.0
    ok(live.patch(module, after))
    cart.add(module.Item("cup", 10.0, quantity=2))
    assert cart.count() == 3
    assert cart.total() == round(120 * 1.25 - 10, 2)
    assert cart.items[0].label() == "1 x tea: 100.00"
    assert module.log == ["shop loaded"]
