"""Classes: super(), name mangling, headers that must not run again, and refused edits."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

SUPER = """\
class Base:
    def greet(self):
        return "base"

class Child(Base):
    def greet(self):
        return "child+" + super().greet()
"""


def test_super_zero_argument_kept_after_edit(live: Live) -> None:
    module = live.load(SUPER)
    instance = module.Child()
    assert instance.greet() == "child+base"
    ok(live.patch(module, SUPER.replace('"child+"', '"CHILD+"')))
    assert instance.greet() == "CHILD+base"


def test_super_newly_added_to_method_works(live: Live) -> None:
    before = SUPER.replace('"child+" + super().greet()', '"child"')
    module = live.load(before)
    instance = module.Child()
    assert instance.greet() == "child"
    result = ok(live.patch(module, SUPER))
    assert result.changed == ("Child.greet",)
    assert instance.greet() == "child+base"


def test_super_removed_from_method_works(live: Live) -> None:
    module = live.load(SUPER)
    instance = module.Child()
    ok(live.patch(module, SUPER.replace('"child+" + super().greet()', '"child"')))
    assert instance.greet() == "child"


def test_super_in_added_method_works(live: Live) -> None:
    before = SUPER.replace(
        '    def greet(self):\n        return "child+" + super().greet()\n', "    pass\n"
    )
    module = live.load(before)
    instance = module.Child()
    assert instance.greet() == "base"
    result = ok(live.patch(module, SUPER))
    assert result.added == ("Child.greet",)
    assert instance.greet() == "child+base"


MANGLED = """\
class Account:
    def __init__(self):
        self.__balance = 10

    def balance(self):
        return self.__balance
"""


def test_name_mangled_attribute_kept_after_edit(live: Live) -> None:
    module = live.load(MANGLED)
    account = module.Account()
    ok(live.patch(module, MANGLED.replace("return self.__balance", "return self.__balance * 2")))
    assert account.balance() == 20
    assert account._Account__balance == 10


def test_name_mangled_private_method_added_is_mangled(live: Live) -> None:
    module = live.load(MANGLED)
    account = module.Account()
    after = MANGLED.replace(
        "        return self.__balance\n",
        "        return self.__fee()\n\n    def __fee(self):\n        return self.__balance - 1\n",
    )
    result = ok(live.patch(module, after))
    assert result.added == ("Account.__fee",)
    assert "_Account__fee" in vars(module.Account)
    assert account.balance() == 9


COUNTED = """\
calls = []

def deco(function):
    calls.append("deco " + function.__name__)
    return function

class Meta(type):
    def __new__(mcs, name, bases, namespace):
        calls.append("meta " + name)
        return super().__new__(mcs, name, bases, namespace)

class Base:
    def __init_subclass__(cls):
        calls.append("subclass " + cls.__name__)

@deco
def f():
    return 1

class WithMeta(metaclass=Meta):
    def m(self):
        return 1

class Sub(Base):
    def m(self):
        return 1

@deco
class Decorated:
    def m(self):
        return 1
