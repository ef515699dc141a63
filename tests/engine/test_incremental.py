"""Outlining by parsing only what an edit touched gives the outline a full parse gives."""

from __future__ import annotations

import ast
import copy
import random

import pytest

from splice.engine.outline.definitions import Definition, Outline, Statement, outline_tree
from splice.engine.outline.diff import Diff, diff_definitions
from splice.engine.outline.incremental import reoutline

PIECES = [
    '"""Module docstring."""\n',
    "from __future__ import annotations\n",
    "import os\n",
    "RATE = 3\n",
    "# a comment\n",
    "\n",
    "print('side effect')\n",
    "def f(x=1):\n    return x + 1\n",
    "def f(x=1):\n    '''Again.'''\n    return x + 2\n",
    "async def g():\n    return 2\n",
    "@decorate\ndef h():\n    return 3\n",
    "@decorate(1)\n@other\ndef h():\n    pass\n",
    "class C:\n    '''Doc.'''\n    X = 1\n\n    def m(self):\n        return 1\n",
    "class C(Base):\n    def m(self):\n        return 2\n\n    @property\n    def p(self):\n        return 3\n\n    @p.setter\n    def p(self, value):\n        pass\n",
    "class D:\n    class Inner:\n        def n(self):\n            return 4\n",
    "if TYPE_CHECKING:\n    def t():\n        pass\nelse:\n    def t():\n        return 1\n",
    "try:\n    import fast\nexcept ImportError:\n    def fast():\n        return 0\n",
    "x = (\n    1,\n    2,\n)\n",
    "s = '''\nnot code\n'''\n",
    "def long(a,\n         b):\n    return a + b\n",
]


def describe_statement(statement: Statement) -> tuple[object, ...]:
    return (
        statement.line,
        statement.end_line,
        statement.column,
        statement.text,
        statement.scope,
        statement.is_docstring,
        ast.dump(statement.node),
    )


def describe_definition(definition: Definition) -> tuple[object, ...]:
    return (
        definition.qualname,
        definition.name,
        definition.kind,
        definition.line,
        definition.end_line,
        definition.column,
        definition.text,
        definition.parent,
        definition.in_block,
        definition.occurrence,
        ast.dump(definition.node),
        tuple(describe_statement(s) for s in definition.statements),
    )


def describe(outline: Outline) -> tuple[object, ...]:
    return (
        outline.source,
        tuple(describe_definition(d) for d in outline.ordered),
        tuple(describe_statement(s) for s in outline.statements),
        outline.future_flags,
        outline.line_count,
        outline.spans,
        sorted((name, describe_definition(d)) for name, d in outline.definitions.items()),
        ast.dump(outline.tree),
    )


def describe_diff(diff: Diff) -> tuple[object, ...]:
    return (
        tuple(
            (
                change.kind,
                change.old and describe_definition(change.old),
                change.new and describe_definition(change.new),
                sorted(change.parts),
            )
            for change in diff.changes
        ),
        tuple(describe_statement(s) for s in diff.statements),
        tuple(describe_statement(s) for s in diff.removed),
    )


def full_outline(source: str) -> Outline | None:
    try:
        return outline_tree(source, ast.parse(source))
    except SyntaxError:
        return None


def edit(rng: random.Random, pieces: list[str]) -> list[str]:
    pieces = list(pieces)
    action = rng.choice(["insert", "delete", "replace", "touch", "swap"])
    if action == "insert" or not pieces:
        pieces.insert(rng.randint(0, len(pieces)), rng.choice(PIECES))
    elif action == "delete":
        del pieces[rng.randrange(len(pieces))]
    elif action == "replace":
        pieces[rng.randrange(len(pieces))] = rng.choice(PIECES)
    elif action == "touch":
        index = rng.randrange(len(pieces))
        lines = pieces[index].split("\n")
        line = rng.randrange(len(lines))
        lines[line] = lines[line].replace("1", "7").replace("return", "return -") or "# edited"
        pieces[index] = "\n".join(lines)
    else:
        first, second = rng.randrange(len(pieces)), rng.randrange(len(pieces))
        pieces[first], pieces[second] = pieces[second], pieces[first]
    return pieces


@pytest.mark.parametrize("seed", range(8))
def test_incremental_outline_matches_a_full_parse(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [rng.choice(PIECES) for _ in range(6)]
    outline = full_outline("".join(pieces))
    reused = 0
    for _ in range(250):
        pieces = edit(rng, pieces)
        source = "".join(pieces)
        expected = full_outline(source)
        if outline is None:
            outline = expected
            continue
        incremental = reoutline(outline, source, "<test>")
        if incremental is not None:
            assert expected is not None, f"accepted a text that does not parse:\n{source}"
            assert describe(incremental) == describe(expected), source
            # Diffing only the edited region gives the diff against a full parse.
            only_region = describe_diff(diff_definitions(outline, incremental))
            assert only_region == describe_diff(diff_definitions(outline, expected)), source
            reused += 1
        outline = incremental or expected
    assert reused > 100  # the incremental path really ran


def test_incremental_outline_declines_a_future_import_below_other_code() -> None:
    old = full_outline("import os\n\nx = 1\n")
    assert old is not None
    assert reoutline(old, "import os\n\nfrom __future__ import annotations\n", "<test>") is None


def test_incremental_outline_reuses_an_unchanged_definition_after_the_edit() -> None:
    old = full_outline("def a():\n    return 1\n\n\ndef b():\n    return 2\n")
    assert old is not None
    new = reoutline(old, "def a():\n    return 10\n\n\ndef b():\n    return 2\n", "<test>")
    assert new is not None
    assert new.definitions["b"] is old.definitions["b"]
    assert new.definitions["a"] is not old.definitions["a"]


def test_diff_of_an_incremental_outline_looks_only_at_the_edited_region() -> None:
    functions = [f"def f{index}():\n    return {index}\n\n\n" for index in range(50)]
    old = full_outline("".join(functions))
    assert old is not None
    functions[20] = "def f20():\n    return -20\n\n\n"
    new = reoutline(old, "".join(functions), "<test>")
    assert new is not None and new.derivation is not None
    assert new.derivation.end - new.derivation.first == 1
    # A definition outside the region that differs (as none can) is never looked at.
    ordered = list(new.ordered)
    ordered[30] = copy.copy(ordered[30])
    ordered[30].__dict__["text"] = "changed outside the region"
    object.__setattr__(new, "ordered", tuple(ordered))
    (change,) = diff_definitions(old, new).changes
    assert change.kind == "changed" and change.new is not None and change.new.qualname == "f20"


def test_diff_of_an_incremental_outline_pairs_siblings_outside_the_region_in_full() -> None:
    old = full_outline("def f():\n    return 1\n\n\nx = 1\n\n\ndef f():\n    return 2\n")
    assert old is not None
    new = reoutline(
        old, "def f():\n    return 1\n\n\nx = 1\n\n\ndef f():\n    return 3\n", "<test>"
    )
    assert new is not None
    expected = full_outline(new.source)
    assert expected is not None
    assert describe_diff(diff_definitions(old, new)) == describe_diff(
        diff_definitions(old, expected)
    )
