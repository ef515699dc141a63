"""Changed functions and methods keep their identity and pick up every part of the edit."""

from __future__ import annotations

import pytest

from engine.helpers import Live, codes, ok

BEFORE = """\
def f():
    return 1

class C:
    def method(self):
        return "old"

registry = [f]
"""

AFTER = BEFORE.replace("return 1", "return 2").replace('"old"', '"new"')


def test_function_reference_taken_earlier_runs_new_body(live: Live) -> None:
    module = live.load(BEFORE)
    g = module.f
    assert g() == 1
    result = ok(live.patch(module, AFTER))
    assert result.changed == ("f", "C.method")
    assert g() == 2
    assert module.f is g


def test_function_from_import_runs_new_body(live: Live) -> None:
    module = live.load(BEFORE)
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import f", namespace)
    assert namespace["f"]() == 1  # type: ignore[operator]
    ok(live.patch(module, AFTER))
    assert namespace["f"]() == 2  # type: ignore[operator]


def test_function_callback_in_registry_runs_new_body(live: Live) -> None:
    module = live.load(BEFORE)
    assert module.registry[0]() == 1
    ok(live.patch(module, AFTER))
    assert module.registry[0]() == 2


def test_method_bound_earlier_runs_new_body(live: Live) -> None:
    module = live.load(BEFORE)
    bound = module.C().method
    assert bound() == "old"
    ok(live.patch(module, AFTER))
    assert bound() == "new"


def test_method_existing_instance_runs_new_body(live: Live) -> None:
    module = live.load(BEFORE)
    instance = module.C()
    cls = module.C
    ok(live.patch(module, AFTER))
    assert module.C is cls
    assert isinstance(instance, module.C)
    assert instance.method() == "new"


def test_function_defaults_follow_edit(live: Live) -> None:
    module = live.load("def f(a=1, *, b=2):\n    return a, b\n")
    assert module.f() == (1, 2)
    ok(live.patch(module, "def f(a=10, *, b=20):\n    return a, b\n"))
    assert module.f() == (10, 20)
    assert module.f.__defaults__ == (10,)
    assert module.f.__kwdefaults__ == {"b": 20}


def test_function_defaults_removed_follow_edit(live: Live) -> None:
    module = live.load("def f(a=1, *, b=2):\n    return a, b\n")
    ok(live.patch(module, "def f(a, *, b):\n    return a, b\n"))
    assert module.f.__defaults__ is None
    assert module.f.__kwdefaults__ is None
    assert module.f(3, b=4) == (3, 4)


def test_function_new_parameter_is_accepted(live: Live) -> None:
    module = live.load("def f(a):\n    return a\n")
    ok(live.patch(module, "def f(a, b=5):\n    return a + b\n"))
    assert module.f(1) == 6
    assert module.f(1, 2) == 3


def test_function_docstring_follows_edit(live: Live) -> None:
    module = live.load('def f():\n    """Old."""\n    return 1\n')
    assert module.f.__doc__ == "Old."
    result = ok(live.patch(module, 'def f():\n    """New."""\n    return 1\n'))
    assert result.changed == ("f",)
    assert module.f.__doc__ == "New."


def test_function_annotations_follow_edit(live: Live) -> None:
    module = live.load("def f(a: int) -> int:\n    return a\n")
    assert module.f.__annotations__ == {"a": int, "return": int}
    ok(live.patch(module, "def f(a: str) -> str:\n    return a\n"))
    assert module.f.__annotations__ == {"a": str, "return": str}


