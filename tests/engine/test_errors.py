"""Error paths: nothing changes, and the result says where and why."""

from __future__ import annotations

import pytest

import splice
from engine.helpers import Live, codes, ok

SOURCE = """\
def f():
    return 1

def g():
    return 1
"""


def test_syntax_error_changes_nothing(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE.replace("return 1\n\ndef g", "return 2\n\ndef g(:"))
    assert not result.ok
    assert codes(result.errors) == ["syntax-error"]
    assert module.f() == 1


def test_syntax_error_reports_line_and_column(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE.replace("return 1\n\ndef g", "return 2\n\ndef g(:"))
    error = result.errors[0]
    assert (error.line, error.column) == (4, 7)
    assert "nothing was changed" in result.summary()


def test_syntax_error_keeps_baseline(live: Live) -> None:
    module = live.load(SOURCE)
    live.patch(module, "def f(:\n")
    result = ok(live.patch(module, SOURCE.replace("return 1\n\ndef g", "return 3\n\ndef g")))
    assert result.changed == ("f",)
    assert module.f() == 3


def test_rollback_undoes_earlier_changes_of_same_patch(live: Live) -> None:
    module = live.load(SOURCE + "\nLIMIT = 1\n")
    f, g = module.f, module.g
    after = (
        SOURCE.replace("return 1", "return 2")
        + "\nLIMIT = 2\n\ndef fail(function):\n    raise ValueError('bad decorator')\n\n@fail\ndef h():\n    pass\n"
    )
    result = live.patch(module, after)
    assert codes(result.errors) == ["apply-failed"]
    assert "ValueError: bad decorator" in result.errors[0].message
    assert result.changed == ()
    assert (f(), g(), module.LIMIT) == (1, 1, 1)
    assert module.f is f
    assert not hasattr(module, "fail")


def test_signature_default_error_refused(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, SOURCE.replace("def f():", "def f(x=undefined_name):"))
    assert codes(result.errors) == ["signature-failed"]
    assert result.errors[0].line == 1
    assert module.f() == 1


def test_unknown_module_name_raises() -> None:
    with pytest.raises(splice.UnknownModuleError):
        splice.patch_module("splice_no_such_module", "")


def test_module_without_source_raises() -> None:
    import math

    with pytest.raises(splice.UnknownModuleError):
        splice.patch_module(math, "")


def test_new_source_not_text_raises(live: Live) -> None:
    module = live.load(SOURCE)
    with pytest.raises(TypeError):
        splice.patch_module(module, b"def f(): pass")  # type: ignore[arg-type]


def test_refused_edit_leaves_other_changes_unapplied(live: Live) -> None:
    source = SOURCE + "\nclass A:\n    pass\n\nclass B(A):\n    pass\n"
    module = live.load(source)
    result = live.patch(module, source.replace("return 1", "return 2").replace("B(A)", "B(object)"))
    assert codes(result.errors) == ["class-bases-changed"]
    assert result.changed == ()
    assert module.f() == 1
