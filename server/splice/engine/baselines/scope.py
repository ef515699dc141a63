"""Which files are the user's: not the standard library, site-packages, installed scripts or splice.

The import hook asks this of every module a program imports, so it must
cost little: a file that is not a symbolic link is classified by its folder,
whose real path and verdict are computed once. The answer is the same as
comparing the file's real path with the real paths of those roots.
"""

from __future__ import annotations

import os
import sys

_roots: tuple[str, ...] | None = None
#: Folder as imported -> (its real path, whether files directly in it are the user's).
_folders: dict[str, tuple[str, bool]] = {}


def in_user_scope(path: str) -> bool:
    """Whether ``path`` is one of the user's files (the rule recovery and ``--watch`` use)."""
    return user_file(path)[1]


def user_file(path: str) -> tuple[str, bool]:
    """``(real path, whether it is the user's)`` of a file, cheaply for one that is no link."""
    if not os.path.isabs(path) or os.path.islink(path):
        real = os.path.realpath(path)
        return real, _is_users(real)
    return folder_file(path)


def folder_file(path: str) -> tuple[str, bool]:
    """As ``user_file`` for an absolute path known not to be a symbolic link: no system call
    once its folder is known."""
    folder, _, name = path.rpartition(os.sep)
    known = _folders.get(folder)
    if known is None:
        real_folder = _real_folder(folder)
        # A file directly in the folder is under a root exactly when the folder is.
        known = _folders[folder] = (real_folder, _is_users(real_folder + os.sep))
    real_folder, users = known
    return f"{real_folder.rstrip(os.sep)}{os.sep}{name}", users


def _real_folder(folder: str) -> str:
    """``os.path.realpath(folder)``, one ``lstat`` per folder not seen before."""
    known = _folders.get(folder)
    if known is not None:
        return known[0]
    parent, _, name = folder.rpartition(os.sep)
    if not parent or name in ("", ".", "..") or os.path.islink(folder):
        return os.path.realpath(folder or os.sep)
    real = f"{_real_folder(parent).rstrip(os.sep)}{os.sep}{name}"
    _folders[folder] = (real, _is_users(real + os.sep))
    return real


def real_path(path: str) -> str:
    """``os.path.realpath(path)``, with the folder's real path cached."""
    return user_file(path)[0]


def _is_users(real: str) -> bool:
    return not any(
        real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in foreign_roots()
    )


def foreign_roots() -> tuple[str, ...]:
    """The real paths of the standard library, site-packages, scripts and splice's own folder."""
    global _roots
    if _roots is None:
        import site
        import sysconfig

        roots = set()
        for variables in (None, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
            # One expansion of the scheme per set of variables (get_path expands it all each call).
            try:
                paths = sysconfig.get_paths(vars=variables)
            except (KeyError, ValueError):
                continue
            for scheme_key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts"):
                if scheme_key in paths:
                    roots.add(paths[scheme_key])
        for getter in ("getsitepackages", "getusersitepackages"):
            try:
                found = getattr(site, getter)()
            except AttributeError:  # a virtualenv's old site.py
                continue
            roots.update([found] if isinstance(found, str) else found)
        roots.update(
            p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")
        )
        # splice/, from engine/baselines/
        roots.add(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        _roots = tuple(sorted({os.path.realpath(root) for root in roots if root}))
    return _roots


def forget_folders() -> None:
    """Classify every folder afresh (a test moved a symbolic link)."""
    _folders.clear()
