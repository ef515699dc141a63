"""The public surface: what ``import splice`` offers and what the command line says."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import splice


def test_public_api_is_exactly_the_curated_names() -> None:
    assert sorted(splice.__all__) == [
        "AuthenticationError",
        "Finding",
        "KernelUnavailableError",
        "PatchResult",
        "ProtocolError",
        "RemoteError",
        "SpliceError",
        "UnknownModuleError",
        "__version__",
        "listen",
        "load_ipython_extension",
        "on_update",
        "patch_module",
        "run_statement",
        "unload_ipython_extension",
    ]
    for name in splice.__all__:
        assert getattr(splice, name) is not None


def test_errors_share_one_root() -> None:
    for name in (
        "AuthenticationError",
        "KernelUnavailableError",
        "ProtocolError",
        "RemoteError",
        "UnknownModuleError",
    ):
        assert issubclass(getattr(splice, name), splice.SpliceError)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_version_prints_the_package_version() -> None:
    completed = run_cli("--version")
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"splice {splice.__version__}"


def test_cli_help_lists_every_command() -> None:
    completed = run_cli("--help")
    assert completed.returncode == 0
    for command in ("run", "kernel", "kernels", "patch", "lsp", "mcp"):
        assert f"  {command} " in completed.stdout


def test_cli_unknown_command_fails_with_usage() -> None:
    completed = run_cli("frobnicate")
    assert completed.returncode == 2
    assert "unknown command 'frobnicate'" in completed.stderr


def test_cli_run_reports_a_missing_script() -> None:
    completed = run_cli("run", "--no-listen", "does-not-exist.py")
    assert completed.returncode == 2
    assert "no such file: does-not-exist.py" in completed.stderr


SOURCE = Path(splice.__file__).parent
#: What runs inside the user's program: the engine, the agent and what they share.
IN_PROCESS = (
    "engine",
    "agent",
    "report.py",
    "errors.py",
    "logs.py",
    "records.py",
    "__init__.py",
    "__main__.py",
    "cli.py",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _in_process_files() -> list[Path]:
    files: list[Path] = []
    for entry in IN_PROCESS:
        path = SOURCE / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top, inside functions or under TYPE_CHECKING."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            if not node.level:
                base = []
            names.add(".".join([*base, node.module] if node.module else base))
    return names


def _in_process(name: str) -> bool:
    if name in (
        "splice",
        "splice.report",
        "splice.errors",
        "splice.logs",
        "splice.records",
        "splice.cli",
        "splice.__main__",
    ):
        return True
    return name.startswith(("splice.engine.", "splice.agent.")) or name in (
        "splice.engine",
        "splice.agent",
    )


def _offenders(files: list[Path]) -> set[str]:
    return {
        f"{_module_name(path)} imports {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not _in_process(name)
        and not _type_only(path, name)
    }


def _type_only(path: Path, name: str) -> bool:
    # typing_extensions gives mypy what a 3.10 ``typing`` lacks (``records.py``'s
    # ``dataclass_transform``); under TYPE_CHECKING it never loads.
    return name == "typing_extensions" and not _runtime_imports(path, {name})


def test_in_process_modules_import_only_the_standard_library_and_each_other() -> None:
    files = _in_process_files()
    assert len(files) > 20 and SOURCE / "agent" / "dispatch.py" in files
    assert _offenders(files) == set()


def test_the_import_graph_check_sees_lazy_and_editor_side_imports() -> None:
    # The check must catch what it guards against: splice.__init__'s lazy imports
    # are seen, and editor-side modules are reported.
    assert "splice.agent.process" in _imports(SOURCE / "__init__.py")
    assert "splice.lsp.server imports lsprotocol" in _offenders([SOURCE / "lsp" / "server.py"])
    assert "splice.mcp.server imports mcp.server.mcpserver" in _offenders(
        [SOURCE / "mcp" / "server.py"]
    )
    assert _offenders([SOURCE / "client" / "commands.py"]) == {
        "splice.client.commands imports splice.client.blocking",
        "splice.client.commands imports splice.client.patch_arguments",
        "splice.client.commands imports splice.client.requests",
        "splice.client.commands imports splice.dask",
    }


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """The splice modules ``path`` imports when it runs: at the top or inside functions,
    not under ``TYPE_CHECKING`` (type-only imports load nothing)."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            # ``from package import module`` imports the module.
            found.update(f"{module}.{alias.name}" for alias in node.names)
            found.add(module)
    return found & known


def _import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = lowest[root] = len(index)
        stack.append(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in stack:
                    lowest[node] = min(lowest[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowest[parent] = min(lowest[parent], lowest[node])
                if lowest[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        cycles.append(sorted(group))
    return cycles


def test_in_process_modules_import_each_other_in_one_direction() -> None:
    # report.py words results and result.py's summary() uses it: report must not
    # import result back (it takes any value of the right shape), and no other
    # in-process modules may import each other either, lazily or not.
    files = {_module_name(path): path for path in _in_process_files()}
    known = set(files)
    # A module's own packages are loaded before it, so importing them adds no edge.
    graph = {
        name: {
            target
            for target in _runtime_imports(path, known)
            if target != name and not name.startswith(target + ".")
        }
        for name, path in files.items()
    }
    assert "splice.report" in graph["splice.engine.result"]
    assert _import_cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
