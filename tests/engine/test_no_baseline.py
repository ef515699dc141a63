"""What the no-baseline mode verifies, and what it says it could not (docs/edits.md#no-baseline)."""

from __future__ import annotations

from engine.helpers import Live, codes, ok
from splice.engine.baselines import store

REGISTERED = """\
handlers = []

def register(function):
    handlers.append(function.__name__)
    return function

@register
def do():
    return 1
"""


def test_no_baseline_identity_decorator_unverified_until_edited(unwatched: Live) -> None:
    live = unwatched
    module = live.load(REGISTERED, baseline=False)
    first = ok(live.patch(module, REGISTERED.replace("return 1", "return 2")))
    assert first.changed == ("do",)
    assert codes(first.unverified) == ["decorator-unverified"]
    assert store.has_baseline(module.__name__)
    # The baseline does not vouch for it: the next patch says it again...
    second = ok(live.patch(module, REGISTERED.replace("return 1", "return 3")))
    assert codes(second.unverified) == ["decorator-unverified"]
    assert "not verified (no baseline)" in second.summary()
    # ...until an edit of the decorators re-runs it.
    third = ok(live.patch(module, REGISTERED.replace("@register\n", "@register  # again\n")))
    assert codes(third.unverified) == ["decorator-unverified"]
    fourth = ok(live.patch(module, REGISTERED.replace("@register\n", "@register\n@register\n")))
    assert fourth.rebound == ("do",)
    assert codes(fourth.unverified) == []
    assert (
        codes(
            ok(
                live.patch(module, REGISTERED.replace("@register\n", "@register\n@register\n"))
            ).skipped
        )
        == []
    )


def test_no_baseline_known_wrappers_verified(unwatched: Live) -> None:
    live = unwatched
    source = (
        "import abc, contextlib, functools\n\nclass A(abc.ABC):\n    @abc.abstractmethod\n"
        "    def m(self): ...\n\n    @staticmethod\n    def s():\n        return 1\n\n"
        "@contextlib.contextmanager\ndef cm():\n    yield 1\n\n@functools.cache\ndef c():\n"
        "    return 1\n"
    )
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, source.replace("yield 1", "yield 2")))
    assert result.changed == ("cm",)
    assert result.skipped == ()
    with module.cm() as value:
        assert value == 2


def test_no_baseline_wrapper_changed_rebinds(unwatched: Live) -> None:
    live = unwatched
    source = "class A:\n    @staticmethod\n    def s():\n        return 1\n"
    module = live.load(source, baseline=False)
    result = ok(
        live.patch(
            module, source.replace("@staticmethod", "@classmethod").replace("s():", "s(cls):")
        )
    )
    assert result.rebound == ("A.s",)
    assert isinstance(vars(module.A)["s"], classmethod)


def test_no_baseline_only_keeps_no_baseline(unwatched: Live) -> None:
    live = unwatched
    module = live.load("def f():\n    return 1\n\ndef g():\n    return 1\n", baseline=False)
    ok(live.patch(module, "def f():\n    return 2\n\ndef g():\n    return 2\n", only=["f"]))
    assert not store.has_baseline(module.__name__)
    result = ok(live.patch(module, "def f():\n    return 2\n\ndef g():\n    return 2\n"))
    assert result.changed == ("g",)


def test_no_baseline_method_deleted_and_class_with_methods_deleted(unwatched: Live) -> None:
    live = unwatched
    source = "class A:\n    def keep(self):\n        return 1\n\n    def gone(self):\n        return 2\n\nclass B:\n    def m(self):\n        return 3\n"
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, "class A:\n    def keep(self):\n        return 1\n"))
    assert set(result.deleted) == {"A.gone", "B"}
    assert not hasattr(module.A, "gone")
    assert not hasattr(module, "B")


def test_no_baseline_empty_class_deletion_unverified(unwatched: Live) -> None:
    live = unwatched
    module = live.load("class E(Exception):\n    pass\n\nX = 1\n", baseline=False)
    provable = hasattr(module.E, "__firstlineno__")  # 3.13+: a class statement is provable
    result = ok(live.patch(module, "X = 1\n"))
    if provable:
        assert result.deleted == ("E",)
        assert not hasattr(module, "E")
    else:
        assert codes(result.skipped) == ["deletion-unverified"]
        assert module.E.__name__ == "E"


