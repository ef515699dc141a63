"""The VS Code extension is ready for the Marketplace and Open VSX: what vsce and the
galleries read from package.json, the README they show, and when VS Code starts it."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
EXTENSION = REPOSITORY / "clients" / "vscode"
#: The Marketplace's categories (vsce warns about any other).
CATEGORIES = {
    "AI",
    "Azure",
    "Chat",
    "Data Science",
    "Debuggers",
    "Education",
    "Extension Packs",
    "Formatters",
    "Keymaps",
    "Language Packs",
    "Linters",
    "Machine Learning",
    "Notebooks",
    "Programming Languages",
    "SCM Providers",
    "Snippets",
    "Testing",
    "Themes",
    "Visualization",
    "Other",
}
#: VS Code activates an extension for its contributed commands by itself from 1.74 on.
IMPLICIT_COMMAND_ACTIVATION = (1, 74)
#: code-server 4.100.3, which the end-to-end tests install the .vsix into.
NEWEST_TESTED_VSCODE = (1, 100)


def manifest() -> dict[str, Any]:
    return json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.sub(r"^[\^~>=<\s]+", "", text).split(".")[:2])


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR", f"{path} is no PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_manifest_names_publisher_license_and_repository() -> None:
    package = manifest()
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", package["publisher"])
    assert package["license"] == "MIT"
    assert "MIT License" in (EXTENSION / "LICENSE").read_text(encoding="utf-8")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", package["repository"]["url"])
    assert package["bugs"]["url"].startswith(package["repository"]["url"])
    assert package["description"] and package["displayName"]


def test_manifest_icon_is_a_png_of_at_least_128_pixels() -> None:
    icon = EXTENSION / manifest()["icon"]
    width, height = png_size(icon)
    assert width == height >= 128


def test_manifest_categories_are_the_marketplaces() -> None:
    package = manifest()
    assert set(package["categories"]) <= CATEGORIES
    # The Marketplace takes up to 30 keywords; Open VSX shows the first few.
    assert 0 < len(package["keywords"]) <= 30


def test_manifest_activates_on_python_files_and_by_its_commands() -> None:
    package = manifest()
    assert package["activationEvents"] == ["onLanguage:python"]
    # Commands need no onCommand event (Attach to Process... works before a
    # Python file is open) only on engines that activate for them by themselves.
    assert version(package["engines"]["vscode"]) >= IMPLICIT_COMMAND_ACTIVATION
    assert version(package["engines"]["vscode"]) <= NEWEST_TESTED_VSCODE
    assert package["main"] == "./dist/extension.js"


def test_readme_shows_the_screenshots_the_end_to_end_test_takes() -> None:
    readme = (EXTENSION / "README.md").read_text(encoding="utf-8")
    base = manifest()["repository"]["url"] + "/raw/HEAD/"
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    taken = set(
        re.findall(
            r'screenshot\(page, "([\w.-]+\.png)"\)',
            "".join(path.read_text() for path in (EXTENSION / "e2e").glob("*.mjs")),
        )
    )
    assert images, "the README shows no screenshot"
    for image in images:
        # The galleries show README images only from https URLs.
        assert image.startswith(base), image
        path = image.removeprefix(base)
        assert path.startswith("docs/editors/") and (REPOSITORY / path).is_file(), image
        assert Path(path).name in taken, f"{image} is not taken by the end-to-end test"


def test_readme_links_point_at_files_of_the_repository() -> None:
    readme = (EXTENSION / "README.md").read_text(encoding="utf-8")
    base = manifest()["repository"]["url"] + "/blob/HEAD/"
    links = re.findall(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert links
    for link in links:
        assert link.startswith(base), link
        assert (REPOSITORY / link.removeprefix(base)).is_file(), link


def test_changelog_has_the_manifests_version() -> None:
    changelog = (EXTENSION / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(manifest()['version'])}\b", changelog, re.M)
