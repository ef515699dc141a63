"""Text that parses but does not compile is a syntax-error finding, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import splice
from engine.helpers import Live, codes, ok
from splice.engine.baselines.store import baseline_source

SOURCE = "def f():\n    return 1\n\nclass C:\n    def m(self):\n        return 1\n"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    line: int
    column: int
    selected: str | None  # the definition to patch alone with only=, if one holds the error


CASES = [
    Case("starred return", SOURCE.replace("return 1", "return *x", 1), 2, 12, "f"),
    Case(
        "starred return after non-ASCII text",
        SOURCE.replace("return 1", "s = 'éé'; return *x", 1),
        2,
        len("    s = 'éé'; return ") + 1,
        "f",
    ),
    Case("break outside a loop", SOURCE + "\nbreak\n", 8, 1, None),
    Case(
        "yield in a class body", SOURCE.replace("class C:\n", "class C:\n    yield 1\n"), 5, 5, None
    ),
    Case(
        "future import below the top",
        SOURCE + "\nfrom __future__ import annotations\n",
        8,
        1,
        None,
    ),
    Case("await outside async", SOURCE + "\ndef g():\n    await f()\n", 9, 5, "g"),
    Case(
        "nonlocal without a binding",
        SOURCE.replace("        return 1", "        nonlocal x\n        return 2"),
        6,
        9,
        "C.m",
    ),
    Case(
        "return with a value in an async generator",
        SOURCE + "    async def n(self):\n        yield 1\n        return 2\n",
        9,
        9,
        "C.n",
    ),
]
WITH_ONLY = [case for case in CASES if case.selected is not None]


def _unchanged(live: Live, module: object, baseline: bool) -> None:
    assert module.f() == 1  # type: ignore[attr-defined]
    assert module.C().m() == 1  # type: ignore[attr-defined]
    assert not hasattr(module, "g")
    assert not hasattr(module.C, "n")  # type: ignore[attr-defined]
    if baseline:
        assert baseline_source(module.__name__) == SOURCE  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_compile_error_is_a_syntax_error_finding(live: Live, case: Case, baseline: bool) -> None:
    module = live.load(SOURCE, baseline=baseline)
    result = live.patch(module, case.text)
    assert not result.ok
    assert codes(result.errors) == ["syntax-error"]
    assert (result.errors[0].line, result.errors[0].column) == (case.line, case.column)
    assert result.changed == result.added == ()
    _unchanged(live, module, baseline)
    # Nothing was applied and the module stays patchable.
    ok(live.patch(module, SOURCE.replace("return 1", "return 3", 1)))
    assert module.f() == 3


@pytest.mark.parametrize("case", WITH_ONLY, ids=[case.name for case in WITH_ONLY])
@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_compile_error_with_only_is_located_in_the_users_text(
    live: Live, case: Case, baseline: bool
) -> None:
    # A definition above the selected one puts it lower in the user's text than
    # in the baseline it is spliced into.
    text = "def above():\n    return 0\n\n" + case.text
    module = live.load(SOURCE, baseline=baseline)
    result = live.patch(module, text, only=[case.selected])
    assert codes(result.errors) == ["syntax-error"]
    assert (result.errors[0].line, result.errors[0].column) == (case.line + 3, case.column)
    _unchanged(live, module, baseline)


def test_compile_error_in_a_dry_run_is_reported(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE + "\nbreak\n", dry_run=True)
    assert codes(result.errors) == ["syntax-error"]
    assert result.summary().startswith("would not patch")


@pytest.mark.parametrize(
    ("statement", "column"), [("break\n", 1), ("print('é', await f())\n", 12), ("return 1\n", 1)]
)
def test_run_statement_compile_error_is_a_finding(live: Live, statement: str, column: int) -> None:
    module = live.load(SOURCE)
    result = splice.run_statement(module, 1, statement)
    assert codes(result.errors) == ["syntax-error"]
    assert (result.errors[0].line, result.errors[0].column) == (1, column)
    assert result.statements_applied == ()


@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_source_with_a_byte_order_mark_patches(live: Live, baseline: bool) -> None:
    module = live.load(SOURCE, baseline=baseline)
    result = ok(splice.patch_module(module, "\ufeff" + SOURCE.replace("return 1", "return 2", 1)))
    assert result.changed == ("f",)
    assert module.f() == 2
    assert baseline_source(module.__name__) == SOURCE.replace("return 1", "return 2", 1)


def test_run_statement_source_with_a_byte_order_mark_runs(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(splice.run_statement(module, 1, "\ufeffvalue = 5\n"))
    assert result.statements_applied == (1,)
    assert module.value == 5


@pytest.mark.parametrize("header", ["", '"""Doc."""\n'], ids=["first", "after-docstring"])
def test_future_import_added_at_the_top_is_not_an_error(live: Live, header: str) -> None:
    module = live.load(header + SOURCE)
    result = live.patch(module, header + "from __future__ import annotations\n" + SOURCE)
    assert "syntax-error" not in codes(result.errors)
