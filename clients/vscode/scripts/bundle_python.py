"""Build the extension's bundled/python.tar.gz: splice itself and the language server's dependencies.

    python scripts/bundle_python.py [--output DIR]

The archive holds ``splice/`` (the package from ``server/splice``, with
``docs/edits.md``, which the wheel ships too) and ``libs/`` (the runtime
dependencies from pyproject.toml, installed with ``pip install --target`` as
pure-Python wheels for CPython 3.10, so one .vsix serves every CPython 3.10+).
bundled/tool/splice_launcher.py unpacks it on first use.

One archive rather than a folder tree: the dependencies are about a thousand
files (jedi's typeshed stubs alone are 740), and a .vsix of thousands of files
is slow to package, install and scan. It is unpacked rather than imported from
(zipimport) because parso reads its grammar files, jedi lists its typeshed
folder and starts a helper script by path, and splice hands its own files to
child processes and to gdb: all need real files.

What is left out of jedi: the third-party stubs of typeshed (``stubs/``, about
4,800 files for packages like requests or six, which jedi reads from the
packages themselves when they are installed) and django-stubs. The stdlib stubs
stay: jedi's inference of builtins needs them (without them a hover over
``os.path.join`` ends in a RecursionError inside jedi).

A dependency with a compiled part fails the build instead of shipping a .vsix
that works on one machine. pip's own settings apply (``PIP_INDEX_URL``, or
``PIP_NO_INDEX=1`` with ``PIP_FIND_LINKS=wheelhouse`` to build offline).
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

EXTENSION = Path(__file__).resolve().parents[1]
REPOSITORY = EXTENSION.parents[1]
ARCHIVE_NAME = "python.tar.gz"
#: The oldest Python the bundle must run on: wheels are picked for it.
OLDEST_PYTHON = "3.10"
#: pip evaluates environment markers for the interpreter it runs on, whatever
#: --python-version says: a dependency only older (or newer) Pythons need is
#: found from the installed metadata for each of these.
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
#: Folders nothing reads at run time (relative to libs/).
UNUSED_FOLDERS = ("bin", "jedi/third_party/typeshed/stubs", "jedi/third_party/django-stubs")
#: Files of a .dist-info that only an installer reads; METADATA and the licences stay.
INSTALLER_FILES = ("RECORD", "INSTALLER", "REQUESTED", "WHEEL", "direct_url.json")
#: Every member gets this modification time (1980-01-01, as reproducible wheels
#: do), so the same inputs give the same archive and the launcher's unpacked
#: copy, named by the archive's digest, is reused across rebuilds.
FIXED_MTIME = 315532800


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


def prune(libs: Path) -> None:
    """Drop what nothing imports or reads at run time (see the module docstring)."""
    for folder in UNUSED_FOLDERS:
        shutil.rmtree(libs / folder, ignore_errors=True)
    for path in list(libs.rglob("*")):
        if not path.is_file():
            continue
        installer_file = path.parent.name.endswith(".dist-info") and path.name in INSTALLER_FILES
        # Type stubs and markers of the server's own dependencies serve type
        # checkers only; jedi's typeshed stubs are data it reads.
        typing_only = path.name == "py.typed" or (
            path.suffix == ".pyi" and "third_party" not in path.relative_to(libs).parts
        )
        if installer_file or typing_only:
            path.unlink()


def compiled_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(COMPILED_SUFFIXES)]


def _member(archive: tarfile.TarFile, path: Path, name: str) -> tarfile.TarInfo:
    info = archive.gettarinfo(str(path), arcname=name)
    info.mtime = FIXED_MTIME
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_archive(staging: Path, archive: Path) -> int:
    """One gzipped tar of ``staging``, the same bytes for the same files; returns the file count."""
    # Sorted by suffix, then path: similar files sit together, which gzip's
    # 32 KB window rewards (the typeshed stubs compress 20% better so).
    files = sorted(
        (path for path in staging.rglob("*") if path.is_file()),
        key=lambda path: (path.suffix, path.relative_to(staging).as_posix()),
    )
    partial = archive.with_name(archive.name + ".partial")
    with (
        partial.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as stream,
        tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in files:
            name = path.relative_to(staging).as_posix()
            with path.open("rb") as content:
                tar.addfile(_member(tar, path, name), content)
    partial.replace(archive)
    return len(files)


def build(output: Path) -> int:
    requirements = runtime_dependencies(REPOSITORY / "pyproject.toml")
    output.mkdir(parents=True, exist_ok=True)
    # Folders of earlier layouts and copies the launcher unpacked from earlier builds.
    for stale in ("splice", "libs", *(path.name for path in output.glob("python-*"))):
        shutil.rmtree(output / stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="splice-bundle-") as temporary:
        staging = Path(temporary)
        copy_splice(staging / "splice")
        install_dependencies(staging / "libs", requirements)
        prune(staging / "libs")
        compiled = compiled_files(staging)
        if compiled:
            names = ", ".join(str(path.relative_to(staging)) for path in compiled)
            print(f"bundle: compiled files would tie the .vsix to one platform: {names}")
            return 1
        installed = sorted(path.name for path in (staging / "libs").glob("*.dist-info"))
        archive = output / ARCHIVE_NAME
        count = write_archive(staging, archive)
    size = archive.stat().st_size
    print(
        f"bundle: splice and {', '.join(installed)}: {count} files, "
        f"{size / 1024:.0f} KB in {archive}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=EXTENSION / "bundled")
    return build(parser.parse_args(argv).output)


if __name__ == "__main__":
    raise SystemExit(main())