@pytest.mark.parametrize(
    ("old", "new"),
    # Equal to ``==`` yet apart in behaviour, and of the same width: the live
    # function's line table cannot tell either.
    [("0.0", "-0."), ("( 1,)", "(1.,)"), ("(0.0, 1)", "(-0., 1)")],
)
def test_function_constant_equal_but_of_another_type_or_sign_follows_edit(
    live: Live, old: str, new: str
) -> None:
    module = live.load(f"def f():\n    return {old}\n")
    text = f"def f():\n    return {new}\n"
    result = ok(live.patch(module, text))
    fresh: dict[str, object] = {}
    exec(text, fresh)
    assert result.changed == ("f",)
    assert repr(module.f()) == repr(fresh["f"]())  # type: ignore[operator]


def test_function_annotations_added_or_removed_alone_follow_edit(live: Live) -> None:
    # Without a baseline only the live functions show it: one never had annotations
    # (judged without reading them, which would make an empty dict), one loses them.
    module = live.load("def f(a):\n    return a\n\n\ndef g(a: int) -> int:\n    return a\n")
    result = ok(
        live.patch(module, "def f(a: int) -> int:\n    return a\n\n\ndef g(a):\n    return a\n")
    )
    assert result.changed == ("f", "g")
    assert module.f.__annotations__ == {"a": int, "return": int}
    assert module.g.__annotations__ == {}


def test_function_annotations_stay_strings_under_future_import(live: Live) -> None:
    header = "from __future__ import annotations\n"
    module = live.load(header + "def f(a: int) -> int:\n    return a\n")
    ok(live.patch(module, header + "def f(a: list[str]) -> None:\n    return a\n"))
    assert module.f.__annotations__ == {"a": "list[str]", "return": "None"}


def test_function_runtime_attribute_survives(live: Live) -> None:
    module = live.load(BEFORE)
    module.f.tag = "kept"
    ok(live.patch(module, AFTER))
    assert module.f.tag == "kept"
    assert module.f() == 2


def test_class_runtime_attribute_survives(live: Live) -> None:
    module = live.load(BEFORE)
    module.C.counter = 7
    ok(live.patch(module, AFTER))
    assert module.C.counter == 7
    assert module.C().method() == "new"


def test_module_runtime_attribute_survives(live: Live) -> None:
    module = live.load(BEFORE)
    module.state = {"users": 3}
    ok(live.patch(module, AFTER))
    assert module.state == {"users": 3}


def test_function_async_changed_runs_new_body(live: Live) -> None:
    import asyncio

    module = live.load("async def f():\n    return 1\n")
    coroutine_function = module.f
    ok(live.patch(module, "async def f():\n    return 2\n"))
    assert asyncio.run(coroutine_function()) == 2


def test_function_made_async_is_rebound(live: Live) -> None:
    # A function cannot change kind in place (Python 3.13 deprecates it).
    import asyncio
    import inspect

    module = live.load("def f():\n    return 1\n")
    old = module.f
    result = ok(live.patch(module, "async def f():\n    return 2\n"))
    assert result.rebound == ("f",)
    assert inspect.iscoroutinefunction(module.f)
    assert asyncio.run(module.f()) == 2
    assert old() == 1


def test_function_made_generator_is_rebound(live: Live) -> None:
    module = live.load("def f():\n    return [1]\n")
    result = ok(live.patch(module, "def f():\n    yield 2\n"))
    assert result.rebound == ("f",)
    assert list(module.f()) == [2]


def test_function_comment_only_edit_is_not_a_change(live: Live) -> None:
    module = live.load("def f():\n    return 1\n")
    result = ok(live.patch(module, "def f():\n    # why it returns one\n    return 1\n"))
    assert result.changed == ()
    assert result.moved == ("f",)
    assert module.f() == 1


def test_function_unchanged_source_patches_nothing(live: Live) -> None:
    module = live.load(BEFORE)
    result = ok(live.patch(module, BEFORE))
    assert (result.changed, result.added, result.deleted, result.moved) == ((), (), (), ())
    # Without a baseline, `registry = [f]` cannot be told unchanged: it says so, once.
    assert codes(result.skipped) == live.either([], ["statement-unverified"])
    assert codes(live.patch(module, BEFORE).skipped) == []
