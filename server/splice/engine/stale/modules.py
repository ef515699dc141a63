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
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType

from splice.engine.baselines.process import in_user_scope
from splice.engine.baselines.store import baseline_source, source_path
from splice.engine.outline.definitions import Outline, parse_definitions
from splice.engine.outline.statements import bound_names
from splice.engine.stale.usage import Usage, body_usage, header_usage, statement_usage

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
class Unit:
    """Top-level code that ran when its module was imported: a statement, or a
    definition's header (decorators, defaults, bases: evaluated once, at import)."""

    line: int
    end_line: int
    usage: Usage
    binds: frozenset[str]
    #: The enclosing class of a class-level statement.
    scope: str | None = None
    #: The definition whose header this is (None for a statement).
    definition: str | None = None
    #: A module-level assignment to names only: running it again has no other effect.
    rerunnable: bool = False


@dataclass(frozen=True)
class ModuleSummary:
    imports: tuple[ImportedName, ...]
    units: tuple[Unit, ...]
    #: qualname -> (first line, what its body does when called) of each function.
    bodies: dict[str, tuple[tuple[int, Usage], ...]]

    def imported_from(self, source: str) -> list[ImportedName]:
        return [entry for entry in self.imports if entry.source == source]

    def body(self, qualname: str, line: int) -> Usage | None:
        return choose_body(self.bodies.get(qualname, ()), line)


def choose_body(found: Sequence[tuple[int, Usage]], line: int) -> Usage | None:
    """The body that starts at ``line``; else the only one; else what they all do."""
    if not found:
        return None
    for start, usage in found:
        if start == line:
            return usage
    if len(found) == 1:
        return found[0][1]
    return Usage(
        frozenset().union(*(usage.reads for _, usage in found)),
        frozenset().union(*(usage.calls for _, usage in found)),
    )


def outline_bodies(outline: Outline) -> dict[str, tuple[tuple[int, Usage], ...]]:
    """qualname -> (line, body usage) of each function definition of an outline."""
    bodies: dict[str, list[tuple[int, Usage]]] = {}
    for definition in outline.ordered:
        node = definition.node
        if not isinstance(node, ast.ClassDef):
            bodies.setdefault(definition.qualname, []).append((definition.line, body_usage(node)))
    return {qualname: tuple(found) for qualname, found in bodies.items()}


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
                path = source_path(module) if getattr(module, "__file__", None) else None
                verdict = (module, path is not None and in_user_scope(path))
                _is_user[id(module)] = verdict
            if verdict[1]:
                found.append(module)
        _user.key, _user.modules = key, found
    return _user.modules


def importers_of(module: ModuleType) -> list[tuple[ModuleType, list[ImportedName]]]:
    """The user modules whose import statements bound ``module`` or names from it."""
    name = module.__name__
    found = []
    for importer in user_modules():
        if importer is module:
            continue
        summary = summary_of(importer)
        if summary is None:
            continue
        entries = summary.imported_from(name)
        if entries:
            found.append((importer, entries))
    return found


def importer_closure(module: ModuleType) -> list[ModuleType]:
    """The user modules that import ``module``, directly or through others, nearest first."""
    reverse = _reverse_imports()
    found: dict[str, ModuleType] = {}
    queue = [module.__name__]
    while queue:
        for importer in reverse.get(queue.pop(0), ()):
            if importer.__name__ not in found and importer is not module:
                found[importer.__name__] = importer
                queue.append(importer.__name__)
    return list(found.values())


def _reverse_imports() -> dict[str, list[ModuleType]]:
    """Module name -> the user modules that import it, rebuilt when a summary changes."""
    summaries = [(module, summary_of(module)) for module in user_modules()]
    key = tuple(id(summary) for _, summary in summaries)
    if _reverse.key != key:
        reverse: dict[str, list[ModuleType]] = {}
        for module, summary in summaries:
            if summary is None:
                continue
            for source in dict.fromkeys(entry.source for entry in summary.imports):
                reverse.setdefault(source, []).append(module)
        _reverse.key, _reverse.index, _reverse.summaries = key, reverse, summaries
    return _reverse.index


def summary_of(module: ModuleType) -> ModuleSummary | None:
    """The summary of the text ``module`` runs: its baseline, else its file (once)."""
    name = module.__name__
    source = baseline_source(name)
    cached = _summaries.get(name)
    if cached is not None and cached[0] is module and cached[1] is source:
        return cached[2]
    text = source
    if text is None:
        text = _read(module)
        if text is None:
            return None
    try:
        outline = parse_definitions(text, getattr(module, "__file__", None) or "<unknown>")
    except (SyntaxError, ValueError):
        return None
    summary = summarize(outline, _package(module))
    _summaries[name] = (module, source, summary)
    return summary


def summarize(outline: Outline, package: str | None) -> ModuleSummary:
    """The imports and the import-time units of an outline."""
    return ModuleSummary(
        tuple(imports_of(outline, package)), tuple(units_of(outline)), outline_bodies(outline)
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


def units_of(outline: Outline, keep: Callable[[Usage], bool] | None = None) -> Iterator[Unit]:
    """Every piece of code the module ran at import that reads a name (and, with
    ``keep``, only those whose usage it keeps)."""
    for statement in outline.statements:
        node = statement.node
        usage = statement_usage(node)
        if statement.is_docstring or not usage or _main_guard(node):
            continue
        if keep is not None and not keep(usage):
            continue
        yield Unit(
            statement.line,
            statement.end_line,
            usage,
            frozenset(bound_names(node)),
            rerunnable=rerunnable(node),
        )
    for definition in outline.ordered:
        usage = header_usage(definition.node)
        if usage and (keep is None or keep(usage)):
            yield Unit(
                definition.line,
                definition.node.lineno,
                usage,
                frozenset({definition.member}),
                scope=definition.parent,
                definition=definition.qualname,
            )
        for statement in definition.statements:
            usage = statement_usage(statement.node)
            if statement.is_docstring or not usage or (keep is not None and not keep(usage)):
                continue
            yield Unit(
                statement.line,
                statement.end_line,
                usage,
                frozenset(bound_names(statement.node)),
                scope=definition.qualname,
            )


def _main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``: an entry point that runs the program, not a product of it."""
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def rerunnable(node: ast.stmt) -> bool:
    """Whether running a module-level statement again only rebinds names: ``CFG = Config()``."""
    if isinstance(node, ast.Assign):
        return all(_names_only(target) for target in node.targets)
    if isinstance(node, ast.AnnAssign):
        return node.value is not None and isinstance(node.target, ast.Name)
    return False


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_names_only(element) for element in target.elts)
    return False


def _module_level_nodes(node: ast.stmt) -> Iterable[ast.stmt]:
    """``node`` and the statements of its blocks, not of the functions or classes in it."""
    stack: list[ast.stmt] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield current
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(current, field, ()))
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
    """The reverse import index, and the summaries it was built from (kept alive: ids key it)."""

    key: tuple[int, ...] = ()
    index: dict[str, list[ModuleType]] = {}
    summaries: list[object] = []


_reverse = _ReverseImports()
_is_user: dict[int, tuple[ModuleType, bool]] = {}
#: Module name -> (module, the baseline text summarised or None for its file, summary).
_summaries: dict[str, tuple[ModuleType, str | None, ModuleSummary]] = {}
