"""Copies made by ``from m import NAME``: rebound with the name, in the same commit."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import splice
from engine.helpers import Live, codes, ok

# The module whose literal changes keeps a baseline in both modes: without one
# an edited literal is named, not reset (test_literal_change_without_a_baseline
# below). The mode under test is the importers'.
EXAMPLE = Path(__file__).parents[2] / "examples" / "shop"


def test_copy_of_changed_literal_is_rebound(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)
    app = live.load(
        f"from {pricing.__name__} import VAT_RATE\n\n"
        "def total(amount):\n    return round(amount * (1 + VAT_RATE), 2)\n"
    )
    assert app.total(100) == 120
    result = ok(live.patch(pricing, "VAT_RATE = 0.25\n"))
    assert app.VAT_RATE == 0.25
    assert app.total(100) == 125
    assert codes(result.skipped) == ["copy-rebound"]
    assert result.skipped[0].severity == "info"
    assert f"{app.__name__}.VAT_RATE" in result.skipped[0].message


def test_copy_under_another_name_is_rebound(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)
    app = live.load(f"from {pricing.__name__} import VAT_RATE as RATE\n")
    ok(live.patch(pricing, "VAT_RATE = 0.3\n"))
    assert app.RATE == 0.3


def test_copy_of_star_import_is_rebound(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n_PRIVATE = 0.5\n", baseline=True)
    app = live.load(f"from {pricing.__name__} import *\n_PRIVATE = 0.5\n")
    ok(live.patch(pricing, "VAT_RATE = 0.3\n_PRIVATE = 0.6\n"))
    assert app.VAT_RATE == 0.3
    assert app._PRIVATE == 0.5  # not exported by the star import: the importer's own


def test_copy_of_a_copy_is_rebound(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)
    reexport = live.load(f"from {pricing.__name__} import VAT_RATE\n")
    app = live.load(f"from {reexport.__name__} import VAT_RATE\n")
    ok(live.patch(pricing, "VAT_RATE = 0.3\n"))
    assert (reexport.VAT_RATE, app.VAT_RATE) == (0.3, 0.3)


def test_copy_of_recreated_definition_is_rebound(live: Live) -> None:
    text = "import functools\n\ndef slugify(text):\n    return text.lower()\n"
    helpers = live.load(text)
    app = live.load(f"from {helpers.__name__} import slugify\n")
    decorated = text.replace("def slugify", "@functools.lru_cache\ndef slugify")
    result = ok(live.patch(helpers, decorated))
    assert result.rebound == ("slugify",)
    assert app.slugify is helpers.slugify
    assert hasattr(app.slugify, "cache_info")


def test_same_object_without_an_import_is_not_rebound(live: Live) -> None:
    # Small ints are shared objects: only an import statement makes a copy.
    limits = live.load("LIMIT = 10\n")
    other = live.load(f"import {limits.__name__}\nCOUNT = 10\nLIMIT = 10\n")
    ok(live.patch(limits, "LIMIT = 20\n"))
    assert (other.COUNT, other.LIMIT) == (10, 10)


def test_copy_the_importer_rebound_itself_is_kept(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)
    app = live.load(f"from {pricing.__name__} import VAT_RATE\nVAT_RATE = 0.1\n")
    ok(live.patch(pricing, "VAT_RATE = 0.3\n"))
    assert app.VAT_RATE == 0.1


def test_copy_is_not_rebound_by_a_failed_patch(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)
    app = live.load(f"from {pricing.__name__} import VAT_RATE\n")
    broken = "VAT_RATE = 0.3\n\ndef boom(f):\n    raise RuntimeError('no')\n\n@boom\ndef g():\n    pass\n"
    result = live.patch(pricing, broken)
    assert not result.ok
    assert (pricing.VAT_RATE, app.VAT_RATE) == (0.2, 0.2)


def test_copy_of_deleted_name_is_named(live: Live) -> None:
    helpers = live.load("def get_settings():\n    return 1\n\ndef other():\n    return 2\n")
    app = live.load(f"from {helpers.__name__} import get_settings\n")
    result = ok(
        live.patch(helpers, "def load_settings():\n    return 1\n\ndef other():\n    return 2\n")
    )
    assert result.deleted == ("get_settings",)
    assert "name-undefined" in codes(result.skipped)
    finding = next(f for f in result.skipped if f.code == "name-undefined")
    assert "ImportError" in finding.message and app.__name__ in finding.message


def test_shop_example_vat_rate_is_live_in_app(live: Live, tmp_path: Path) -> None:
    """examples/shop: app.py did ``from pricing import VAT_RATE``."""
    folder = tmp_path / "shop"
    shutil.copytree(EXAMPLE, folder)
    pricing_text = (folder / "pricing.py").read_text()
    app_text = (folder / "app.py").read_text().replace("from pricing", "from shop_pricing")
    sys.modules.pop("shop_pricing", None)
    pricing = live.load(pricing_text, baseline=True, prefix="shop_pricing")
    app = live.load(app_text.replace("shop_pricing", pricing.__name__))
    cart = app.CART
    before = app.total_price(cart)
    result = ok(live.patch(pricing, pricing_text.replace("VAT_RATE = 0.2", "VAT_RATE = 0.1")))
    assert app.VAT_RATE == 0.1
    assert app.total_price(cart) == round(before / 1.2 * 1.1, 2)
    assert "statement-stale" not in codes(result.skipped)
    assert splice.patch_module is not None


def test_copy_of_deleted_name_is_named_where_the_name_was(live: Live) -> None:
    text = "def other():\n    return 2\n\n\ndef get_settings():\n    return 1\n"
    helpers = live.load(text)
    app = live.load(f"\nfrom {helpers.__name__} import get_settings\n")
    result = ok(live.patch(helpers, text.replace("def get_settings", "def load_settings")))
    [finding] = [f for f in result.skipped if f.code == "name-undefined"]
    assert finding.line == 5
    assert finding.place is not None
    assert (finding.place.module, finding.place.line) == (app.__name__, 2)


def test_literal_change_without_a_baseline_reaches_copies_when_run(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=False)
    app = live.load(f"from {pricing.__name__} import VAT_RATE\n")
    result = ok(live.patch(pricing, "VAT_RATE = 0.25\n"))
    # The live 0.2 may be state the program set: named, with the fix to run.
    assert codes(result.skipped) == ["statement-unverified"]
    assert app.VAT_RATE == 0.2
    ran = ok(splice.run_statement(pricing, 1))
    assert codes(ran.skipped) == ["copy-rebound"]
    assert app.VAT_RATE == pricing.VAT_RATE == 0.25


def test_copy_of_deleted_name_is_not_named_when_the_importer_was_saved_without_it(
    live: Live,
) -> None:
    """A rename saved in both files, patched one after the other: a fresh start runs both."""
    text = "def get_settings():\n    return 1\n"
    helpers = live.load(text)
    app = live.load(f"from {helpers.__name__} import get_settings\n")
    live.path(app).write_text(f"from {helpers.__name__} import load_settings\n")
    result = ok(live.patch(helpers, text.replace("def get_settings", "def load_settings")))
    assert "name-undefined" not in codes(result.skipped)
