"""Whose file a module is: the cached, one-system-call answer equals the real-path rule."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest

import splice
from splice.engine.baselines import scope


@pytest.fixture(autouse=True)
def fresh_folders() -> None:
    scope.forget_folders()


def _expected(path: str) -> tuple[str, bool]:
    real = os.path.realpath(path)
    users = not any(
        real == root or real.startswith(root.rstrip(os.sep) + os.sep)
        for root in scope.foreign_roots()
    )
    return real, users


def test_user_file_matches_the_real_path_rule_through_links(tmp_path: Path) -> None:
    purelib = Path(sysconfig.get_path("purelib"))
    (tmp_path / "project" / "pkg").mkdir(parents=True)
    (tmp_path / "project" / "pkg" / "mod.py").write_text("")
    # A folder link into site-packages, a file link out of the project, a linked project.
    (tmp_path / "into_library").symlink_to(purelib)
    (tmp_path / "linked_file.py").symlink_to(tmp_path / "project" / "pkg" / "mod.py")
    (tmp_path / "linked_project").symlink_to(tmp_path / "project")
    paths = [
        str(tmp_path / "project" / "pkg" / "mod.py"),
        str(tmp_path / "linked_project" / "pkg" / "mod.py"),
        str(tmp_path / "linked_file.py"),
        str(tmp_path / "into_library" / "anything.py"),
        str(purelib / "pkg" / "m.py"),
        os.__file__,
        str(splice.__file__),
    ]
    for _ in range(2):  # the second round comes from the folder cache
        for path in paths:
            assert scope.user_file(path) == _expected(path), path
    assert scope.user_file(paths[1])[0] == paths[0]
    assert scope.user_file(paths[3])[1] is False
    assert scope.user_file(paths[0])[1] is True
