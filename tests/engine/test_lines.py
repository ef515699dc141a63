"""After a patch, tracebacks, inspect and linecache show the new text at the right lines."""

from __future__ import annotations

import inspect
import linecache
import random
import traceback

from engine.helpers import Live, ok

SOURCE = """\
def changed():
    raise ValueError("old")

def unchanged():
    raise KeyError("unchanged")

class C:
    def method(self):
        raise KeyError("method")
"""

INSERTED = "# a comment\n# another\n\n"


def _failing_line(function: object) -> tuple[int, str]:
    try:
        function()  # type: ignore[operator]
    except Exception as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        return frame.lineno or 0, frame.line or ""
    raise AssertionError("did not raise")


def test_getsource_is_exact_below_a_form_feed(live: Live) -> None:
    # str.splitlines breaks at a form feed; Python's tokenizer does not.
    source = "x = 1  # page\x0c break\n\ndef f():\n    return 1\n"
    module = live.load(source)
    ok(live.patch(module, source.replace("return 1", "return 2")))
    assert inspect.getsource(module.f) == "def f():\n    return 2\n"
    assert module.f() == 2


def test_traceback_shows_new_text_of_changed_function(live: Live) -> None:
    module = live.load(SOURCE)
    assert _failing_line(module.changed) == (2, 'raise ValueError("old")')
    ok(live.patch(module, SOURCE.replace('"old"', '"new"')))
    assert _failing_line(module.changed) == (2, 'raise ValueError("new")')


def test_traceback_line_of_moved_function_follows(live: Live) -> None:
    module = live.load(SOURCE)
    assert _failing_line(module.unchanged)[0] == 5
    result = ok(live.patch(module, INSERTED + SOURCE))
    assert "unchanged" in result.moved
    assert _failing_line(module.unchanged) == (8, 'raise KeyError("unchanged")')


def test_traceback_line_of_moved_method_follows(live: Live) -> None:
    module = live.load(SOURCE)
    ok(live.patch(module, INSERTED + SOURCE))
    assert _failing_line(module.C().method) == (12, 'raise KeyError("method")')


def test_getsource_shows_new_text(live: Live) -> None:
    module = live.load(SOURCE)
    assert 'raise ValueError("old")' in inspect.getsource(module.changed)
    ok(live.patch(module, SOURCE.replace('"old"', '"new"')))
    assert inspect.getsource(module.changed) == 'def changed():\n    raise ValueError("new")\n'


def test_getsource_of_moved_function_is_exact(live: Live) -> None:
    module = live.load(SOURCE)
    ok(live.patch(module, INSERTED + SOURCE))
    assert (
        inspect.getsource(module.unchanged) == 'def unchanged():\n    raise KeyError("unchanged")\n'
    )


def test_linecache_stale_old_text_replaced(live: Live) -> None:
    module = live.load(SOURCE)
    filename = module.__file__
    assert linecache.getline(filename, 2) == '    raise ValueError("old")\n'
    ok(live.patch(module, SOURCE.replace('"old"', '"new"')))
    assert linecache.getline(filename, 2) == '    raise ValueError("new")\n'


def test_linecache_survives_checkcache_when_file_differs(live: Live) -> None:
    # The file on disk may hold other text than what runs (saved again, not patched).
    module = live.load(SOURCE)
    ok(live.patch(module, SOURCE.replace('"old"', '"new"')))
    live.path(module).write_text("# unrelated\n")
    linecache.checkcache(module.__file__)
    assert linecache.getline(module.__file__, 2) == '    raise ValueError("new")\n'


def test_added_function_line_numbers_are_right(live: Live) -> None:
    module = live.load(SOURCE)
    ok(live.patch(module, SOURCE + "\ndef added():\n    raise OSError('added')\n"))
    assert _failing_line(module.added) == (12, "raise OSError('added')")
    assert module.added.__code__.co_firstlineno == 11


def test_moved_function_keeps_identity_and_code_behaviour(live: Live) -> None:
    module = live.load(SOURCE)
    function = module.unchanged
    ok(live.patch(module, INSERTED + SOURCE))
    assert module.unchanged is function
    assert function.__code__.co_firstlineno == 7


def test_getsource_shows_patched_text_when_file_unsaved(live: Live) -> None:
    # "Reload this function" sends the editor's buffer: the file still holds the old text.
    import splice

    module = live.load(SOURCE)
    inspect.getsource(module.changed)
    ok(splice.patch_module(module, INSERTED + SOURCE.replace('"old"', '"buffer"')))
    assert inspect.getsource(module.changed) == 'def changed():\n    raise ValueError("buffer")\n'
    assert _failing_line(module.changed) == (5, 'raise ValueError("buffer")')


FACTORY = """\
def make():
    def inner():
        raise KeyError("inner")
    return inner

existing = make()
"""


def test_traceback_line_of_existing_closure_follows_move(live: Live) -> None:
    module = live.load(FACTORY)
    assert _failing_line(module.existing) == (3, 'raise KeyError("inner")')
    ok(live.patch(module, INSERTED + FACTORY))
    assert _failing_line(module.existing) == (6, 'raise KeyError("inner")')


def test_linecache_holds_exactly_the_new_text_across_many_edits(live: Live) -> None:
    # From the second patch on (with a baseline), only the edited lines are split
    # again: the rest are the previous patch's lines, which must stay exact.
    rng = random.Random(3)
    pieces = [f"def f{index}(x):\n    return x + {index}\n\n" for index in range(12)]
    module = live.load("".join(pieces))
    for step in range(150):
        index = rng.randrange(len(pieces))
        action = rng.choice(["edit", "insert", "delete", "blank", "end", "form feed"])
        if action == "edit":
            pieces[index] = pieces[index].replace("return x", "return -x", 1)
        elif action == "insert":
            pieces.insert(index, f"def g{step}(x):\n    return {step}\n\n")
        elif action == "delete" and len(pieces) > 3:
            del pieces[index]
        elif action == "blank":
            pieces[index] += "\n"
        elif action == "form feed":
            pieces[index] = pieces[index].replace("\n\n", "\n# page\x0c\n", 1)
        else:
            last = pieces[-1]
            pieces[-1] = last.rstrip("\n") if last.endswith("\n") else last + "\n"
        text = "".join(pieces)
        ok(live.patch(module, text))
        # linecache's lines: each with its newline (the last given one if it has none).
        expected = [line + "\n" for line in text.split("\n")]
        if text.endswith("\n"):
            expected.pop()
        assert linecache.getlines(module.__file__) == expected, (step, action)
