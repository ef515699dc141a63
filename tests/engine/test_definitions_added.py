"""Definitions that appear, disappear, are renamed, or have their decorators changed."""

from __future__ import annotations

import pytest

from engine.helpers import Live, codes, ok

BASE = """\
def f():
    return 1

class C:
    def m(self):
        return "m"
"""


def test_function_added_appears(live: Live) -> None:
    module = live.load(BASE)
    result = ok(live.patch(module, BASE + "\ndef g():\n    return f() + 1\n"))
    assert result.added == ("g",)
    assert module.g() == 2
    assert module.g.__module__ == module.__name__
    assert module.g.__code__.co_filename == module.__file__


def test_function_added_with_decorator_is_decorated(live: Live) -> None:
    after = BASE + "\nimport functools\n\n@functools.cache\ndef g(x):\n    return [x]\n"
    module = live.load(BASE)
    ok(live.patch(module, after))
    assert module.g(1) is module.g(1)
    assert module.g.cache_info().hits == 1


def test_method_added_appears_on_existing_instances(live: Live) -> None:
    module = live.load(BASE)
    instance = module.C()
    after = BASE + "\n    def n(self):\n        return self.m() + 'n'\n"
    result = ok(live.patch(module, after))
    assert result.added == ("C.n",)
    assert instance.n() == "mn"
    assert module.C.n.__qualname__ == "C.n"


def test_property_added_works(live: Live) -> None:
    module = live.load(BASE)
    after = BASE + "\n    @property\n    def size(self):\n        return 3\n"
    ok(live.patch(module, after))
    assert module.C().size == 3


def test_property_setter_added_to_existing_property(live: Live) -> None:
    before = "class C:\n    @property\n    def x(self):\n        return self.__dict__.get('x', 0)\n"
    after = (
        before
        + "\n    @x.setter\n    def x(self, value):\n        self.__dict__['x'] = value * 2\n"
    )
    module = live.load(before)
    instance = module.C()
    ok(live.patch(module, after))
    instance.x = 5
    assert instance.x == 10


def test_classmethod_added_binds_class(live: Live) -> None:
    module = live.load(BASE)
    after = BASE + "\n    @classmethod\n    def build(cls):\n        return cls()\n"
    ok(live.patch(module, after))
    assert isinstance(module.C.build(), module.C)


def test_class_added_with_decorator_appears(live: Live) -> None:
    after = BASE + (
        "\nimport dataclasses\n\n@dataclasses.dataclass\nclass Point:\n    x: int = 0\n\n"
        "    def norm(self):\n        return abs(self.x)\n"
    )
    module = live.load(BASE)
    result = ok(live.patch(module, after))
    assert result.added == ("Point",)
    assert module.Point(-2).norm() == 2
    assert module.Point(1) == module.Point(1)


def test_nested_class_method_added_in_right_namespace(live: Live) -> None:
    before = "class Outer:\n    class Inner:\n        def a(self):\n            return 1\n"
    after = before + "\n        def b(self):\n            return 2\n"
    module = live.load(before)
    ok(live.patch(module, after))
    assert module.Outer.Inner().b() == 2
    assert module.Outer.Inner.b.__qualname__ == "Outer.Inner.b"
    assert "b" not in vars(module.Outer)
    assert not hasattr(module, "b")


def test_function_deleted_disappears(live: Live) -> None:
    module = live.load(BASE + "\ndef g():\n    return 2\n")
    result = ok(live.patch(module, BASE))
    assert result.deleted == ("g",)
    assert not hasattr(module, "g")


def test_method_deleted_disappears(live: Live) -> None:
    module = live.load(BASE)
    result = ok(live.patch(module, "def f():\n    return 1\n\nclass C:\n    pass\n"))
    assert result.deleted == ("C.m",)
    assert not hasattr(module.C(), "m")


def test_class_deleted_disappears(live: Live) -> None:
    module = live.load(BASE)
    result = ok(live.patch(module, "def f():\n    return 1\n"))
    assert result.deleted == ("C",)
    assert not hasattr(module, "C")


def test_function_renamed_is_delete_and_add(live: Live) -> None:
    module = live.load(BASE)
    result = ok(live.patch(module, BASE.replace("def f():", "def first():")))
    assert result.added == ("first",)
    assert result.deleted == ("f",)
    assert module.first() == 1
    assert not hasattr(module, "f")


def test_deleted_name_rebound_by_statement_is_kept(live: Live) -> None:
    # The name now belongs to something that is not this definition.
    module = live.load(BASE)
    module.f = len
    result = ok(live.patch(module, BASE.replace("def f():\n    return 1\n", "")))
    assert result.deleted == ()
    assert module.f is len


