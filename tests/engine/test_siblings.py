"""Same-name definitions are matched by content and by which one is live, not by position."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

OVERLOADS = """\
from typing import overload

@overload
def f(x: int) -> int: ...
@overload
def f(x: str) -> str: ...
def f(x):
    return ("v1", x)
"""


def test_overload_stub_deleted_and_implementation_edited_patches_implementation(
    live: Live,
) -> None:
    module = live.load(OVERLOADS)
    implementation = module.f
    after = OVERLOADS.replace("@overload\ndef f(x: str) -> str: ...\n", "").replace('"v1"', '"v2"')
    result = ok(live.patch(module, after))
    assert result.changed == ("f",)
    assert module.f is implementation
    assert module.f(1) == ("v2", 1)
    assert "definition-not-live" not in codes(result.skipped)


def test_overload_stub_added_leaves_implementation_alone(live: Live) -> None:
    module = live.load(OVERLOADS)
    implementation = module.f
    after = OVERLOADS.replace("def f(x):", "@overload\ndef f(x: bytes) -> bytes: ...\ndef f(x):")
    result = ok(live.patch(module, after))
    assert result.rebound == ()
    assert module.f is implementation
    assert module.f(b"a") == ("v1", b"a")


REGISTRY = """\
handlers = []

def register(function):
    handlers.append(function)
    return function

@register
def do():
    return "a"

@register
def do():
    return "b"
"""


def test_registry_sibling_inserted_is_registered_once(live: Live) -> None:
    module = live.load(REGISTRY)
    after = REGISTRY.replace(
        '@register\ndef do():\n    return "b"',
        '@register\ndef do():\n    return "c"\n\n@register\ndef do():\n    return "b"',
    )
    result = ok(live.patch(module, after))
    answers = [handler() for handler in module.handlers]
    if live.baseline:
        assert result.added == ("do",)
        assert answers == ["a", "b", "c"]  # the new one registered, "b" not twice
    else:
        # Without a baseline the registry is out of reach: said, not guessed.
        assert "definition-unverified" in codes(result.skipped)
        assert answers == ["a", "b"]
    assert module.do() == "b"


def test_registry_bound_sibling_edited_is_patched(live: Live) -> None:
    module = live.load(REGISTRY)
    result = ok(live.patch(module, REGISTRY.replace('"b"', '"B"')))
    assert result.changed == ("do",)
    assert [handler() for handler in module.handlers] == ["a", "B"]
    assert result.rebound == ()


THREE = """\
def f():
    return 1

def f():
    return 2

def f():
    return 3
"""


def test_three_definitions_reduced_to_one_edited_patches_the_live_one(live: Live) -> None:
    module = live.load(THREE)
    live_f = module.f
    result = ok(live.patch(module, "def f():\n    return 30\n"))
    assert result.changed == ("f",)
    assert module.f is live_f
    assert live_f() == 30


IDENTICAL = """\
def dup():
    return 4

def dup():
    return 4
"""


def test_identical_definitions_first_edited_leaves_the_live_one(live: Live) -> None:
    module = live.load(IDENTICAL)
    result = ok(live.patch(module, IDENTICAL.replace("return 4", "return 5", 1)))
    assert module.dup() == 4
    assert result.changed == ()


def test_identical_definitions_last_edited_patches_the_live_one(live: Live) -> None:
    module = live.load(IDENTICAL)
    dup = module.dup
    after = "return 5".join(IDENTICAL.rsplit("return 4", 1))
    result = ok(live.patch(module, after))
    assert result.changed == ("dup",)
    assert module.dup is dup
    assert dup() == 5


def test_three_identical_definitions_first_edited_keeps_the_live_one(live: Live) -> None:
    module = live.load(IDENTICAL + "\ndef dup():\n    return 4\n")
    dup = module.dup
    result = ok(live.patch(module, "def dup():\n    return 7\n\n" + IDENTICAL))
    assert module.dup() == 4
    assert module.dup is dup
    assert result.changed == ()
