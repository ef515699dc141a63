"""Definitions that notebook cells run again, updated in place (``splice.engine.cells``).

A ``Notebook`` here does what the IPython side does: each cell's text goes in
``linecache`` under a name of its own, and each run of top-level definitions
is offered to ``update_definitions`` before it runs, then recorded after it
ran as usual. Real IPython kernels run in tests/agent/test_ipython_cells.py.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from splice.engine.cells import remember_definitions, update_definitions
from splice.engine.result import PatchResult

_numbers = itertools.count()


class Notebook:
    """Cells run in one module's namespace, the way the IPython side runs them."""

    def __init__(self) -> None:
        self.module = ModuleType(f"splice_notebook_{next(_numbers)}")
        sys.modules[self.module.__name__] = self.module
        self.results: list[PatchResult | None] = []

    def run(self, text: str) -> str:
        """Run a cell whose definitions are one run; its file name."""
        filename = f"<cell-{next(_numbers)}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        tree = ast.parse(text)
        lines = [
            node.decorator_list[0].lineno if node.decorator_list else node.lineno
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        result = update_definitions(self.module, text, filename, lines) if lines else None
        self.results.append(result)
        if result is None or not result.ok:
            exec(compile(text, filename, "exec"), vars(self.module))
            remember_definitions(self.module, text, filename, lines)
        return filename

    @property
    def last(self) -> PatchResult:
        result = self.results[-1]
        assert result is not None, "the last cell's definitions ran as usual"
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self.module, name)


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    book = Notebook()
    yield book
    sys.modules.pop(book.module.__name__, None)


def test_cells_function_redefined_keeps_its_object(notebook: Notebook) -> None:
    notebook.run("def f(x):\n    return x + 1\n")
    f = notebook.f
    filename = notebook.run("import math\n\ndef f(x):\n    return x * 10\n")

    assert notebook.last.ok and notebook.last.changed == ("f",)
    assert notebook.f is f and f(2) == 20  # type: ignore[operator]
    assert f.__code__.co_filename == filename  # type: ignore[attr-defined]
    assert f.__code__.co_firstlineno == 3  # type: ignore[attr-defined]
    assert inspect.getsource(f) == "def f(x):\n    return x * 10\n"  # type: ignore[arg-type]


def test_cells_unchanged_text_from_another_cell_moves_to_that_cell(notebook: Notebook) -> None:
    notebook.run("def f():\n    return 1\n")
    f = notebook.f
    same_place = notebook.run("def f():\n    return 1\n")

    assert notebook.last.ok and notebook.f is f
    # Tracebacks and a debugger's breakpoints follow the cell that ran last.
    assert (f.__code__.co_filename, f.__code__.co_firstlineno) == (same_place, 1)  # type: ignore[attr-defined]
    lower = notebook.run("\n\ndef f():\n    return 1\n")
    assert (f.__code__.co_filename, f.__code__.co_firstlineno) == (lower, 3)  # type: ignore[attr-defined]


def test_cells_defaults_are_evaluated_anew_even_when_their_text_did_not_change(
    notebook: Notebook,
) -> None:
    notebook.run("LIMIT = 1\n")
    notebook.run("def clip(x, limit=LIMIT):\n    return min(x, limit)\n")
    clip = notebook.clip
    notebook.run("LIMIT = 7\n")
    notebook.run("def clip(x, limit=LIMIT):\n    return min(x, limit)\n")

    assert notebook.clip is clip and clip(9) == 7  # type: ignore[operator]


def test_cells_new_definitions_are_defined_beside_updated_ones_in_one_commit(
    notebook: Notebook,
) -> None:
    notebook.run("def f():\n    return 'f1'\n")
    f = notebook.f
    notebook.run("def f():\n    return g()\n\ndef g():\n    return 'g'\n")

    assert notebook.last.ok
    assert (notebook.last.changed, notebook.last.added) == (("f",), ("g",))
    assert notebook.f is f and f() == "g"  # type: ignore[operator]
    notebook.run("def g():\n    return 'g2'\n")
    assert notebook.last.changed == ("g",) and f() == "g2"  # type: ignore[operator]


