"""Only splice.dask imports distributed; the rest of splice runs without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import splice.dask

PACKAGE = Path(splice.dask.__file__).resolve().parent.parent


def test_splice_dask_public_api_is_exactly_the_curated_names() -> None:
    assert sorted(splice.dask.__all__) == [
        "DEFAULT_TIMEOUT",
        "SplicePlugin",
        "patch_cluster",
        "patch_cluster_async",
    ]


def test_splice_dask_other_packages_do_not_load_distributed() -> None:
    code = (
        "import sys, splice, splice.report, splice.engine.apply, splice.agent.agent, "
        "splice.client.client, splice.dask.patching\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('distributed', 'dask')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()

    assert loaded == "[]"


def test_splice_dask_no_module_outside_it_imports_distributed() -> None:
    importers = []
    for path in PACKAGE.rglob("*.py"):
        if "dask" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] in ("distributed", "dask") for name in names):
                importers.append(str(path.relative_to(PACKAGE)))

    assert importers == []


def test_splice_dask_without_distributed_says_how_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None\n"
        "import splice.dask\n"
        "try:\n"
        "    splice.dask.patch_cluster\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()

    assert (
        printed == "splice.dask.patch_cluster needs Dask's distributed: pip install 'splice[dask]'"
    )
