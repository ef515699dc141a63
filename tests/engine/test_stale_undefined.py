"""Text a fresh start could not run: names nothing defines are named (``name-undefined``)."""

from __future__ import annotations

from engine.helpers import Live, codes, ok

SETTINGS = """\
def get_settings():
    return {"debug": False}


def depends(provider):
    return provider


def read_items(settings=depends(get_settings)):
    return settings


def show():
    return get_settings()["debug"]
"""


def _undefined(result: object) -> list[object]:
    return [f for f in result.skipped if f.code == "name-undefined"]  # type: ignore[attr-defined]


def test_half_finished_rename_is_named_where_the_old_name_is_read(live: Live) -> None:
    module = live.load(SETTINGS)
    after = SETTINGS.replace("def get_settings", "def load_settings")
    result = ok(live.patch(module, after))
    found = {(f.line, f.qualname) for f in _undefined(result)}  # type: ignore[attr-defined]
    # On the definitions that read it (their text did not change).
    assert found == {(9, "read_items"), (13, "show")}
    message = _undefined(result)[0].message  # type: ignore[attr-defined]
    assert "get_settings" in message and "NameError" in message


def test_misspelt_name_in_changed_function_is_named(live: Live) -> None:
    module = live.load(SETTINGS)
    result = ok(
        live.patch(module, SETTINGS.replace('get_settings()["debug"]', 'get_setings()["debug"]'))
    )
    [finding] = _undefined(result)
    assert finding.line == 14 and "when show runs" in finding.message  # type: ignore[attr-defined]


def test_removed_import_still_read_is_named(live: Live) -> None:
    text = "import os\n\n\ndef base(path):\n    return os.path.basename(path)\n"
    module = live.load(text)
    result = ok(live.patch(module, text.replace("import os\n", "")))
    assert module.base("a/b") == "b"  # the running program keeps it
    # Without a baseline the live ``os`` cannot be told from one the program set.
    assert [f.line for f in _undefined(result)] == live.either([3], [])  # type: ignore[attr-defined]
    if live.baseline:
        assert "os" in _undefined(result)[0].message  # type: ignore[attr-defined]


def test_locals_builtins_and_names_the_text_binds_are_not_named(live: Live) -> None:
    text = (
        "import json\nLIMIT = 3\n\n\ndef f(items, n=LIMIT):\n"
        "    total = [len(x) for x in items]\n    try:\n        pass\n"
        "    except ValueError as error:\n        print(error)\n"
        "    return json.dumps(total) + str(helper())\n\n\ndef helper():\n    return 1\n"
    )
    module = live.load(text)
    result = ok(
        live.patch(
            module, text.replace("return 1", "return 2").replace("dumps(total)", "dumps(total[:n])")
        )
    )
    assert _undefined(result) == []


def test_star_import_makes_names_unknowable(live: Live) -> None:
    text = "from os.path import *\n\n\ndef f(path):\n    return basename(path)\n"
    module = live.load(text)
    result = ok(live.patch(module, text.replace("basename", "dirname")))
    assert codes(result.skipped) == []


def test_names_in_class_body_resolve_in_the_class(live: Live) -> None:
    text = (
        "class Shape:\n    def __init__(self):\n        self._size = 1\n\n"
        "    @property\n    def size(self):\n        return self._size\n\n"
        "    @size.setter\n    def size(self, value):\n        self._size = value\n"
    )
    module = live.load(text)
    result = ok(live.patch(module, text.replace("self._size = value", "self._size = value * 2")))
    assert _undefined(result) == []