def test_no_baseline_class_literal_named_not_reset_and_docstring_set(unwatched: Live) -> None:
    live = unwatched
    source = 'class C:\n    """One."""\n    LIMIT = 3\n\n    def limit(self):\n        return self.LIMIT\n'
    module = live.load(source, baseline=False)
    after = source.replace("LIMIT = 3", "LIMIT = 9").replace("One.", "Two.")
    result = ok(live.patch(module, after))
    # 3 may be a value the program set (a counter): kept, and said where.
    assert module.C().limit() == 3
    assert codes(result.skipped) == ["statement-unverified"]
    assert result.skipped[0].line == 3
    assert "run this statement" in result.skipped[0].message
    assert module.C.__doc__ == "Two."
    ok(live.patch(module, after))  # said once: the text is the baseline now
    assert codes(ok(live.patch(module, after)).skipped) == []


def test_no_baseline_changed_default_applied(unwatched: Live) -> None:
    live = unwatched
    source = "def f(a=1, *, b=2):\n    return a, b\n"
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, "def f(a=1, *, b=3):\n    return a, b\n"))
    assert result.changed == ("f",)
    assert module.f() == (1, 3)


def test_no_baseline_call_default_unverified(unwatched: Live) -> None:
    live = unwatched
    source = "def make():\n    return []\n\ndef f(a=make()):\n    return a\n"
    module = live.load(source, baseline=False)
    result = ok(live.patch(module, source))
    assert codes(result.skipped) == ["signature-unverified"]


def test_no_baseline_call_default_unverified_until_the_signature_is_edited(
    unwatched: Live,
) -> None:
    live = unwatched
    source = "def make():\n    return []\n\ndef f(a=make()):\n    return a\n"
    module = live.load(source, baseline=False)
    ok(live.patch(module, source))
    body = source.replace("return a", "return a or None")
    assert codes(ok(live.patch(module, body)).skipped) == ["signature-unverified"]
    edited = body.replace("a=make()", "a=make(), b=1")
    result = ok(live.patch(module, edited))
    assert result.skipped == ()
    assert module.f() is None


LAZY_PROXY = """\
class Lazy:
    # Like Django's LazySettings: any attribute read, __class__ included, raises
    # until the framework is configured.
    def __getattribute__(self, name):
        raise RuntimeError("not configured")

settings = Lazy()

def f():
    return 1
"""


def test_no_baseline_lazy_proxy_global_does_not_break_the_patch(unwatched: Live) -> None:
    live = unwatched
    module = live.load(LAZY_PROXY, baseline=False)
    text = LAZY_PROXY.replace("settings = Lazy()\n", "").replace("return 1", "return 2")
    result = ok(live.patch(module, text))
    assert result.changed == ("f",)
    assert module.f() == 2
    assert "settings" in vars(module)  # not made by a def: never deleted


CRUNCHED = """\
def crunch(function):
    def wrapper(*args):
        return ("crunched", function(*args))
    return wrapper

def tagged(tag):
    def decorate(function):
        def wrapper(*args):
            return (tag, function(*args))
        return wrapper
    return decorate

@crunch
@crunch
def munch():
    return 1

@tagged("a")
def tagged_one():
    return 1

def plain():
    return 1
"""


def test_no_baseline_wrapper_chain_without_wraps_is_read_and_verified(live: Live) -> None:
    module = live.load(CRUNCHED)
    result = ok(live.repatch(module, CRUNCHED.replace("return 1", "return 2")))
    assert result.changed == ("munch", "tagged_one", "plain")
    assert result.skipped == ()
    assert module.munch() == ("crunched", ("crunched", 2))


def test_no_baseline_decorator_added_over_a_wrapper_chain_recreates(live: Live) -> None:
    module = live.load(CRUNCHED)
    result = ok(
        live.repatch(module, CRUNCHED.replace("@crunch\ndef munch", "@crunch\n@crunch\ndef munch"))
    )
    assert result.rebound == ("munch",)
    assert module.munch() == ("crunched", ("crunched", ("crunched", 1)))
    result = ok(live.repatch(module, CRUNCHED.replace("def plain", "@crunch\ndef plain")))
    assert set(result.rebound) == {"munch", "plain"}
    assert module.plain() == ("crunched", 1)


def test_no_baseline_decorator_arguments_changed_recreates(live: Live) -> None:
    module = live.load(CRUNCHED)
    result = ok(live.repatch(module, CRUNCHED.replace('@tagged("a")', '@tagged("b")')))
    assert result.rebound == ("tagged_one",)
    assert module.tagged_one() == ("b", 1)


def test_no_baseline_decorator_that_raises_is_reported(live: Live) -> None:
    source = (
        CRUNCHED
        + "\ndef broken(function):\n    def never():\n        pass\n    raise ValueError('no')\n"
    )
    module = live.load(source)
    result = live.repatch(module, source.replace("def plain", "@broken\ndef plain"))
    assert codes(result.errors) == ["apply-failed"]
    assert "ValueError: no" in result.errors[0].message
    assert module.plain() == 1
