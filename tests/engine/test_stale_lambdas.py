"""Lambdas held by module-level containers are patched in place, not skipped."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

SCHEDULES = """\
SCHEDULES = {
    "constant": lambda step: 1.0,
    "exp": lambda step: 0.9 ** step,
}
HANDLERS = [lambda event: "a", (lambda event: "b", 2)]
"""


def test_lambda_in_module_level_dict_is_patched_in_place(live: Live) -> None:
    module = live.load(SCHEDULES)
    held = module.SCHEDULES["exp"]
    result = ok(live.patch(module, SCHEDULES.replace("0.9 ** step", "0.5 ** step")))
    assert codes(result.skipped) == []
    assert result.changed == ("SCHEDULES",)
    assert held(1) == 0.5 and module.SCHEDULES["exp"] is held


def test_lambda_in_module_level_list_and_tuple_is_patched_in_place(live: Live) -> None:
    module = live.load(SCHEDULES)
    result = ok(live.patch(module, SCHEDULES.replace('"b"', '"B"').replace('"a"', '"A"')))
    assert codes(result.skipped) == []
    assert module.HANDLERS[0](None) == "A" and module.HANDLERS[1][0](None) == "B"


def test_lambda_patched_keeps_the_container_the_program_changed(live: Live) -> None:
    module = live.load(SCHEDULES)
    module.SCHEDULES["added"] = len
    result = ok(live.patch(module, SCHEDULES.replace("0.9 ** step", "0.5 ** step")))
    # Without a baseline the dict no longer matches the text: not verified, named.
    assert codes(result.skipped) == live.either([], ["statement-unverified"])
    assert module.SCHEDULES["exp"](1) == live.either(0.5, 0.9)
    assert module.SCHEDULES["added"] is len


def test_statement_whose_other_parts_changed_is_still_named(live: Live) -> None:
    module = live.load(SCHEDULES)
    after = SCHEDULES.replace('"constant"', '"flat"').replace("0.9 ** step", "0.5 ** step")
    result = ok(live.patch(module, after))
    assert codes(result.skipped) == [live.either("statement-not-run", "statement-unverified")]
    assert module.SCHEDULES["exp"](1) == 0.9


def test_lambda_reading_a_new_name_is_patched(live: Live) -> None:
    module = live.load("RATE = 0.9\n" + SCHEDULES)
    text = "RATE = 0.9\n" + SCHEDULES.replace("0.9 ** step", "RATE ** step")
    ok(live.patch(module, text))
    assert module.SCHEDULES["exp"](2) == 0.81
