"""``splice patch``'s arguments read without ``argparse`` when they are plainly well formed.

``splice patch`` runs on every save of an editor without the language server
(a file watcher, a key binding), so its start-up is its cost; ``argparse``
with ``gettext`` and ``locale`` is about 5 ms of it. A command line made only
of the exact option names, their values and one FILE (none starting with
``-``) is read here into the namespace ``argparse`` would make of it
(tests/agent/test_patch_arguments.py compares the two); anything else (help,
an error, an abbreviation, ``--``) returns None and goes to ``argparse``,
which says what it always said.
"""

from __future__ import annotations

from types import SimpleNamespace

#: Options that take a value, and whether they may be given more than once.
VALUE_OPTIONS = {"--only": True, "--kernel": True, "--dask": True, "--timeout": False}
FLAGS = {
    "--json": "json",
    "--undo": "undo",
    "--dry-run": "dry_run",
    "--apply-others": "apply_others",
}


def quick_patch_arguments(argv: list[str], default_timeout: float) -> SimpleNamespace | None:
    """``_patch_parser().parse_args(argv)``'s result, or None when ``argparse`` must decide."""
    values: dict[str, object] = {
        "file": None,
        "only": None,
        "kernel": None,
        "dask": None,
        "json": False,
        "undo": False,
        "dry_run": False,
        "apply_others": False,
        "timeout": default_timeout,
    }
    position = 0
    while position < len(argv):
        token = argv[position]
        position += 1
        if not token.startswith("-"):
            if values["file"] is not None:
                return None  # argparse's "unrecognized arguments"
            values["file"] = token
            continue
        if token in FLAGS:
            values[FLAGS[token]] = True
            continue
        name, equals, value = token.partition("=")
        if name not in VALUE_OPTIONS:
            return None
        if not equals:
            if position >= len(argv):
                return None
            value = argv[position]
            position += 1
            if value.startswith("-"):
                return None  # argparse may read it as an option, or as a value
        key = name[2:]
        if VALUE_OPTIONS[name]:
            listed = values[key]
            values[key] = [*listed, value] if isinstance(listed, list) else [value]
        else:
            seconds = positive_seconds(value)
            if seconds is None:
                return None
            values[key] = seconds
    if values["file"] is None:
        return None
    return SimpleNamespace(**values)


def positive_seconds(text: str) -> float | None:
    """What ``--timeout`` accepts (a positive number), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None
