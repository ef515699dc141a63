"""Adapters load only with their framework, and never trip over what modules hold."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from engine.helpers import Live

FRAMEWORKS = ("flask", "fastapi", "starlette", "pydantic", "django", "attr", "werkzeug")


def test_adapters_patching_imports_no_framework(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        import sys, pathlib, tempfile
        folder = pathlib.Path(tempfile.mkdtemp())
        (folder / "plain.py").write_text("def f():\\n    return 1\\n")
        sys.path.insert(0, str(folder))
        import splice, plain
        result = splice.patch_module(plain, "def f():\\n    return 2\\n")
        assert result.ok and plain.f() == 2, result
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in FRAMEWORKS)
        adapters = sorted(name for name in sys.modules if name.startswith("splice.adapters."))
        print(loaded, adapters)
        """
    ).replace("FRAMEWORKS", repr(FRAMEWORKS))
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    # functools is always imported: its adapter (stdlib only) is the one that loads.
    assert completed.stdout.strip() == "[] ['splice.adapters.dispatch']"


class Hostile:
    """A lazy proxy at its worst: every attribute, ``__class__`` included, raises."""

    def __getattribute__(self, name: str) -> object:
        raise RuntimeError(f"touched {name}")


class Lazy:
    """A lazy proxy as Django's settings are: every attribute but ``__class__`` raises."""

    def __getattribute__(self, name: str) -> object:
        if name == "__class__":
            return Lazy
        raise RuntimeError(f"touched {name}")


def test_adapters_ignore_module_globals_that_raise(live: Live) -> None:
    for framework in ("fastapi", "flask", "pydantic", "django", "attr"):
        pytest.importorskip(framework)
    module = live.load("def f():\n    return 1\n")
    # Without a baseline the planner itself looks at globals' classes (its own
    # affair); the adapters must not, in either mode.
    module.proxy = Hostile() if live.baseline else Lazy()  # type: ignore[attr-defined]
    result = live.patch(module, "def f():\n    return 2\n")
    assert result.ok, result.errors
    assert module.f() == 2
