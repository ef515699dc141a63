"""only= restricts a patch to some definitions; dry_run changes nothing."""

from __future__ import annotations

from engine.helpers import Live, codes, ok
from splice.engine.baselines import store

SOURCE = """\
RATE = 1

def f():
    return 1

def g():
    return 1

class C:
    def a(self):
        return 1

    def b(self):
        return 1
"""

EVERYTHING = SOURCE.replace("return 1", "return 2").replace("RATE = 1", "RATE = 2")


def test_only_patches_selected_function(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, EVERYTHING, only=["f"]))
    assert result.changed == ("f",)
    assert (module.f(), module.g(), module.RATE) == (2, 1, 1)


def test_only_selected_method(live: Live) -> None:
    module = live.load(SOURCE)
    ok(live.patch(module, EVERYTHING, only=["C.b"]))
    assert (module.C().a(), module.C().b()) == (1, 2)


def test_only_selected_class_brings_its_methods(live: Live) -> None:
    module = live.load(SOURCE)
    ok(live.patch(module, EVERYTHING, only=["C"]))
    assert (module.C().a(), module.C().b(), module.f()) == (2, 2, 1)


def test_only_deletes_nothing(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, "def f():\n    return 3\n", only=["f"]))
    assert result.deleted == ()
    assert module.f() == 3
    assert module.g() == 1
    assert module.C().a() == 1


def test_only_adds_selected_new_function(live: Live) -> None:
    module = live.load(SOURCE)
    result = ok(live.patch(module, SOURCE + "\ndef h():\n    return 9\n", only=["h"]))
    assert result.added == ("h",)
    assert module.h() == 9


def test_only_baseline_keeps_unselected_old_text(live: Live) -> None:
    # The baseline must stay what runs, so the next full patch still sees g's edit.
    module = live.load(SOURCE)
    ok(live.patch(module, EVERYTHING, only=["f"]))
    result = ok(live.patch(module, EVERYTHING))
    assert "f" not in result.changed
    assert "g" in result.changed
    assert module.g() == 2


def test_only_unknown_name_refused(live: Live) -> None:
    module = live.load(SOURCE)
    result = live.patch(module, EVERYTHING, only=["f", "missing"])
    assert codes(result.errors) == ["unknown-definition"]
    assert result.errors[0].qualname == "missing"
    assert module.f() == 1


def test_only_without_baseline_restricts(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    result = ok(live.patch(module, EVERYTHING, only=["g"]))
    assert result.changed == ("g",)
    assert (module.f(), module.g(), module.RATE) == (1, 2, 1)


def test_dry_run_changes_nothing(live: Live) -> None:
    module = live.load(SOURCE)
    f = module.f
    code = f.__code__
    result = ok(live.patch(module, EVERYTHING + "\ndef h():\n    return 1\n", dry_run=True))
    assert result.dry_run
    assert set(result.changed) == {"f", "g", "C.a", "C.b"}
    assert result.added == ("h",)
    assert f.__code__ is code
    assert (module.f(), module.RATE) == (1, 1)
    assert not hasattr(module, "h")


def test_dry_run_keeps_baseline(live: Live) -> None:
    module = live.load(SOURCE)
    live.patch(module, EVERYTHING, dry_run=True)
    assert store.baseline_source(module.__name__) == live.either(SOURCE, None)


def test_dry_run_reports_refusal(live: Live) -> None:
    source = SOURCE + "\nclass D(C):\n    pass\n"
    module = live.load(source)
    result = live.patch(module, source.replace("class D(C)", "class D(object)"), dry_run=True)
    assert not result.ok
    assert codes(result.errors) == ["class-bases-changed"]
    assert "would not patch" in result.summary()
