"""run_statement: the explicit way to run one top-level statement a patch skipped."""

from __future__ import annotations

import pytest

import splice
from engine.helpers import Live, codes, ok

SOURCE = """\
events = []
events.append("loaded")

def f():
    return len(events)

total = sum(
    [1, 2],
)
"""


def test_run_statement_runs_exactly_that_statement(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(splice.run_statement(module, 2))
    assert result.statements_applied == (2,)
    assert module.events == ["loaded", "loaded"]
    assert module.f() == 2


def test_run_statement_line_inside_multiline_statement(live: Live) -> None:
    module = live.load(SOURCE)
    module.total = 0
    result = ok(splice.run_statement(module, 8))
    assert result.statements_applied == (7,)
    assert module.total == 3
    assert module.events == ["loaded"]


def test_run_statement_with_new_source(live: Live) -> None:
    module = live.load(SOURCE)
    new = SOURCE.replace('events.append("loaded")', 'events.append("edited")')
    result = live.patch(module, new)
    skipped = [f for f in result.skipped if f.line == 2]
    assert codes(skipped) == [live.either("statement-not-run", "statement-unverified")]
    ok(splice.run_statement(module.__name__, skipped[0].line or 0, new))
    assert module.events == ["loaded", "edited"]


def test_run_statement_error_reported_not_raised(live: Live) -> None:
    module = live.load(SOURCE + "\nboom = 1 / 0 if False else None\n")
    result = splice.run_statement(module, 2, "events = []\nraise_error = 1 / 0\n")
    assert not result.ok
    assert codes(result.errors) == ["statement-failed"]
    assert result.errors[0].line == 2
    assert "ZeroDivisionError" in result.errors[0].message


def test_run_statement_no_statement_at_line(live: Live) -> None:
    module = live.load(SOURCE)
    result = splice.run_statement(module, 3)
    assert codes(result.errors) == ["no-statement"]
    assert module.events == ["loaded"]


def test_run_statement_syntax_error_reported(live: Live) -> None:
    module = live.load(SOURCE)
    result = splice.run_statement(module, 1, "events = [\n")
    assert codes(result.errors) == ["syntax-error"]
    assert result.errors[0].line == 1
    assert module.events == ["loaded"]


def test_run_statement_unknown_module_raises() -> None:
    with pytest.raises(splice.UnknownModuleError):
        splice.run_statement("splice_no_such_module", 1)


def test_run_statement_on_a_class_line_runs_it_in_the_live_class(live: Live) -> None:
    source = "class Conn:\n    created = 0\n\n    def __init__(self):\n        Conn.created += 1\n"
    module = live.load(source)
    cls = module.Conn
    module.Conn()
    ok(splice.run_statement(module, 2, source.replace("created = 0", "created = 10")))
    assert module.Conn is cls
    assert cls.created == 10


def test_run_statement_on_a_class_header_runs_the_class_statement(live: Live) -> None:
    source = "class C:\n    x = 1\n"
    module = live.load(source)
    old = module.C
    ok(splice.run_statement(module, 1))
    assert module.C is not old and module.C.x == 1
