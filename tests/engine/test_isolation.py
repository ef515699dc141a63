"""Importing splice loads only the standard library and starts nothing."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, threading
before = set(sys.modules)
import splice
import splice.engine.apply, splice.engine.baselines.store
loaded = sorted(set(sys.modules) - before)
print(json.dumps({"loaded": loaded, "threads": threading.active_count(),
                  "meta_path": [type(f).__name__ for f in sys.meta_path]}))
"""
THIRD_PARTY = ("pygls", "lsprotocol", "jedi", "parso", "cattrs", "attrs", "attr")


def _probe() -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def test_import_splice_loads_no_third_party_module() -> None:
    loaded = _probe()["loaded"]
    assert isinstance(loaded, list)
    leaked = [name for name in loaded if name.partition(".")[0] in THIRD_PARTY]
    assert leaked == []
    assert any(name.startswith("splice.engine") for name in loaded)


def test_import_splice_loaded_modules_are_stdlib_or_splice() -> None:
    loaded = _probe()["loaded"]
    assert isinstance(loaded, list)
    stdlib = sys.stdlib_module_names
    foreign = [
        name
        for name in loaded
        if name.partition(".")[0] not in stdlib
        and name.partition(".")[0] != "splice"
        and not name.startswith("_")
    ]
    assert foreign == []


def test_import_splice_starts_no_thread() -> None:
    assert _probe()["threads"] == 1


def test_import_splice_installs_no_import_hook() -> None:
    assert "_BaselineFinder" not in _probe()["meta_path"]  # type: ignore[operator]