DECORATED = """\
def twice(function):
    def wrapper(*args):
        return function(*args) * 2
    return wrapper

def scale(factor):
    def decorate(function):
        def wrapper(*args):
            return function(*args) * factor
        return wrapper
    return decorate

def f():
    return 1

@scale(2)
def g():
    return 1
"""


def test_decorator_added_rebinds_name(live: Live) -> None:
    module = live.load(DECORATED)
    old = module.f
    result = ok(live.patch(module, DECORATED.replace("def f():", "@twice\ndef f():")))
    # Without a baseline too: the live f shows no wrapper the decorator would make.
    assert result.rebound == ("f",)
    assert result.changed == ()
    assert module.f() == 2
    assert old() == 1


def test_decorator_removed_rebinds_name(live: Live) -> None:
    module = live.load(DECORATED)
    ok(live.patch(module, DECORATED.replace("@scale(2)\n", "")))
    assert module.g() == 1


def test_decorator_argument_changed_rebinds_name(live: Live) -> None:
    module = live.load(DECORATED)
    old = module.g
    result = ok(live.patch(module, DECORATED.replace("@scale(2)", "@scale(3)")))
    # Without a baseline too: the wrapper's closure keeps the argument.
    assert result.rebound == ("g",)
    assert module.g() == 3
    assert old() == 2


def test_decorator_body_changed_reaches_existing_wrappers(live: Live) -> None:
    module = live.load(DECORATED)
    wrapper = module.g
    after = DECORATED.replace("function(*args) * factor", "function(*args) * factor + 100")
    result = ok(live.patch(module, after))
    assert result.changed == ("scale",)
    assert module.g is wrapper
    assert wrapper() == 102


def test_class_decorator_changed_rebinds_class(live: Live) -> None:
    before = "import functools\n\nclass C:\n    x = 1\n"
    after = "import functools\n\ndef tag(cls):\n    cls.tagged = True\n    return cls\n\n@tag\nclass C:\n    x = 1\n"
    module = live.load(before)
    old = module.C
    result = ok(live.patch(module, after))
    if not live.baseline:
        assert codes(result.skipped) == ["decorator-unverified"]
        assert module.C is old
        return
    assert result.rebound == ("C",)
    assert module.C.tagged is True
    assert module.C is not old


def test_decorator_of_new_function_fails_rolls_back(live: Live) -> None:
    module = live.load(BASE)
    after = (
        BASE.replace("return 1", "return 2")
        + "\ndef broken(function):\n    raise RuntimeError('no')\n\n@broken\ndef g():\n    return 3\n"
    )
    result = live.patch(module, after)
    assert not result.ok
    assert codes(result.errors) == ["apply-failed"]
    assert "RuntimeError" in result.errors[0].message
    assert result.errors[0].line == 11
    assert module.f() == 1
    assert not hasattr(module, "broken")
    assert not hasattr(module, "g")


def test_failed_patch_keeps_baseline_for_next_patch(live: Live) -> None:
    module = live.load(BASE)
    failing = BASE + "\n@undefined_decorator\ndef g():\n    return 3\n"
    assert not live.patch(module, failing).ok
    result = ok(live.patch(module, BASE.replace("return 1", "return 5")))
    assert result.changed == ("f",)
    assert result.added == ()
    assert module.f() == 5


def test_property_setter_removed_property_rebuilt_without_it(live: Live) -> None:
    getter = "class C:\n    @property\n    def x(self):\n        return 1\n"
    before = getter + "\n    @x.setter\n    def x(self, value):\n        pass\n"
    module = live.load(before)
    instance = module.C()
    instance.x = 5
    result = ok(live.patch(module, getter))
    assert result.rebound == ("C.x",)
    assert module.C.x.fset is None
    assert instance.x == 1
    with pytest.raises(AttributeError):
        instance.x = 5


def test_property_deleter_removed_keeps_setter(live: Live) -> None:
    before = (
        "class C:\n    @property\n    def x(self):\n        return self.__dict__.get('v', 0)\n\n"
        "    @x.setter\n    def x(self, value):\n        self.__dict__['v'] = value\n\n"
        "    @x.deleter\n    def x(self):\n        pass\n"
    )
    module = live.load(before)
    after = before[: before.index("\n    @x.deleter")] + "\n"
    ok(live.patch(module, after))
    instance = module.C()
    instance.x = 3
    assert instance.x == 3
    assert module.C.x.fdel is None