def test_cells_class_methods_change_in_place_for_existing_instances(notebook: Notebook) -> None:
    notebook.run("class Model:\n    rate = 1\n    def step(self):\n        return 'old'\n")
    model = notebook.Model()  # type: ignore[operator]
    notebook.run(
        "class Model:\n"
        "    rate = 2\n"
        "    def step(self):\n"
        "        return self.extra()\n"
        "    def extra(self):\n"
        "        return 'new'\n"
    )

    assert notebook.last.ok
    assert type(model) is notebook.Model
    assert (model.step(), model.rate) == ("new", 2)


def test_cells_a_name_rebound_since_is_defined_as_usual(notebook: Notebook) -> None:
    notebook.run("def f():\n    return 1\n")
    old = notebook.f
    notebook.run("f = 5\n")
    notebook.run("def f():\n    return 2\n")

    assert notebook.results[-1] is None  # nothing to update: the cell defines f anew
    assert notebook.f is not old and notebook.f() == 2  # type: ignore[operator]


def test_cells_changed_bases_refuse_the_whole_run(notebook: Notebook) -> None:
    notebook.run("class A:\n    pass\n\ndef f():\n    return 1\n")
    old_class, old_f = notebook.A, notebook.f
    notebook.run("class A(Exception):\n    pass\n\ndef f():\n    return 2\n")

    assert not notebook.last.ok
    assert [error.code for error in notebook.last.errors] == ["class-bases-changed"]
    assert [finding.qualname for finding in notebook.last.skipped] == ["f"]  # held back
    assert old_f() == 1  # type: ignore[operator]
    assert notebook.A is not old_class and notebook.f is not old_f  # the cell ran as usual


def test_cells_a_class_statement_that_cannot_run_in_place_refuses(notebook: Notebook) -> None:
    notebook.run("class Config:\n    size = 1\n    def get(self):\n        return self.size\n")
    notebook.run(
        "class Config:\n    size = len('abc')\n    def get(self):\n        return self.size\n"
    )

    assert not notebook.last.ok
    (error,) = notebook.last.errors
    assert error.code == "statement-not-run" and error.line == 2
    assert "cannot be updated in place without running it" in error.message
    assert notebook.Config().get() == 3  # type: ignore[operator]


def test_cells_a_failing_new_definition_applies_nothing(notebook: Notebook) -> None:
    notebook.run("def f():\n    return 1\n")
    f = notebook.f
    # The update alone: run as a cell, the decorator's error would then be the cell's.
    text = "def f():\n    return 2\n\n@(lambda function: 1 / 0)\ndef g():\n    pass\n"
    linecache.cache["<failing>"] = (len(text), None, text.splitlines(True), "<failing>")
    result = update_definitions(notebook.module, text, "<failing>", [1, 4])

    assert result is not None and not result.ok
    assert [error.code for error in result.errors] == ["apply-failed"]
    assert notebook.f is f and f() == 1  # type: ignore[operator]
    assert not hasattr(notebook.module, "g")


def test_cells_a_changed_decorator_re_creates_and_says_so(notebook: Notebook) -> None:
    notebook.run("import functools\n\ndef f():\n    return 1\n")
    old = notebook.f
    notebook.run("@functools.lru_cache\ndef f():\n    return 2\n")

    assert notebook.last.ok and notebook.last.rebound == ("f",)
    assert notebook.f is not old and notebook.f() == 2  # type: ignore[operator]


def test_cells_lines_that_hold_no_definition_leave_the_cell_alone(notebook: Notebook) -> None:
    notebook.run("def f():\n    return 1\n")
    text = "def f():\n    return 2\n"
    assert update_definitions(notebook.module, text, "<other>", [2]) is None
    assert notebook.f() == 1  # type: ignore[operator]


def test_cells_a_name_defined_twice_in_the_lines_is_left_to_the_cell(notebook: Notebook) -> None:
    notebook.run("def f():\n    return 1\n")
    text = "def f():\n    return 2\n\ndef f():\n    return 3\n"
    assert update_definitions(notebook.module, text, "<twice>", [1, 4]) is None