"""


def test_decorator_not_rerun_when_header_unchanged(live: Live) -> None:
    module = live.load(COUNTED)
    assert module.calls.count("deco f") == 1
    ok(live.patch(module, COUNTED.replace("def f():\n    return 1", "def f():\n    return 2")))
    assert module.calls.count("deco f") == 1
    assert module.f() == 2


def test_metaclass_not_rerun_when_header_unchanged(live: Live) -> None:
    module = live.load(COUNTED)
    cls = module.WithMeta
    after = COUNTED.replace(
        "class WithMeta(metaclass=Meta):\n    def m(self):\n        return 1",
        "class WithMeta(metaclass=Meta):\n    def m(self):\n        return 2",
    )
    ok(live.patch(module, after))
    assert module.calls.count("meta WithMeta") == 1
    assert module.WithMeta is cls
    assert cls().m() == 2


def test_init_subclass_not_rerun_when_header_unchanged(live: Live) -> None:
    module = live.load(COUNTED)
    after = COUNTED.replace(
        "class Sub(Base):\n    def m(self):\n        return 1",
        "class Sub(Base):\n    def m(self):\n        return 2\n\n    def extra(self):\n        return 3",
    )
    result = ok(live.patch(module, after))
    assert result.added == ("Sub.extra",)
    assert module.calls.count("subclass Sub") == 1
    assert module.Sub().m() == 2


def test_class_decorator_not_rerun_when_header_unchanged(live: Live) -> None:
    module = live.load(COUNTED)
    after = COUNTED.replace(
        "class Decorated:\n    def m(self):\n        return 1",
        "class Decorated:\n    def m(self):\n        return 2",
    )
    ok(live.patch(module, after))
    assert module.calls.count("deco Decorated") == 1
    assert module.Decorated().m() == 2


def test_class_attribute_literal_applied(live: Live) -> None:
    source = "class C:\n    LIMIT = 3\n\n    def limit(self):\n        return self.LIMIT\n"
    module = live.load(source)
    cls = module.C
    result = ok(live.patch(module, source.replace("LIMIT = 3", "LIMIT = 4 * 2")))
    # Without a baseline, 3 may be a value the program set: named, not reset.
    assert result.statements_applied == live.either((2,), ())
    assert codes(result.skipped) == live.either([], ["statement-unverified"])
    assert module.C is cls
    assert cls().limit() == live.either(8, 3)


def test_class_attribute_computed_skipped(live: Live) -> None:
    source = "def compute():\n    return 1\n\nclass C:\n    VALUE = compute()\n"
    module = live.load(source)
    result = ok(live.patch(module, source.replace("VALUE = compute()", "VALUE = compute() + 1")))
    assert codes(result.skipped) == [live.either("statement-not-run", "statement-unverified")]
    assert result.skipped[0].line == 5
    assert module.C.VALUE == 1


def test_class_bases_changed_refused(live: Live) -> None:
    source = "class A:\n    pass\n\nclass B:\n    pass\n\nclass C(A):\n    def m(self):\n        return 1\n"
    module = live.load(source)
    after = source.replace("class C(A)", "class C(B)").replace("return 1", "return 2")
    result = live.patch(module, after)
    assert not result.ok
    assert codes(result.errors) == ["class-bases-changed"]
    assert result.errors[0].line == 7
    assert module.C.__bases__ == (module.A,)
    assert module.C().m() == 1


def test_class_metaclass_changed_refused(live: Live) -> None:
    source = "import abc\n\nclass C:\n    def m(self):\n        return 1\n"
    module = live.load(source)
    result = live.patch(module, source.replace("class C:", "class C(metaclass=abc.ABCMeta):"))
    assert codes(result.errors) == ["class-keywords-changed"]
    assert type(module.C) is type
    assert module.C().m() == 1


def test_class_keyword_changed_refused(live: Live) -> None:
    source = (
        "class Base:\n    def __init_subclass__(cls, tag=None):\n        cls.tag = tag\n\n"
        "class C(Base, tag='a'):\n    pass\n"
    )
    module = live.load(source)
    result = live.patch(module, source.replace("tag='a'", "tag='b'"))
    if live.baseline:
        assert codes(result.errors) == ["class-keywords-changed"]
    else:  # a live class does not show the keywords it was made with
        assert codes(result.skipped) == ["decorator-unverified"]
    assert module.C.tag == "a"


def test_class_slots_changed_refused(live: Live) -> None:
    source = "class P:\n    __slots__ = ('x',)\n\n    def m(self):\n        return 1\n"
    module = live.load(source)
    after = source.replace("('x',)", "('x', 'y')").replace("return 1", "return 2")
    result = live.patch(module, after)
    assert codes(result.errors) == ["slots-changed"]
    assert result.errors[0].line == 2
    assert module.P.__slots__ == ("x",)
    assert module.P().m() == 1


ENUM = """\
import enum

class Color(enum.Enum):
    RED = 1
    GREEN = 2

    def describe(self):
        return "old " + self.name

def f():
    return 1
"""


def test_enum_member_added_refused_whole_patch(live: Live) -> None:
    module = live.load(ENUM)
    after = ENUM.replace("GREEN = 2", "GREEN = 2\n    BLUE = 3").replace("return 1", "return 2")
    result = live.patch(module, after)
    assert codes(result.errors) == ["enum-members-changed"]
    assert [member.name for member in module.Color] == ["RED", "GREEN"]
    assert module.f() == 1


def test_enum_member_value_changed_refused(live: Live) -> None:
    module = live.load(ENUM)
    result = live.patch(module, ENUM.replace("GREEN = 2", "GREEN = 20"))
    assert codes(result.errors) == ["enum-members-changed"]
    assert module.Color.GREEN.value == 2


def test_enum_method_changed_patched(live: Live) -> None:
    module = live.load(ENUM)
    red = module.Color.RED
    ok(live.patch(module, ENUM.replace('"old "', '"new "')))
    assert red.describe() == "new RED"
    assert module.Color.RED is red


def test_name_mangled_private_method_changed_in_place(live: Live) -> None:
    source = "class A:\n    def __secret(self):\n        return 1\n\n    def reveal(self):\n        return self.__secret()\n"
    module = live.load(source)
    private = module.A._A__secret
    result = ok(live.patch(module, source.replace("return 1", "return 2")))
    assert result.changed == ("A.__secret",)
    assert module.A._A__secret is private
    assert module.A().reveal() == 2


def test_name_mangled_private_method_deleted(live: Live) -> None:
    source = "class A:\n    def __secret(self):\n        return 1\n\n    def reveal(self):\n        return 0\n"
    module = live.load(source)
    result = ok(live.patch(module, "class A:\n    def reveal(self):\n        return 0\n"))
    assert result.deleted == ("A.__secret",)
    assert not hasattr(module.A, "_A__secret")


def test_class_object_base_written_out_is_the_same_class(live: Live) -> None:
    source = "class C:\n    def m(self):\n        return 1\n"
    module = live.load(source)
    cls = module.C
    spelled = source.replace("class C:", "class C(object):")
    result = ok(live.repatch(module, spelled.replace("return 1", "return 2")))
    assert result.changed == ("C.m",)
    assert module.C is cls and cls().m() == 2
    result = ok(live.repatch(module, source.replace("return 1", "return 3")))
    assert result.changed == ("C.m",)
    assert cls().m() == 3
