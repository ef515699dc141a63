"""A module's source as a tree of definitions and the statements between them.

Only module- and class-level ``def``, ``async def`` and ``class`` are
definitions (also when nested in a top-level ``if``/``try``/``with`` block);
function bodies are not descended into. Everything here is pure: text in,
frozen values out.
"""

from __future__ import annotations

import ast
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
DefinitionKind = Literal["function", "class"]

#: Compound statements whose bodies may hold definitions that count as ours.
_BLOCK_BODIES = ("body", "orelse", "finalbody", "handlers")


@dataclass(frozen=True, eq=False)
class Definition:
    """One ``def`` or ``class`` at module or class level.

    ``line`` is the first line (the first decorator's, as in ``co_firstlineno``);
    ``occurrence`` counts earlier definitions of the same qualname (a property's
    setter, an ``if``/``else`` pair), so ``key`` is unique within an outline.
    """

    qualname: str
    name: str
    kind: DefinitionKind
    line: int
    end_line: int
    column: int  # 0-based, in characters
    text: str
    parent: str | None
    in_block: bool
    occurrence: int
    node: DefinitionNode = field(repr=False)
    #: For classes: the class-level statements that are not definitions.
    statements: tuple[Statement, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return (self.qualname, self.occurrence)

    @property
    def member(self) -> str:
        """The key it is bound under in its namespace: ``__x`` in class ``C`` is ``_C__x``."""
        if self.parent is None or not self.name.startswith("__") or self.name.endswith("__"):
            return self.name
        owner = self.parent.rpartition(".")[2].lstrip("_")
        return f"_{owner}{self.name}" if owner else self.name


@dataclass(frozen=True, eq=False)
class Statement:
    """A module- or class-level statement that is not a definition.

    For a compound statement holding definitions, ``text`` leaves their lines
    out, so editing a definition inside an ``if`` does not change the ``if``.
    """

    line: int
    end_line: int
    column: int
    text: str
    scope: str | None  # the enclosing class's qualname, None at module level
    node: ast.stmt = field(repr=False)
    is_docstring: bool = False


@dataclass(frozen=True, eq=False)
class Outline:
    """Every definition and statement of one source text.

    ``derivation`` says how an outline was made from an earlier one by
    parsing only an edited region (incremental.py), so that diffing the two
    can look at that region alone.
    """

    source: str
    #: The module's syntax tree, if the whole text was parsed (else ``tree`` assembles it).
    parsed: ast.Module | None = field(repr=False)
    ordered: tuple[Definition, ...]
    statements: tuple[Statement, ...]
    future_flags: int
    derivation: Derivation | None = field(default=None, repr=False)

    @cached_property
    def tree(self) -> ast.Module:
        """The module's syntax tree (of an incremental outline: its reused nodes' positions may be stale)."""
        if self.parsed is not None:
            return self.parsed
        items: list[tuple[int, ast.stmt]] = [
            (d.line, d.node) for d in self.ordered if d.parent is None and not d.in_block
        ]
        items.extend((s.line, s.node) for s in self.statements)
        items.sort(key=lambda item: item[0])
        return ast.Module(body=[node for _, node in items], type_ignores=[])

    @cached_property
    def definitions(self) -> dict[str, Definition]:
        """qualname -> definition; where a qualname repeats, the last (binding) one.

        Built once per outline (every patch reads it several times); not to be changed.
        """
        return {definition.qualname: definition for definition in self.ordered}

    @cached_property
    def line_count(self) -> int:
        """How many lines the tokenizer counts (``len(source_lines(source))``)."""
        if "\r" in self.source:
            return len(source_lines(self.source))
        return self.source.count("\n") + 1

    @cached_property
    def statement_texts(self) -> Counter[str]:
        """How many module-level statements have each text."""
        return Counter(statement.text for statement in self.statements)

    @cached_property
    def spans(self) -> list[tuple[int, int]]:
        """The lines of each top-level item (definition or statement), in order."""
        return top_level_spans(self.ordered, self.statements)

    def by_key(self) -> dict[tuple[str, int], Definition]:
        return {definition.key: definition for definition in self.ordered}


@dataclass(frozen=True)
class Derivation:
    """How an outline was made from ``base`` by parsing one edited region of the text.

    Definitions ``[first, base_end)`` of the base's ``ordered`` were replaced
    by ``[first, end)`` of this outline's (statements likewise); those before
    are the base's own objects, those after are the base's with their lines
    moved by ``shift``. Held weakly: an outline never keeps its ancestors alive.
    """

    base: weakref.ref[Outline]
    first: int
    base_end: int
    end: int
    first_statement: int
    base_statement_end: int
    statement_end: int
    shift: int
    #: The region: its first line, its last line in the base, and where its lines
    #: start and end (before the last one's newline) in this outline's text.
    start: int = 0
    base_end_line: int = 0
    text_start: int = 0
    text_end: int = 0


def top_level_spans(
    definitions: Iterable[Definition], statements: Iterable[Statement]
) -> list[tuple[int, int]]:
    """``(line, end_line)`` of each top-level definition and statement, in order."""
    spans = [(d.line, d.end_line) for d in definitions if d.parent is None and not d.in_block]
    spans.extend((s.line, s.end_line) for s in statements)
    spans.sort()
    return spans


def parse_definitions(source: str, filename: str = "<unknown>") -> Outline:
    """Parse ``source`` into an ``Outline``; raises ``SyntaxError`` as ``compile`` would."""
    tree = ast.parse(source, filename)
    return outline_tree(source, tree)


def outline_tree(source: str, tree: ast.Module) -> Outline:
    """Build the outline of an already parsed module."""
    builder = OutlineBuilder(source_lines(source))
    builder.visit_body(tree.body, scope=None, in_block=False)
    return Outline(
        source=source,
        parsed=tree,
        ordered=tuple(builder.definitions),
        statements=tuple(builder.module_statements),
        future_flags=future_flags(tree),
    )


def future_flags(tree: ast.Module) -> int:
    """The compiler flags of the module's ``from __future__`` imports."""
    import __future__

    flags = 0
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
        elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            break
    return flags


def source_lines(source: str) -> list[str]:
    """The source's lines as the tokenizer numbers them (``str.splitlines`` also
    breaks at form feeds and other separators that Python does not count)."""
    if "\r" in source:
        return re.split(r"\r\n|\r|\n", source)
    return source.split("\n")


_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


#: Where ``str.splitlines`` breaks that Python's tokenizer does not (or ``\r``).
_OTHER_BREAKS = "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def source_lines_with_ends(source: str) -> list[str]:
    """Like ``source_lines``, each line keeping its line ending (for exact splicing)."""
    if "\r" in source:
        return _LINE_WITH_END.findall(source)
    # One search per character, each in C: ten times faster than a regular expression's class.
    if not any(character in source for character in _OTHER_BREAKS):
        return source.splitlines(keepends=True)  # the same lines, split by C code
    lines = [line + "\n" for line in source.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


class OutlineBuilder:
    """Collects definitions and statements while visiting a module's syntax tree."""

    def __init__(self, lines: list[str], earlier: Callable[[str], int] | None = None) -> None:
        self.lines = lines
        self.definitions: list[Definition] = []
        self.module_statements: list[Statement] = []
        #: qualname -> definitions of it so far; ``earlier`` counts those before the lines visited.
        self.seen: dict[str, int] = {}
        self.earlier = earlier

    def text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])

    def column(self, node: ast.stmt) -> int:
        """The node's column in characters (the compiler counts UTF-8 bytes)."""
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        if line.isascii():
            return node.col_offset
        return len(line.encode()[: node.col_offset].decode("utf-8", "replace"))

    def visit_body(
        self,
        body: list[ast.stmt],
        scope: str | None,
        in_block: bool,
        docstring_allowed: bool = True,
    ) -> list[Statement]:
        statements: list[Statement] = []
        for index, node in enumerate(body):
            if isinstance(node, DEFINITION_NODES):
                self.add_definition(node, scope, in_block)
                continue
            nested = _block_definitions(node)
            if in_block:
                # Part of an enclosing block's skeleton; only its definitions count.
                for child_body in nested:
                    self.visit_body(child_body, scope, in_block=True)
                continue
            start, end = first_line(node), node.end_lineno or node.lineno
            if nested:
                for child_body in nested:
                    self.visit_body(child_body, scope, in_block=True)
                text = self.skeleton(start, end, nested)
            else:
                text = self.text(start, end)
            is_docstring = (
                index == 0
                and docstring_allowed
                and not in_block
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            )
            statement = Statement(start, end, self.column(node), text, scope, node, is_docstring)
            statements.append(statement)
            if scope is None:
                self.module_statements.append(statement)
        return statements

    def add_definition(self, node: DefinitionNode, scope: str | None, in_block: bool) -> None:
        qualname = f"{scope}.{node.name}" if scope else node.name
        occurrence = self.seen.get(qualname)
        if occurrence is None:
            occurrence = self.earlier(qualname) if self.earlier is not None else 0
        self.seen[qualname] = occurrence + 1
        start, end = first_line(node), node.end_lineno or node.lineno
        # Reserve this definition's place before its members so the order stays
        # that of the source (a class before its methods).
        position = len(self.definitions)
        statements: tuple[Statement, ...] = ()
        if isinstance(node, ast.ClassDef):
            statements = tuple(self.visit_body(node.body, qualname, in_block=False))
        definition = Definition(
            qualname=qualname,
            name=node.name,
            kind="class" if isinstance(node, ast.ClassDef) else "function",
            line=start,
            end_line=end,
            column=self.column(node),
            text=self.text(start, end),
            parent=scope,
            in_block=in_block,
            occurrence=occurrence,
            node=node,
            statements=statements,
        )
        self.definitions.insert(position, definition)

    def skeleton(self, start: int, end: int, bodies: list[list[ast.stmt]]) -> str:
        """The statement's text without the lines of the definitions inside it."""
        hidden: set[int] = set()
        for body in bodies:
            for child in _walk_definitions(body):
                hidden.update(range(first_line(child), (child.end_lineno or child.lineno) + 1))
        return "\n".join(
            self.lines[number - 1] for number in range(start, end + 1) if number not in hidden
        )


def _block_definitions(node: ast.stmt) -> list[list[ast.stmt]]:
    """The bodies of a compound statement, if any of them holds a definition."""
    if not isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)) and (
        not hasattr(ast, "TryStar") or not isinstance(node, ast.TryStar)
    ):
        return []
    bodies: list[list[ast.stmt]] = []
    for name in _BLOCK_BODIES:
        value = getattr(node, name, None)
        if not value:
            continue
        if name == "handlers":
            bodies.extend(handler.body for handler in value)
        else:
            bodies.append(value)
    if any(_walk_definitions(body) for body in bodies):
        return bodies
    return []


def _walk_definitions(body: list[ast.stmt]) -> list[DefinitionNode]:
    found: list[DefinitionNode] = []
    for node in body:
        if isinstance(node, DEFINITION_NODES):
            found.append(node)
        else:
            for child_body in _block_definitions(node):
                found.extend(_walk_definitions(child_body))
    return found
