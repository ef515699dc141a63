"""Baselines: recorded at import, advanced by patches, and done without when missing."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from engine.helpers import Live, codes, ok
from splice.engine.baselines import store

SOURCE = """\
RATE = 1

def f():
    return 1

def g():
    return "g"

class C:
    def m(self):
        return "m"
"""


@pytest.fixture
def watching() -> Iterator[None]:
    was_watching = store._finder is not None and store._finder in sys.meta_path
    store.watch_imports()
    yield
    if not was_watching:
        store.unwatch_imports()


def test_watch_imports_records_source_as_baseline(live: Live, watching: None) -> None:
    module = live.load(SOURCE, baseline=None)
    assert store.has_baseline(module.__name__)
    assert store.baseline_source(module.__name__) == SOURCE


def test_watch_imports_is_idempotent(watching: None) -> None:
    finders = [finder for finder in sys.meta_path if type(finder).__name__ == "_BaselineFinder"]
    store.watch_imports()
    again = [finder for finder in sys.meta_path if type(finder).__name__ == "_BaselineFinder"]
    assert len(finders) == len(again) == 1


def test_watch_imports_baseline_used_for_diff(live: Live, watching: None) -> None:
    module = live.load(SOURCE, baseline=None)
    result = ok(live.patch(module, SOURCE.replace("return 1", "return 2")))
    assert result.changed == ("f",)
    assert module.f() == 2


def test_baseline_advances_after_patch(live: Live) -> None:
    module = live.load(SOURCE)
    after = SOURCE.replace("return 1", "return 2")
    ok(live.patch(module, after))
    assert store.baseline_source(module.__name__) == after


def test_baseline_not_advanced_by_refused_patch(live: Live) -> None:
    module = live.load(SOURCE)
    live.patch(module, "def f(:\n")
    # Without a baseline there is none to keep: a refused patch records nothing.
    assert store.baseline_source(module.__name__) == (SOURCE if live.baseline else None)


def test_baseline_not_read_from_disk(live: Live) -> None:
    # The file changed on disk without a patch: the diff is still against what runs.
    module = live.load(SOURCE)
    live.path(module).write_text(SOURCE.replace("return 1", "return 2"))
    result = ok(live.patch(module, SOURCE.replace('"g"', '"G"')))
    assert result.changed == ("g",)
    assert module.f() == 1


def test_source_path_is_real_path(live: Live) -> None:
    module = live.load(SOURCE)
    assert store.source_path(module) == str(live.path(module).resolve())


def test_no_baseline_finds_changed_function_by_live_code(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    assert not store.has_baseline(module.__name__)
    after = SOURCE.replace("return 1", "return 2")
    # The editor saved first: the file already holds the new text.
    live.path(module).write_text(after)
    result = ok(live.patch(module, after))
    assert result.changed == ("f",)
    assert module.f() == 2


def test_no_baseline_finds_changed_method_by_live_code(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    instance = module.C()
    result = ok(live.patch(module, SOURCE.replace('"m"', '"M"')))
    assert result.changed == ("C.m",)
    assert instance.m() == "M"


def test_no_baseline_unchanged_functions_not_reported(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    result = ok(live.patch(module, SOURCE))
    assert result.changed == ()
    assert result.moved == ()


def test_no_baseline_added_function_appears(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    result = ok(live.patch(module, SOURCE + "\ndef h():\n    return 3\n"))
    assert result.added == ("h",)
    assert module.h() == 3


def test_no_baseline_literal_differing_is_named_not_reset(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    module.RATE = 3  # as the program may have set it; or the text was edited before splice
    result = ok(live.patch(module, SOURCE.replace("RATE = 1", "RATE = 5")))
    assert module.RATE == 3
    assert [finding.code for finding in result.skipped] == ["statement-unverified"]
    ok(live.patch(module, SOURCE.replace("RATE = 1", "RATE = 5")))
    assert module.RATE == 3


def test_no_baseline_deletes_function_that_came_from_a_def(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    result = ok(live.patch(module, SOURCE.replace('def g():\n    return "g"\n', "")))
    assert result.deleted == ("g",)
    assert not hasattr(module, "g")


def test_no_baseline_keeps_function_made_dynamically(live: Live) -> None:
    source = SOURCE + "\nexec('def made():\\n    return 1', globals())\n"
    module = live.load(source, baseline=False)
    assert module.made() == 1
    result = ok(live.patch(module, SOURCE))
    assert result.deleted == ()
    assert module.made() == 1


def test_no_baseline_keeps_function_from_a_factory(live: Live) -> None:
    source = (
        SOURCE
        + "\ndef _factory():\n    def made():\n        return 1\n    return made\n\nmade = _factory()\n"
    )
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, SOURCE + "\ndef _factory():\n    return None\n"))
    assert "made" not in result.deleted
    assert module.made() == 1


def test_no_baseline_moved_function_gets_new_lines(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    result = ok(live.patch(module, "\n\n" + SOURCE))
    assert "f" in result.moved
    assert module.f.__code__.co_firstlineno == 5


def test_no_baseline_patch_records_baseline(live: Live) -> None:
    module = live.load(SOURCE, baseline=False)
    after = SOURCE.replace("return 1", "return 2")
    ok(live.patch(module, after))
    assert store.baseline_source(module.__name__) == after
    result = ok(live.patch(module, after.replace('def g():\n    return "g"\n', "")))
    assert result.deleted == ("g",)


def test_no_baseline_refusal_still_applies(live: Live) -> None:
    source = "class A:\n    pass\n\nclass B(A):\n    def m(self):\n        return 1\n"
    module = live.load(source, baseline=False)
    result = live.patch(module, source.replace("B(A)", "B(object)").replace("return 1", "return 2"))
    assert not result.ok
    assert codes(result.errors) == ["class-bases-changed"]
    assert module.B().m() == 1


PROPERTY = """\
class P:
    @property
    def x(self):
        return self.__dict__.get("x", 0)

    @x.setter
    def x(self, value):
        self.__dict__["x"] = value
