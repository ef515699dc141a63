"""Splicing one definition's new text into a baseline: one table, then through patch_module."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import pytest

from engine.helpers import Live, codes, ok
from splice.engine.outline.selection import splice_definition


@dataclass(frozen=True)
class Case:
    name: str
    baseline: str
    qualname: str
    text: str
    expected: str


CLASS = "class C:\n    def m(self):\n        return 1\n\nx = 1\n"

CASES = [
    Case(
        "existing function",
        "def f():\n    return 1\n\ndef g():\n    return 1\n",
        "f",
        "def f():\n    return 2\n",
        "def f():\n    return 2\n\ndef g():\n    return 1\n",
    ),
    Case(
        "existing function grows",
        "def f():\n    return 1\n\nx = 1\n",
        "f",
        "def f():\n    y = 2\n    return y\n",
        "def f():\n    y = 2\n    return y\n\nx = 1\n",
    ),
    Case(
        "method",
        CLASS,
        "C.m",
        "    def m(self):\n        return 2\n",
        "class C:\n    def m(self):\n        return 2\n\nx = 1\n",
    ),
    Case(
        "nested class method",
        "class A:\n    class B:\n        def m(self):\n            return 1\n",
        "A.B.m",
        "        def m(self):\n            return 2\n",
        "class A:\n    class B:\n        def m(self):\n            return 2\n",
    ),
    Case(
        "new function at the end",
        "def f():\n    return 1\n",
        "g",
        "def g():\n    return 2\n",
        "def f():\n    return 1\n\ndef g():\n    return 2\n",
    ),
    Case(
        "new function inside an if block followed by a statement",
        "import sys\n\nx = 1\n",
        "g",
        "    def g():\n        return 2\n",
        "import sys\n\nx = 1\n\ndef g():\n    return 2\n",
    ),
    Case(
        "new function inside a try block",
        "x = 1\n",
        "g",
        "    @staticmethod\n    def g():\n        if x:\n            return 2\n",
        "x = 1\n\n@staticmethod\ndef g():\n    if x:\n        return 2\n",
    ),
    Case(
        "new method in a class",
        CLASS,
        "C.n",
        "    def n(self):\n        return 3\n",
        "class C:\n    def m(self):\n        return 1\n    def n(self):\n        return 3\n"
        "\nx = 1\n",
    ),
    Case(
        "new method from a class indented in the new source",
        CLASS,
        "C.n",
        "        def n(self):\n            return 3\n",
        "class C:\n    def m(self):\n        return 1\n    def n(self):\n        return 3\n"
        "\nx = 1\n",
    ),
    Case(
        "new method in a class with a tab-indented body",
        "class C:\n\tdef m(self):\n\t\treturn 1\n",
        "C.n",
        "    def n(self):\n        return 3\n",
        "class C:\n\tdef m(self):\n\t\treturn 1\n\tdef n(self):\n\t    return 3\n",
    ),
    Case(
        "decorators come with the definition",
        "import functools\n\n@functools.cache\ndef f():\n    return 1\n",
        "f",
        "@functools.cache\n@functools.wraps(print)\ndef f():\n    return 2\n",
        "import functools\n\n@functools.cache\n@functools.wraps(print)\ndef f():\n    return 2\n",
    ),
    Case(
        "new method whose docstring reaches column 0",
        CLASS,
        "C.n",
        '        def n(self):\n            """Line one.\n\nat column 0\n  two\n"""\n'
        "            return 3\n",
        'class C:\n    def m(self):\n        return 1\n    def n(self):\n        """Line one.\n'
        '\nat column 0\n  two\n"""\n        return 3\n\nx = 1\n',
    ),
    Case(
        "new function whose triple-quoted string keeps its indentation",
        "x = 1\n",
        "g",
        "    def g():\n        return '''a\n    b\n        c'''\n",
        "x = 1\n\ndef g():\n    return '''a\n    b\n        c'''\n",
    ),
    Case(
        "new function with a multi-line f-string",
        "x = 1\n",
        "g",
        '    def g():\n        return f"""{x}\n    {x} b\n"""\n',
        'x = 1\n\ndef g():\n    return f"""{x}\n    {x} b\n"""\n',
    ),
    Case(
        "comment and bracket continuation less indented",
        "x = 1\n",
        "g",
        "    def g():\n# note\n        return (1,\n  2)\n",
        "x = 1\n\ndef g():\n# note\n    return (1,\n2)\n",
    ),
    Case(
        "form feeds are not line breaks",
        "\fdef f():\n    return 1  # \f\n\nx = 1\n",
        "f",
        "def f():\n    return 2  # \f\n",
        "def f():\n    return 2  # \f\n\nx = 1\n",
    ),
    Case(
        "form feed before a method's indentation",
        CLASS,
        "C.m",
        "\f        def m(self):\n\f            return 2\n",
        "class C:\n\f    def m(self):\n\f        return 2\n\nx = 1\n",
    ),
    Case(
        "CRLF",
        "def f():\r\n    return 1\r\n\r\nx = 1\r\n",
        "f",
        "def f():\r\n    return 2\r\n",
        "def f():\r\n    return 2\r\n\r\nx = 1\r\n",
    ),
    Case(
        "no trailing newline in the text",
        "def f():\n    return 1\n\nx = 1\n",
        "f",
        "def f():\n    return 2",
        "def f():\n    return 2\n\nx = 1\n",
    ),
    Case(
        "no trailing newline in the baseline",
        "def f():\n    return 1",
        "g",
        "def g():\n    return 2",
        "def f():\n    return 1\n\ndef g():\n    return 2\n",
    ),
    Case(
        "async def",
        "async def f():\n    return 1\n",
        "f",
        "async def f():\n    await g()\n",
        "async def f():\n    await g()\n",
    ),
    Case(
        "new async method",
        CLASS,
        "C.n",
        "    async def n(self):\n        return 3\n",
        "class C:\n    def m(self):\n        return 1\n    async def n(self):\n        return 3\n"
        "\nx = 1\n",
    ),
    Case(
        "existing definition inside a block keeps its place",
        "if True:\n    def f():\n        return 1\nx = 1\n",
        "f",
        "def f():\n    return 2\n",
        "if True:\n    def f():\n        return 2\nx = 1\n",
    ),
    Case(
        "one-line function replaced by a longer one",
        "def f(): return 1\nx = 1\n",
        "f",
        "def f():\n    return 2\n",
        "def f():\n    return 2\nx = 1\n",
    ),
    Case(
        "existing method from a class indented in the new source",
        CLASS,
        "C.m",
        "        @property\n        def m(self):\n            return '''a\n  b'''\n",
        "class C:\n    @property\n    def m(self):\n        return '''a\n  b'''\n\nx = 1\n",
    ),
    Case(
        "new method after a decorated first member",
        "class C:\n  @staticmethod\n  def m():\n    return 1\n",
        "C.n",
        "    def n(self):\n        return 3\n",
        "class C:\n  @staticmethod\n  def m():\n    return 1\n  def n(self):\n      return 3\n",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_splice_definition_table(case: Case) -> None:
    spliced = splice_definition(case.baseline, case.qualname, case.text)
    assert spliced == case.expected
    ast.parse(spliced)


def test_splice_definition_new_method_of_a_missing_class_is_refused() -> None:
    with pytest.raises(LookupError, match="^D is not in the module the kernel runs; reload D"):
        splice_definition(CLASS, "D.n", "    def n(self):\n        return 3\n")


def test_splice_definition_new_method_of_a_one_line_class_is_refused() -> None:
    with pytest.raises(LookupError, match="C has its body on the line of its header"):
        splice_definition("class C: pass\n", "C.n", "    def n(self):\n        return 3\n")


def test_splice_definition_member_of_a_function_is_refused() -> None:
    with pytest.raises(LookupError, match="f is not in the module"):
        splice_definition("def f():\n    pass\n", "f.inner", "    def inner():\n        pass\n")


BLOCKS = {
    "if": ("if sys.version_info >= (3,):\n", ""),
    "try": ("try:\n", "except ImportError:\n    pass\n"),
}
FUNCTION_F = "    def f():\n        return 1\n"
FUNCTION_G = "    def g():\n        '''Doc.\nat column 0'''\n        return 2\n"


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_patch_module_only_adds_a_new_definition_from_a_block(
    live: Live, baseline: bool, block: str
) -> None:
    # The new definition is indented in the new text and followed by a statement.
    header, tail = BLOCKS[block]
    before = f"import sys\n\n{header}{FUNCTION_F}{tail}x = 1\n"
    after = f"import sys\n\n{header}{FUNCTION_F}{FUNCTION_G}{tail}x = 2\n"
    module = live.load(before, baseline=baseline)
    result = ok(live.patch(module, after, only=["g"]))
    assert result.added == ("g",)
    assert module.g() == 2
    assert module.g.__doc__ == "Doc.\nat column 0"
    assert (module.f(), module.x) == (1, 1)


@pytest.mark.parametrize("baseline", [True, False], ids=["baseline", "no-baseline"])
def test_patch_module_only_adds_a_new_method(live: Live, baseline: bool) -> None:
    module = live.load(CLASS, baseline=baseline)
    after = CLASS.replace("x = 1", "    async def n(self):\n        return 3\n\nx = 2")
    result = ok(live.patch(module, after, only=["C.n"]))
    assert result.added == ("C.n",)
    assert hasattr(module.C, "n")
    assert module.x == 1


def test_patch_module_only_method_of_a_missing_class_is_an_unknown_definition(
    live: Live,
) -> None:
    module = live.load("x = 1\n")
    result = live.patch(module, "class D:\n    def n(self):\n        return 3\n", only=["D.n"])
    assert codes(result.errors) == ["unknown-definition"]
    assert "reload D instead" in result.errors[0].message
    assert not hasattr(module, "D")
