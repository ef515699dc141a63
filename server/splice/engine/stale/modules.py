"""The user's modules, what each imported from which, and the code each ran at import.

Whether another module holds a copy of a name (``from pricing import
VAT_RATE``) is read from that module's own import statements, never guessed
from values alone: its baseline text when it has one, else its file. Each
module's text is summarised once per version (``ModuleSummary``: its imports
and the pieces of top-level code that ran when it was imported, with the
names each reads), so a patch costs a dictionary lookup per user module.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType

from splice.engine.baselines.process import in_user_scope, library_roots
from splice.engine.baselines.store import baseline_source, parsed_baseline, source_path
from splice.engine.outline.definitions import Outline, parse_definitions
from splice.engine.stale.units import Unit, choose_body, outline_bodies, units_of
from splice.engine.stale.usage import Usage

#: ``ImportedName.name`` of ``from m import *``.
STAR = "*"


@dataclass(frozen=True)
class ImportedName:
    """One name an import statement bound in its module.

    ``name`` is the attribute copied from ``source`` (``from source import
    name as alias``), ``STAR``, or None when the module ``source`` is read
    through ``alias`` (``import source``, ``import source.sub``, ``from
    package import source``).
    """

    source: str
    name: str | None
    alias: str
    line: int


@dataclass(frozen=True)
class ModuleSummary:
    """What one version of a module's text says: its imports and the units that ran
    at import; its functions' bodies only when asked (they are parsed again then:
    a summary keeps no syntax tree)."""

    imports: tuple[ImportedName, ...]
    units: tuple[Unit, ...]
    text: str
    filename: str
    _bodies: list[dict[str, tuple[tuple[int, Usage], ...]]] = field(
        default_factory=list, compare=False, repr=False
    )

    def imported_from(self, source: str) -> list[ImportedName]:
        return [entry for entry in self.imports if entry.source == source]

    def body(self, qualname: str, line: int) -> Usage | None:
        """What the body of the function ``qualname`` (starting at ``line``) does."""
        if not self._bodies:
            try:
                self._bodies.append(outline_bodies(parse_definitions(self.text, self.filename)))
            except (SyntaxError, ValueError):
                self._bodies.append({})
        return choose_body(self._bodies[0].get(qualname, ()), line)


def user_modules() -> list[ModuleType]:
    """The loaded modules whose source file is the user's (not a library, not splice)."""
    modules = sys.modules
    # Modules are added at the end: a count and the last name tell a change.
    key = (len(modules), next(reversed(modules), None))
    if key != _user.key:
        found: list[ModuleType] = []
        for module in list(modules.values()):
            if not issubclass(type(module), ModuleType):
                continue
            verdict = _is_user.get(id(module))
            if verdict is None or verdict[0] is not module:
                verdict = _is_user[id(module)] = (module, _user_file(module))
            if verdict[1]:
                found.append(module)
        _user.key, _user.modules = key, found
    return _user.modules


def _user_file(module: ModuleType) -> bool:
    """Whether a module runs from a Python file of the user's.

    A library's path usually starts with a library folder as it is (no link
    to resolve): that costs a string comparison, not a system call per folder.
    """
    file = vars(module).get("__file__")
    if not isinstance(file, str) or not file.endswith(".py"):
        return False
    if file.startswith(_library_prefixes()):
        return False
    path = source_path(module)
    return path is not None and in_user_scope(path)


def _library_prefixes() -> tuple[str, ...]:
    global _prefixes
    if _prefixes is None:
        _prefixes = tuple(root.rstrip(os.sep) + os.sep for root in library_roots())
    return _prefixes


_prefixes: tuple[str, ...] | None = None


def importers_of(module: ModuleType) -> list[tuple[ModuleType, list[ImportedName]]]:
    """The user modules whose import statements bound ``module`` or names from it."""
    name = module.__name__
    found = []
    for importer in _reverse_imports().get(name, ()):
        if importer is module:
            continue
        summary = summary_of(importer)
        entries = summary.imported_from(name) if summary is not None else []
        if entries:
            found.append((importer, entries))
    return found


