"""Products of code that already ran: each top-level statement still holding old values is named."""

from __future__ import annotations

import sys
import types

import pytest

import splice
from engine.helpers import Live, codes, ok
from splice.engine import stale
from splice.engine.hooks import Adapter, PatchPlan, adapters, reset_adapters

CONFIG = """\
from dataclasses import dataclass


@dataclass
class Config:
    lr: float = 0.1


CFG = Config()
"""

FACTORY = """\
def configure(app):
    app["debug"] = False


def create_app():
    app = {}
    configure(app)
    return app


app = create_app()
"""


def _stale(result: splice.PatchResult) -> list[splice.Finding]:
    return [finding for finding in result.skipped if finding.code == "statement-stale"]


def test_instance_made_with_changed_dataclass_default_is_named(live: Live) -> None:
    module = live.load(CONFIG)
    result = ok(live.patch(module, CONFIG.replace("0.1", "0.01")))
    [finding] = _stale(result)
    assert finding.line == 9 and finding.severity == "warning"
    assert finding.rerun
    assert "CFG" in finding.message and "Config" in finding.message
    assert module.CFG.lr == 0.1  # named, never re-run behind the user's back


def test_named_statement_run_again_matches_a_fresh_start(live: Live) -> None:
    module = live.load(CONFIG)
    after = CONFIG.replace("0.1", "0.01")
    [finding] = _stale(ok(live.patch(module, after)))
    assert finding.line is not None
    ok(splice.run_statement(module, finding.line))
    assert module.CFG.lr == live.fresh(after).CFG.lr == 0.01


def test_product_of_a_function_the_factory_calls_is_named(live: Live) -> None:
    module = live.load(FACTORY)
    result = ok(live.patch(module, FACTORY.replace("False", "True")))
    [finding] = _stale(result)
    assert finding.line == 11
    assert "create_app" in finding.message and "configure" in finding.message


def test_product_in_an_importing_module_is_named_on_the_change(live: Live) -> None:
    factory = live.load(FACTORY.replace("\n\napp = create_app()\n", "\n"))
    main = live.load(f"from {factory.__name__} import create_app\n\napp = create_app()\n")
    result = ok(
        live.patch(
            factory, FACTORY.replace("\n\napp = create_app()\n", "\n").replace("False", "True")
        )
    )
    [finding] = _stale(result)
    assert finding.line == 1  # configure, the definition whose change it missed
    assert finding.place is not None
    assert (finding.place.module, finding.place.line) == (main.__name__, 3)
    assert finding.rerun
    ok(splice.run_statement(main, 3))
    assert main.app == {"debug": True}


def test_product_through_a_module_that_imports_the_patched_one_is_named(live: Live) -> None:
    settings = live.load("def debug():\n    return False\n")
    factory = live.load(
        f"import {settings.__name__} as settings\n\n"
        "def create_app():\n    return {'debug': settings.debug()}\n"
    )
    main = live.load(f"from {factory.__name__} import create_app\n\napp = create_app()\n")
    result = ok(live.patch(settings, "def debug():\n    return True\n"))
    [finding] = _stale(result)
    assert finding.place is not None and finding.place.module == main.__name__


def test_statement_reading_a_rebound_literal_is_named(live: Live) -> None:
    module = live.load("RATE = 3\nLIMIT = RATE * 2\n")
    result = ok(live.patch(module, "RATE = 4\nLIMIT = RATE * 2\n"))
    # Without a baseline the later statement that reads RATE explains its value:
    # RATE is kept and that statement is the one named (docs/edits.md).
    [finding] = result.skipped
    assert finding.code == live.either("statement-stale", "statement-unverified")
    assert finding.line == 2 and "RATE" in live.either(finding.message, "RATE")


def test_dict_built_from_a_copy_in_an_importer_is_named(live: Live) -> None:
    pricing = live.load("VAT_RATE = 0.2\n", baseline=True)  # the importer's mode is tested
    app = live.load(f"from {pricing.__name__} import VAT_RATE\n\nRATES = {{'vat': VAT_RATE}}\n")
    result = ok(live.patch(pricing, "VAT_RATE = 0.3\n"))
    [finding] = _stale(result)
    assert finding.place is not None and finding.place.line == 3
    assert finding.line == 1
    assert app.RATES == {"vat": 0.2}


def test_statement_with_other_effects_is_named_without_rerun(live: Live) -> None:
    module = live.load("EVENTS = []\n\ndef setup():\n    EVENTS.append(1)\n\nsetup()\n")
    result = ok(
        live.patch(module, "EVENTS = []\n\ndef setup():\n    EVENTS.append(2)\n\nsetup()\n")
    )
    [finding] = _stale(result)
    assert finding.line == 6 and not finding.rerun
    assert "Restart" in finding.message


def test_decorator_that_changed_names_the_definitions_it_made(live: Live) -> None:
    before = (
        "def tagged(function):\n    function.tag = 'old'\n    return function\n\n"
        "@tagged\ndef view():\n    return 1\n"
    )
    module = live.load(before)
    result = ok(live.patch(module, before.replace("'old'", "'new'")))
    [finding] = _stale(result)
    assert finding.qualname == "view" and finding.line == 5


def test_unrelated_statements_are_not_named(live: Live) -> None:
    text = "import os\n\nNAME = os.path.basename('a/b')\n\ndef f():\n    return 1\n\nX = f()\n"
    module = live.load(text)
    result = ok(
        live.patch(module, text.replace("return 1\n\nX", "return 1\n\ndef g():\n    return 2\n\nX"))
    )
    assert _stale(result) == []


