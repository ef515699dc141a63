"""Finding definitions in buffers that may not parse (parso); their text feeds the engine's splicer."""

from __future__ import annotations

from splice.engine.outline.selection import splice_definition
from splice.lsp.definitions import compare, definition_at, find_definitions, fingerprint

BASELINE = '''\
import os


def total(x):
    return x * 2


class Cart:
    size = 1

    def count(self):
        """Docstring
reaching column 0."""
        return 1

    @property
    def empty(self):
        return False
'''


def test_definitions_are_found_around_a_syntax_error() -> None:
    broken = BASELINE.replace("import os", "import (")

    names = [item.qualname for item in find_definitions(broken)]

    assert names == ["total", "Cart", "Cart.count", "Cart.empty"]


def test_definition_at_a_method_body_is_the_method() -> None:
    found = definition_at(BASELINE, 14)

    assert found is not None
    assert (found.qualname, found.line, found.end_line) == ("Cart.count", 11, 14)


def test_definition_at_includes_decorators() -> None:
    found = definition_at(BASELINE, 16)

    assert found is not None and found.qualname == "Cart.empty"
    assert found.text.startswith("    @property\n")
    assert found.header_line == 17


def test_definition_at_a_nested_function_is_the_outer_function() -> None:
    source = "def outer():\n    def inner():\n        return 1\n    return inner\n"

    found = definition_at(source, 3)

    assert found is not None and found.qualname == "outer"


def test_definition_at_a_top_level_statement_is_none() -> None:
    assert definition_at(BASELINE, 1) is None


def test_definitions_inside_a_top_level_if_count() -> None:
    source = "import sys\nif sys:\n    def f():\n        return 1\n"

    assert [item.qualname for item in find_definitions(source)] == ["f"]


def test_definition_text_from_a_broken_buffer_splices_into_the_baseline() -> None:
    buffer = BASELINE.replace("return x * 2", "return x * 3").replace("import os", "import (")
    target = definition_at(buffer, 5)
    assert target is not None

    spliced = splice_definition(BASELINE, target.qualname, target.text)

    assert spliced == BASELINE.replace("return x * 2", "return x * 3")


def test_definition_text_of_a_new_method_splices_at_the_end_of_its_class() -> None:
    buffer = BASELINE + "\n    def extra(self):\n        return 2\n"
    target = definition_at(buffer, len(buffer.splitlines()))
    assert target is not None and target.qualname == "Cart.extra"

    spliced = splice_definition(BASELINE, target.qualname, target.text)

    assert "    def extra(self):\n        return 2\n" in spliced
    assert [item.qualname for item in find_definitions(spliced)][-1] == "Cart.extra"


def test_fingerprint_ignores_comments_and_layout() -> None:
    [before] = find_definitions("def f(x):\n    return x*2\n")
    [after] = find_definitions("def f(x):\n    # twice\n    return x * 2\n")

    assert fingerprint(before) == fingerprint(after)


def test_fingerprint_of_a_method_with_a_column_zero_docstring_exists() -> None:
    method = definition_at(BASELINE, 12)

    assert method is not None and fingerprint(method) is not None


def test_fingerprint_of_a_definition_that_does_not_parse_is_none() -> None:
    [broken] = find_definitions("def f(x):\n    return (x\n")

    assert fingerprint(broken) is None


def test_compare_names_changed_added_and_deleted_definitions() -> None:
    buffer = BASELINE.replace("return x * 2", "return x * 3").replace(
        "    @property\n    def empty(self):\n        return False\n",
        "    def full(self):\n        return True\n",
    )

    changes = compare(buffer, BASELINE)

    assert (changes.changed, changes.added, changes.deleted) == (
        ("total",),
        ("Cart.full",),
        ("Cart.empty",),
    )


def test_compare_does_not_count_a_class_changed_by_its_methods() -> None:
    buffer = BASELINE.replace("return 1", "return 2")

    assert compare(buffer, BASELINE).changed == ("Cart.count",)