"""


def test_no_baseline_property_setter_changed_leaves_getter(live: Live) -> None:
    module = live.load(PROPERTY, baseline=False)
    instance = module.P()
    result = ok(live.patch(module, PROPERTY.replace("] = value", "] = value * 2")))
    assert result.changed == ("P.x",)
    instance.x = 2
    assert instance.x == 4


def test_no_baseline_defaults_follow_changed_function(live: Live) -> None:
    source = 'def f(a=1):\n    """Old."""\n    return a\n'
    module = live.load(source, baseline=False)
    ok(live.patch(module, 'def f(a=2):\n    """New."""\n    return a + 1\n'))
    assert module.f() == 3
    assert module.f.__doc__ == "New."


def test_no_baseline_existing_closure_runs_new_code(live: Live) -> None:
    source = (
        "def make(n):\n    def add(x):\n        return x + n\n    return add\n\nadd_one = make(1)\n"
    )
    module = live.load(source, baseline=False)
    existing = module.add_one
    ok(live.patch(module, source.replace("x + n", "x + n * 10")))
    assert existing(1) == 11


def test_no_baseline_if_else_pair_patches_live_branch(live: Live) -> None:
    source = "import sys\n\nif sys:\n    def f():\n        return 'if'\nelse:\n    def f():\n        return 'else'\n"
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, source.replace("'else'", "'ELSE'")))
    assert result.changed == ()
    assert module.f() == "if"


def test_no_baseline_enum_member_added_refused(live: Live) -> None:
    source = "import enum\n\nclass Color(enum.Enum):\n    RED = 1\n"
    module = live.load(source, baseline=False)
    result = live.patch(module, source + "    BLUE = 2\n")
    assert codes(result.errors) == ["enum-members-changed"]
    assert list(module.Color.__members__) == ["RED"]


def test_no_baseline_dataclass_field_added_regenerated(live: Live) -> None:
    source = "import dataclasses\n\n@dataclasses.dataclass\nclass P:\n    x: int = 0\n"
    module = live.load(source, baseline=False)
    ok(live.patch(module, source + "    y: int = 1\n"))
    assert repr(module.P()) == "P(x=0, y=1)"


def test_no_baseline_unchanged_class_with_typing_base_not_refused(live: Live) -> None:
    source = "from typing import NamedTuple\n\nclass Pair(NamedTuple):\n    a: int\n\n    def total(self):\n        return self.a\n"
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, source.replace("return self.a", "return self.a * 2")))
    assert result.changed == ("Pair.total",)
    assert module.Pair(2).total() == 4
