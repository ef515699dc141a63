"""The diff is pure: two texts in, changes out. Same-name siblings pair by content."""

from __future__ import annotations

from splice.engine.outline.definitions import parse_definitions
from splice.engine.outline.diff import diff_definitions


def _changes(before: str, after: str) -> list[tuple[str, int | None, int | None]]:
    diff = diff_definitions(parse_definitions(before), parse_definitions(after))
    return [
        (
            change.kind,
            change.old.line if change.old else None,
            change.new.line if change.new else None,
        )
        for change in diff.changes
    ]


def test_diff_sibling_inserted_between_is_the_one_added() -> None:
    before = "@r\ndef do():\n    return 'a'\n\n@r\ndef do():\n    return 'b'\n"
    after = "@r\ndef do():\n    return 'a'\n\n@r\ndef do():\n    return 'c'\n\n@r\ndef do():\n    return 'b'\n"
    assert _changes(before, after) == [("added", None, 5), ("moved", 5, 9)]


def test_diff_overload_stub_deleted_pairs_implementation_with_implementation() -> None:
    before = "@o\ndef f(x: int): ...\n@o\ndef f(x: str): ...\ndef f(x):\n    return 1\n"
    after = "@o\ndef f(x: int): ...\ndef f(x):\n    return 2\n"
    assert _changes(before, after) == [("changed", 5, 3), ("deleted", 3, None)]


def test_diff_three_reduced_to_one_pairs_the_last() -> None:
    before = "def f():\n    return 1\n\ndef f():\n    return 2\n\ndef f():\n    return 3\n"
    after = "def f():\n    return 30\n"
    assert _changes(before, after) == [
        ("changed", 7, 1),
        ("deleted", 1, None),
        ("deleted", 4, None),
    ]


def test_diff_removed_statements_listed() -> None:
    before = "z = 123\nkeep = 1\n\nclass C:\n    y = 1\n    w = 2\n"
    after = "keep = 1\n\nclass C:\n    y = 1\n"
    diff = diff_definitions(parse_definitions(before), parse_definitions(after))
    assert [statement.text.strip() for statement in diff.removed] == ["z = 123", "w = 2"]
