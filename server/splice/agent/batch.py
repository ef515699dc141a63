"""Several files saved together: patched in import order, a failed one tried again after the rest.

A rename in ``pricing.py`` and the matching ``from pricing import ...`` in
``app.py``, saved together: patched in the order the files were seen,
``app.py`` fails (its import names what ``pricing`` does not have yet) and
nothing ever tries it again. So a batch is ordered so that a file comes
after the files whose modules it imports at top level, and a file whose
patch failed by raising (its new import, a decorator, a class statement) is
patched once more after the others: its failure changed nothing (a patch is
all or nothing), and a file later in the batch may have brought what it
needed. Used by ``--watch`` (one poll) and by the language server (saves
that arrive together). Standard library only.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from splice.engine.result import ProcessOutcome

#: Failures a later file of the same batch can cure: running the new text raised.
RETRY_CODES = frozenset(
    {
        "apply-failed",
        "signature-failed",
        "dataclass-field-failed",
        "pydantic-model-failed",
        "attrs-class-failed",
    }
)


@dataclass(frozen=True)
class SavedFile:
    """One file of a batch: its real path, its new text, the modules that run it."""

    path: str
    text: str
    modules: tuple[str, ...]


def import_order(files: Sequence[SavedFile]) -> list[SavedFile]:
    """``files`` with each after the files whose modules it imports; otherwise as given.

    Files that import each other (a cycle) keep their given order.
    """
    if len(files) < 2:
        return list(files)
    provider: dict[str, int] = {}
    for index, file in enumerate(files):
        for name in file.modules:
            provider.setdefault(name, index)
    needs: list[set[int]] = []
    for index, file in enumerate(files):
        imported: set[str] = set()
        for name in file.modules or ("",):
            imported |= imported_modules(file.text, name, file.path)
        needs.append({provider[name] for name in imported if provider.get(name, index) != index})
    ordered: list[int] = []
    placed: set[int] = set()
    while len(ordered) < len(files):
        ready = [
            index for index in range(len(files)) if index not in placed and needs[index] <= placed
        ]
        # A cycle: the first file not placed goes next, as given.
        chosen = ready[0] if ready else min(set(range(len(files))) - placed)
        ordered.append(chosen)
        placed.add(chosen)
    return [files[index] for index in ordered]


def imported_modules(text: str, module: str, path: str = "") -> set[str]:
    """The modules a text imports when its top level runs (class bodies too, not functions)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    package = module if os.path.basename(path) == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _top_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_with_parents(alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is None:
                continue
            found.update(_with_parents(base))
            # ``from pkg import mod`` may name a submodule.
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def needs_retry(outcomes: Iterable[ProcessOutcome]) -> bool:
    """Whether some process refused the patch because running its new text raised."""
    return any(
        outcome.result is not None
        and not outcome.result.ok
        and any(error.code in RETRY_CODES for error in outcome.result.errors)
        for outcome in outcomes
    )


def applied(outcomes: Iterable[ProcessOutcome]) -> bool:
    return any(outcome.ok for outcome in outcomes)


def _top_level_nodes(body: list[ast.stmt]) -> Iterable[ast.AST]:
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def _absolute(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    if module:
        return f"{base}.{module}" if base else module
    return base or None
