"""The AST transformer that makes a cell's definitions update in place (``splice.agent.cells``)."""

from __future__ import annotations

import ast

from splice.agent.cells import CellTransformer, wrap_definitions

CELL = """\
import math

@staticmethod
def f():
    return 1

class C:
    pass

x = 1

def g():
    return 2

def h():
    return 3

def h():
    return 4
"""


def test_cells_transform_wraps_each_run_of_definitions_once() -> None:
    tree = wrap_definitions(ast.parse(CELL))

    kinds = [type(node).__name__ for node in tree.body]
    # h is defined twice: which one binds is the cell's business, so both run as written.
    assert kinds == ["Import", "If", "Assign", "If", "FunctionDef", "FunctionDef"]
    first, second = tree.body[1], tree.body[3]
    assert isinstance(first, ast.If) and isinstance(second, ast.If)
    assert [type(node).__name__ for node in first.body] == ["FunctionDef", "ClassDef", "Expr"]
    assert "update_definitions((3, 7))" in ast.unparse(first.test)
    assert "remember_definitions((3, 7))" in ast.unparse(first.body[-1])
    assert "update_definitions((12,))" in ast.unparse(second.test)


def test_cells_transform_keeps_lines_and_runs_as_written_outside_a_notebook() -> None:
    tree = CellTransformer().visit(ast.parse(CELL))
    namespace: dict[str, object] = {"__name__": "not_a_notebook"}

    # Not a cell IPython cached: the wrapped definitions run as usual.
    exec(compile(tree, "<not a cell>", "exec"), namespace)

    g = namespace["g"]
    assert callable(g) and g() == 2
    assert g.__code__.co_firstlineno == 12  # type: ignore[attr-defined]
    assert isinstance(namespace["C"], type)