def importer_closure(module: ModuleType, imports_change: bool = True) -> list[ModuleType]:
    """The user modules that import ``module``, directly or through others, nearest first.

    Called when ``module`` is about to be patched: with ``imports_change``
    (its import statements are edited, or that is not known), what it
    imports is looked at again next time.
    """
    reverse = _reverse_imports()
    if imports_change:
        _reverse.dirty.add(module.__name__)
    found: dict[str, ModuleType] = {}
    queue = [module.__name__]
    while queue:
        for importer in reverse.get(queue.pop(0), ()):
            if importer.__name__ not in found and importer is not module:
                found[importer.__name__] = importer
                queue.append(importer.__name__)
    return list(found.values())


def _reverse_imports() -> dict[str, list[ModuleType]]:
    """Module name -> the user modules that import it (a superset: imports in functions
    count too). Only the modules patched since, or new ones, are looked at again."""
    modules = user_modules()
    if _reverse.key != _user.key:
        names = [module.__name__ for module in modules]
    else:
        names = [name for name in _reverse.dirty if name in _reverse.sources]
    changed = _reverse.key != _user.key
    sources = _reverse.sources if not changed else {}
    by_name = {module.__name__: module for module in modules} if changed or names else {}
    for name in names:
        module = by_name.get(name)
        if module is None:
            continue
        found = _sources(module)
        earlier = _reverse.sources.get(name)
        if earlier is None or earlier[0] is not module or earlier[1] != found:
            changed = True
        sources[name] = (module, found)
    _reverse.dirty.clear()
    if changed:
        reverse: dict[str, list[ModuleType]] = {}
        for module, found in sources.values():
            for source in found:
                reverse.setdefault(source, []).append(module)
        _reverse.index, _reverse.sources, _reverse.key = reverse, sources, _user.key
    return _reverse.index


def _sources(module: ModuleType) -> frozenset[str]:
    """The modules a module's text imports from, cheaply: from its parsed baseline
    when there is one, else from its import lines alone (once per version of its text)."""
    name = module.__name__
    source = baseline_source(name)
    cached = _imported.get(name)
    if cached is not None and cached[0] is module and cached[1] is source:
        return cached[2]
    outline = parsed_baseline(name) if source is not None else None
    package = _package(module)
    if outline is not None:
        found = frozenset(entry.source for entry in imports_of(outline, package))
    else:
        text = source if source is not None else _read(module)
        found = _import_lines(text, package) if text is not None else frozenset()
    _imported[name] = (module, source, found)
    return found


