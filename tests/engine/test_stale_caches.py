"""Caches of unchanged functions that read what a patch changed: cleared in the commit."""

from __future__ import annotations

import splice
from engine.helpers import Live, ok

READS_RATE = """\
import functools

RATE = 3


@functools.lru_cache
def scaled(value):
    return value * RATE


@functools.cache
def unrelated(value):
    return value + 1
"""

CALLS_HELPER = """\
import functools


def helper(value):
    return value + 1


@functools.cache
def cached(value):
    return helper(value) * 10
"""


def test_cache_of_function_reading_a_rebound_name_is_cleared(live: Live) -> None:
    module = live.load(READS_RATE)
    assert module.scaled(2) == 6
    result = ok(live.patch(module, READS_RATE.replace("RATE = 3", "RATE = 4")))
    if not live.baseline:  # an edited literal is named; running it is the fix
        [finding] = result.skipped
        assert finding.code == "statement-unverified"
        assert module.scaled(2) == 6
        ok(splice.run_statement(module, finding.line or 0))
    assert module.scaled(2) == 8


def test_cache_of_unrelated_function_is_kept(live: Live) -> None:
    module = live.load(READS_RATE)
    module.unrelated(1)
    ok(live.patch(module, READS_RATE.replace("RATE = 3", "RATE = 4")))
    assert module.unrelated.cache_info().currsize == 1


def test_cache_of_function_calling_a_changed_function_is_cleared(live: Live) -> None:
    module = live.load(CALLS_HELPER)
    assert module.cached(1) == 20
    result = ok(live.patch(module, CALLS_HELPER.replace("value + 1", "value + 2")))
    assert result.changed == ("helper",)
    assert module.cached(1) == 30


def test_cache_in_importing_module_reading_a_copy_is_cleared(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)  # the importer's mode is tested
    app = live.load(
        f"import functools\nfrom {pricing.__name__} import VAT_RATE\n\n"
        "@functools.cache\ndef gross(net):\n    return round(net * (1 + VAT_RATE), 2)\n"
    )
    assert app.gross(100) == 120
    ok(live.patch(pricing, "VAT_RATE = 0.5\n"))
    assert app.gross(100) == 150


def test_cache_of_method_calling_a_changed_function_is_cleared(live: Live) -> None:
    text = (
        CALLS_HELPER
        + "\n\nclass Shop:\n    @functools.cache\n    def price(self):\n        return helper(1)\n"
    )
    module = live.load(text)
    shop = module.Shop()
    assert shop.price() == 2
    ok(live.patch(module, text.replace("value + 1", "value + 5")))
    assert shop.price() == 6


def test_cache_of_recreated_cached_function_is_found_next_time(live: Live) -> None:
    module = live.load(READS_RATE)
    first = READS_RATE.replace("@functools.lru_cache\n", "@functools.lru_cache(maxsize=8)\n")
    ok(live.patch(module, first))  # scaled re-created: a new cache
    assert module.scaled(2) == 6
    ok(live.patch(module, first.replace("RATE = 3", "RATE = 5")))
    assert module.scaled(2) == 10
