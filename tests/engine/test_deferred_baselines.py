"""Modules outside the user's code keep no text at import: it is read when needed, if unchanged.

Each test runs a fresh interpreter whose ``sys.path`` has a folder named
``site-packages`` (one of the roots that are not the user's code), so the
store's choice is made exactly as in a real program.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LIBRARY = "def version():\n    return 1\n"
MINE = "def mine():\n    return 'mine'\n"

PROBE = textwrap.dedent(
    """
    import json, os, sys, time
    sys.path[:0] = [{library!r}, {project!r}]
    from splice.engine.baselines import store
    store.watch_imports()
    import thirdparty, mymodule
    kept = {{name: name in store._sources for name in ("thirdparty", "mymodule")}}
    {after_import}
    import splice
    report = {{
        "kept_at_import": kept,
        "deferred": store.deferred_baselines(),
        "has_baseline": store.has_baseline("thirdparty"),
        "text": store.baseline_source("thirdparty"),
        "mine": store.baseline_source("mymodule"),
    }}
    result = splice.patch_module(thirdparty, "def version():\\n    return 3\\n")
    report["patched"] = [result.ok, result.changed, thirdparty.version()]
    report["codes"] = [finding.code for finding in (*result.skipped, *result.errors)]
    print(json.dumps(report))
    """
)


def _run(tmp_path: Path, after_import: str = "") -> dict[str, object]:
    library = tmp_path / "lib" / "site-packages"
    library.mkdir(parents=True)
    (library / "thirdparty.py").write_text(LIBRARY)
    project = tmp_path / "project"
    project.mkdir()
    (project / "mymodule.py").write_text(MINE)
    script = PROBE.format(library=str(library), project=str(project), after_import=after_import)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_third_party_text_is_read_on_demand_and_is_the_baseline(tmp_path: Path) -> None:
    report = _run(tmp_path)
    assert report["kept_at_import"] == {"thirdparty": False, "mymodule": True}
    assert report["deferred"] == 1
    assert report["has_baseline"] is True
    assert report["text"] == LIBRARY
    assert report["mine"] == MINE
    assert report["patched"] == [True, ["version"], 3]
    assert report["codes"] == []


def test_third_party_file_changed_since_import_is_no_baseline(tmp_path: Path) -> None:
    # The file now holds other text than what runs: it must not be taken as the baseline.
    edit = (
        "path = thirdparty.__file__\n"
        "open(path, 'w').write('def version():\\n    return 2\\n')\n"
        "os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))\n"
    )
    report = _run(tmp_path, textwrap.indent(edit, "    ").strip().replace("\n    ", "\n"))
    assert report["has_baseline"] is False
    assert report["text"] is None
    # Patched by the live planner, which compares the new text with the live objects.
    assert report["patched"] == [True, ["version"], 3]


@pytest.mark.parametrize(
    "data",
    [
        b"x = 1\n",
        "\u00e9 = 1\n".encode(),
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
        b"#!/usr/bin/env python\n# coding: latin-1\nx = '\xc3\xa9'\n",
        b"#" * 500 + b"\n# coding: latin-1\nx = '\xc3\xa9'\n",
        b"\xef\xbb\xbfx = 1\n",
        b"a = 1\r\nb = 2\r\n",
        b"",
    ],
)
def test_recorded_text_is_what_decode_source_gives(data: bytes) -> None:
    from splice.engine.baselines.store import decode_source

    assert decode_source(data) == importlib.util.decode_source(data)


@pytest.mark.parametrize("data", [b"x = '\xff'\n", b"x = 1\ny = 2\nz = '\xff'\n"])
def test_text_that_is_not_utf8_fails_as_decode_source_fails(data: bytes) -> None:
    from splice.engine.baselines.store import decode_source

    with pytest.raises((SyntaxError, UnicodeDecodeError)) as expected:
        importlib.util.decode_source(data)
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        decode_source(data)