_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import\b|import[ \t]+([^#\n]+))", re.M
)


def _import_lines(text: str, package: str | None) -> frozenset[str]:
    """The modules named by a text's import lines, without parsing the text."""
    found: set[str] = set()
    for match in _IMPORT_LINE.finditer(text):
        origin, names = match.groups()
        if origin is not None:
            level = len(origin) - len(origin.lstrip("."))
            if level:
                try:
                    origin = importlib.util.resolve_name(origin, package or "")
                except (ImportError, ValueError):
                    continue
            found.add(origin)
            # ``from package import sub`` may read the submodule: count what follows too.
            rest = text[match.end() : text.find("\n", match.end())].strip(" (\\\t")
            for part in rest.split(","):
                word = part.strip().split(" ")[0].strip("()")
                if word.isidentifier():
                    found.add(f"{origin}.{word}")
        elif names is not None:
            for part in names.split(","):
                word = part.strip().split(" ")[0]
                if word and all(piece.isidentifier() for piece in word.split(".")):
                    found.add(word)
                    found.add(word.partition(".")[0])
    return frozenset(found)


def summary_of(module: ModuleType) -> ModuleSummary | None:
    """The summary of the text ``module`` runs: its baseline, else its file (once per version)."""
    name = module.__name__
    source = baseline_source(name)
    cached = _summaries.get(name)
    if cached is not None and cached[0] is module and cached[1] is source:
        return cached[2]
    outline = parsed_baseline(name) if source is not None else None
    if outline is None:
        text = source if source is not None else _read(module)
        if text is None:
            return None
        try:
            outline = parse_definitions(text, getattr(module, "__file__", None) or "<unknown>")
        except (SyntaxError, ValueError):
            return None
    summary = summarize(outline, _package(module), getattr(module, "__file__", None) or "")
    _summaries[name] = (module, source, summary)
    return summary


def file_still_imports(importer: ModuleType, source: str, name: str) -> bool:
    """Whether ``importer``'s file on disk still copies ``name`` from module ``source``.

    A fresh start runs the files: when the importer's file was saved without
    that import (a rename saved in both files, patched one after the other),
    a fresh start would not fail there. Unreadable or unparsable: True.
    """
    text = _read(importer)
    if text is None or text == baseline_source(importer.__name__):
        return True
    try:
        outline = parse_definitions(text, getattr(importer, "__file__", None) or "<unknown>")
    except (SyntaxError, ValueError):
        return True
    return any(
        entry.source == source and entry.name in (name, STAR)
        for entry in imports_of(outline, _package(importer))
    )


def summarize(outline: Outline, package: str | None, filename: str = "") -> ModuleSummary:
    """The imports and the import-time units of an outline."""
    return ModuleSummary(
        tuple(imports_of(outline, package)), tuple(units_of(outline)), outline.source, filename
    )


def imports_of(outline: Outline, package: str | None) -> Iterator[ImportedName]:
    """What the module-level import statements bind (inside top-level blocks too)."""
    for statement in outline.statements:
        if statement.scope is not None:
            continue
        for node in _module_level_nodes(statement.node):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.partition(".")[0]
                    # ``import a.b`` binds ``a``, through which ``a.b`` is read.
                    yield ImportedName(alias.name, None, bound, node.lineno)
                    if bound != alias.name and not alias.asname:
                        yield ImportedName(bound, None, bound, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                if source is None or source == "__future__":
                    continue
                for alias in node.names:
                    yield ImportedName(source, alias.name, alias.asname or alias.name, node.lineno)
                    if alias.name != STAR:
                        # ``from pkg import sub`` may bind the submodule ``pkg.sub``.
                        yield ImportedName(
                            f"{source}.{alias.name}", None, alias.asname or alias.name, node.lineno
                        )


def _module_level_nodes(node: ast.stmt) -> Iterable[ast.stmt]:
    """``node`` and the statements of its blocks, not of the functions or classes in it."""
    stack: list[ast.stmt] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield current
        for part in ("body", "orelse", "finalbody"):
            stack.extend(getattr(current, part, ()))
        for handler in getattr(current, "handlers", ()):
            stack.extend(handler.body)


def _absolute(node: ast.ImportFrom, package: str | None) -> str | None:
    if not node.level:
        return node.module
    try:
        return importlib.util.resolve_name("." * node.level + (node.module or ""), package or "")
    except (ImportError, ValueError):
        return None


def _package(module: ModuleType) -> str | None:
    package = getattr(module, "__package__", None)
    if isinstance(package, str):
        return package
    spec = getattr(module, "__spec__", None)
    return getattr(spec, "parent", None)


def _read(module: ModuleType) -> str | None:
    path = source_path(module)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            return importlib.util.decode_source(file.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


class _UserModules:
    """The user modules, listed again only when ``sys.modules`` changed."""

    key: tuple[int, str | None] = (-1, None)
    modules: list[ModuleType] = []


_user = _UserModules()


class _ReverseImports:
    """Module name -> its importers, and what each user module imports (to tell a change)."""

    key: tuple[int, str | None] = (-1, None)
    index: dict[str, list[ModuleType]] = {}
    sources: dict[str, tuple[ModuleType, frozenset[str]]] = {}
    #: Modules patched since: their texts (and imports) may differ now.
    dirty: set[str] = set()


_reverse = _ReverseImports()
_is_user: dict[int, tuple[ModuleType, bool]] = {}
#: Module name -> (module, its baseline text or None for its file, what it imports from).
_imported: dict[str, tuple[ModuleType, str | None, frozenset[str]]] = {}
#: Module name -> (module, the baseline text summarised or None for its file, summary).
_summaries: dict[str, tuple[ModuleType, str | None, ModuleSummary]] = {}
