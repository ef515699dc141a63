"""Fill the extension's bundled/ folder: splice itself and the language server's dependencies.

    python scripts/bundle_python.py [--output DIR]

``bundled/splice`` gets the package from ``server/splice`` (and ``docs/edits.md``,
which the wheel ships too); ``bundled/libs`` gets the runtime dependencies from
pyproject.toml through ``pip install --target``, as pure-Python wheels for
CPython 3.10, so one .vsix serves every CPython 3.10+. A dependency with a
compiled part fails the build instead of shipping a .vsix that works on one
machine. pip's own settings apply (``PIP_INDEX_URL``, or ``PIP_NO_INDEX=1`` with
``PIP_FIND_LINKS=wheelhouse`` to build offline).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

EXTENSION = Path(__file__).resolve().parents[1]
REPOSITORY = EXTENSION.parents[1]
#: The oldest Python the bundle must run on: wheels are picked for it.
OLDEST_PYTHON = "3.10"
#: pip evaluates environment markers for the interpreter it runs on, whatever
#: --python-version says: a dependency only older (or newer) Pythons need is
#: found from the installed metadata for each of these.
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def runtime_dependencies(pyproject: Path) -> list[str]:
    """The ``[project] dependencies`` list (tomllib is 3.11+; the build may run on 3.10)."""
    text = pyproject.read_text(encoding="utf-8")
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text, re.M | re.S)
    if project is None:
        raise SystemExit(f"bundle: no [project] table in {pyproject}")
    listing = re.search(r"^dependencies\s*=\s*\[(.*?)\]", project.group(1), re.M | re.S)
    if listing is None:
        raise SystemExit(f"bundle: no dependencies in the [project] table of {pyproject}")
    return re.findall(r'"([^"]+)"', listing.group(1))


def copy_splice(target: Path) -> None:
    package = target / "splice"
    shutil.copytree(
        REPOSITORY / "server" / "splice",
        package,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    (package / "docs").mkdir()
    shutil.copy2(REPOSITORY / "docs" / "edits.md", package / "docs" / "edits.md")


def pip_install(target: Path, requirements: list[str], *options: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        # Pure-Python wheels only, resolved as for the oldest supported CPython.
        "--only-binary",
        ":all:",
        "--implementation",
        "py",
        "--platform",
        "any",
        "--python-version",
        OLDEST_PYTHON,
        *options,
        *requirements,
    ]
    subprocess.run(command, check=True)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def missing_conditional_requirements(target: Path) -> list[str]:
    """Requirements of the installed packages that some supported Python needs and pip skipped."""
    try:
        from packaging.markers import Marker
        from packaging.requirements import Requirement
    except ImportError:
        from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

    installed = set()
    declared: list[str] = []
    for metadata in target.glob("*.dist-info/METADATA"):
        name = metadata.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        installed.add(normalized(name))
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("Requires-Dist:"):
                declared.append(line.removeprefix("Requires-Dist:").strip())
    missing = []
    for text in declared:
        requirement = Requirement(text)
        if requirement.marker is None or normalized(requirement.name) in installed:
            continue
        environments = [
            {"python_version": version, "python_full_version": version + ".0", "extra": ""}
            for version in SUPPORTED_PYTHONS
        ]
        if any(Marker(str(requirement.marker)).evaluate(env) for env in environments):
            requirement.marker = None
            missing.append(str(requirement))
    return sorted(set(missing))


def install_dependencies(target: Path, requirements: list[str]) -> None:
    pip_install(target, requirements)
    while missing := missing_conditional_requirements(target):
        print(f"bundle: also for other Pythons: {', '.join(missing)}")
        pip_install(target, missing, "--no-deps")
    # Console scripts written for this machine's interpreter are of no use in a .vsix.
    shutil.rmtree(target / "bin", ignore_errors=True)


def compiled_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(COMPILED_SUFFIXES)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=EXTENSION / "bundled")
    options = parser.parse_args(argv)
    output: Path = options.output
    requirements = runtime_dependencies(REPOSITORY / "pyproject.toml")
    for folder in ("splice", "libs"):
        shutil.rmtree(output / folder, ignore_errors=True)
    copy_splice(output / "splice")
    install_dependencies(output / "libs", requirements)
    compiled = compiled_files(output)
    if compiled:
        names = ", ".join(str(path.relative_to(output)) for path in compiled)
        print(f"bundle: compiled files would tie the .vsix to one platform: {names}")
        return 1
    installed = sorted(path.name for path in (output / "libs").glob("*.dist-info"))
    print(f"bundle: splice and {', '.join(installed)} in {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