def test_main_guard_is_not_named(live: Live) -> None:
    text = "def main():\n    return 1\n\nif __name__ == '__main__':\n    main()\n"
    module = live.load(text)
    assert _stale(ok(live.patch(module, text.replace("return 1", "return 2")))) == []


def test_statement_the_patch_changed_is_named_once(live: Live) -> None:
    module = live.load(CONFIG)
    result = ok(
        live.patch(module, CONFIG.replace("0.1", "0.01").replace("Config()", "Config(lr=1)"))
    )
    # Without a baseline it cannot be told changed: the more precise finding replaces "cannot tell".
    assert codes(result.skipped) == [live.either("statement-not-run", "statement-stale")]
    assert [f.line for f in result.skipped] == [9]


def test_dry_run_names_the_statement_too(live: Live) -> None:
    module = live.load(CONFIG)
    result = splice.patch_module(module, CONFIG.replace("0.1", "0.01"), dry_run=True)
    assert [f.line for f in _stale(result)] == [9]


def test_function_only_held_by_a_statement_is_not_named(live: Live) -> None:
    # The holders keep the function object, which the patch changes in place.
    text = (
        "HANDLERS = {}\n\ndef index():\n    return 'old'\n\n"
        "def create_app():\n    routes = {'/': index}\n    return routes\n\n"
        "app = create_app()\nHANDLERS['index'] = index\nLISTED = [index]\n"
    )
    module = live.load(text)
    result = ok(live.patch(module, text.replace("'old'", "'new'")))
    assert _stale(result) == []
    assert module.app["/"]() == "new"


def test_recreated_function_held_by_a_statement_is_named(live: Live) -> None:
    text = "import functools\n\ndef index():\n    return 'old'\n\nLISTED = [index]\n"
    module = live.load(text)
    result = ok(live.patch(module, text.replace("def index", "@functools.cache\ndef index")))
    assert result.rebound == ("index",)
    [finding] = _stale(result)
    assert finding.line == 7 and "LISTED" in finding.message


def test_statement_run_again_rebinds_the_copies_importers_made(live: Live) -> None:
    config = live.load(CONFIG)
    trainer = live.load(f"from {config.__name__} import CFG\n")
    [finding] = _stale(ok(live.patch(config, CONFIG.replace("0.1", "0.01"))))
    result = ok(splice.run_statement(config, finding.line or 0))
    assert trainer.CFG is config.CFG and trainer.CFG.lr == 0.01
    assert codes(result.skipped) == ["copy-rebound"]


def test_product_an_adapter_brings_up_to_date_is_not_named(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = live.load(FACTORY)

    class Updater(Adapter):
        framework = "splice_toy_framework"

        def plan_patch(self, patch: PatchPlan) -> None:
            if "configure" in patch.changed:
                patch.brings_up_to_date(patch.live("app"))

    toy = types.ModuleType("splice_toy_adapter")
    toy.adapter = Updater()  # type: ignore[attr-defined]
    monkeypatch.setitem(
        sys.modules, "splice_toy_framework", types.ModuleType("splice_toy_framework")
    )
    monkeypatch.setitem(sys.modules, "splice_toy_adapter", toy)
    reset_adapters()
    monkeypatch.setattr(
        adapters, "_entry_points", {"splice_toy_framework": "splice_toy_adapter:adapter"}
    )
    try:
        result = ok(live.patch(module, FACTORY.replace("False", "True")))
    finally:
        reset_adapters()
    assert _stale(result) == []


def test_a_check_that_raises_is_named_and_the_patch_applies(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = live.load(CONFIG)

    def broken(*arguments: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(stale, "plan_products", broken)
    result = ok(live.patch(module, CONFIG.replace("0.1", "0.01")))
    # Without a baseline the statement the check would have named stays "unverified".
    assert codes(result.skipped) == [
        *live.either([], ["statement-unverified"]),
        "stale-check-failed",
    ]
    assert "statements: RuntimeError: a bug" in result.skipped[-1].message
    assert module.Config().lr == 0.01


def test_block_is_named_for_the_names_it_bound_only(live: Live) -> None:
    # `if os.fork() == 0: child()`: which branch ran is not known; what it bound is.
    text = (
        "def helper():\n    return 1\n\n"
        "for _ in range(2):\n    if _ > 5:\n        helper()\n\n"
        "if True:\n    VALUE = helper()\n"
    )
    module = live.load(text)
    result = ok(live.patch(module, text.replace("return 1", "return 2")))
    assert [(f.line, f.code) for f in _stale(result)] == [(8, "statement-stale")]
    assert "VALUE" in _stale(result)[0].message


def test_statements_reading_what_a_run_statement_rebound_are_named(live: Live) -> None:
    """ "Run this statement" is a fix: what read the old value is named, as after a patch."""
    config = live.load("RATE = 3\nLIMIT = RATE * 2\n")
    app = live.load(f"from {config.__name__} import RATE\n\nRATES = {{'r': RATE}}\n")
    ran = ok(splice.run_statement(config, 1, "RATE = 4\nLIMIT = RATE * 2\n"))
    assert (config.RATE, app.RATE) == (4, 4)
    stale = sorted(
        (f.place.module if f.place else config.__name__, f.place.line if f.place else f.line)
        for f in ran.skipped
        if f.code == "statement-stale"
    )
    assert stale == sorted([(config.__name__, 2), (app.__name__, 3)])
    assert all(f.line == 1 for f in ran.skipped)
