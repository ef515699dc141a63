"""Update hooks in a real ``splice run`` process: module hook, callback, entry point, a raising hook."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel_support import RunningKernel, running_kernel

APP = """\
import threading

import splice

SEEN = []
CALLED = []
FAIL = []


def __splice_update__(changes):
    if FAIL:
        raise RuntimeError("cache refresh broke")
    SEEN.append([(change.module, change.qualname, change.kind) for change in changes])


@splice.on_update
def record(changes):
    CALLED.append(len(changes))


def f():
    return 1


def doomed():
    return 0


print("ready", flush=True)
threading.Event().wait()
"""

ADAPTER = """\
import sys

from splice.engine.hooks import Adapter


class ToyAdapter(Adapter):
    framework = "toyframework"

    def on_update(self, changes):
        sys.modules["toyframework"].EVENTS.extend(change.qualname for change in changes)
"""

ENTRY_POINTS = "[splice.hooks]\ntoyframework = toy_splice_adapter:ToyAdapter\n"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKernel]:
    folder: Path = tmp_path_factory.mktemp("hooks")
    (folder / "app.py").write_text(APP)
    plugins = folder / "plugins"
    info = plugins / "toy_splice_adapter-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toy-splice-adapter\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (plugins / "toy_splice_adapter.py").write_text(ADAPTER)
    (plugins / "toyframework.py").write_text("EVENTS = []\n")
    with running_kernel(
        folder, "app.py", env={"PYTHONPATH": str(plugins)}, ready="ready"
    ) as kernel:
        yield kernel


def test_hooks_module_hook_and_callback_are_told_what_changed(kernel: RunningKernel) -> None:
    source = APP.replace("    return 1\n", "    return 2\n", 1)
    result = kernel.patch("__main__", source)
    assert result.ok and result.changed == ("f",), result
    assert kernel.evaluate("SEEN[-1]") == "[('__main__', 'f', 'changed')]"
    calls = int(kernel.evaluate("len(CALLED)"))
    removed = source.replace("def doomed():\n    return 0\n\n\n", "")
    result = kernel.patch("__main__", removed)
    assert result.ok and result.deleted == ("doomed",), result
    assert kernel.evaluate("SEEN[-1]") == "[('__main__', 'doomed', 'deleted')]"
    assert int(kernel.evaluate("len(CALLED)")) == calls + 1
    assert kernel.patch("__main__", APP).ok


def test_hooks_a_refused_patch_tells_no_hook(kernel: RunningKernel) -> None:
    before = kernel.evaluate("len(SEEN), len(CALLED)")
    result = kernel.patch("__main__", APP.replace("def f():", "def f(:"))
    assert not result.ok
    assert kernel.evaluate("len(SEEN), len(CALLED)") == before


def test_hooks_raising_hook_is_a_warning_and_the_patch_stays(kernel: RunningKernel) -> None:
    kernel.evaluate("FAIL.append(1)")
    try:
        result = kernel.patch("__main__", APP.replace("    return 1\n", "    return 3\n", 1))
        assert result.ok, result
        failures = [w for w in result.warnings if w.code == "update-hook-failed"]
        assert len(failures) == 1
        assert "__main__.__splice_update__ raised RuntimeError: cache refresh broke" in (
            failures[0].message
        )
        assert kernel.evaluate("f()") == "3"
    finally:
        kernel.evaluate("FAIL.clear()")
        assert kernel.patch("__main__", APP).ok


def test_hooks_entry_point_adapter_loads_only_with_its_framework(kernel: RunningKernel) -> None:
    assert kernel.patch("__main__", APP.replace("    return 1\n", "    return 4\n", 1)).ok
    assert kernel.evaluate("'toy_splice_adapter' in __import__('sys').modules") == "False"
    assert kernel.evaluate("__import__('toyframework').EVENTS") == "[]"
    result = kernel.patch("__main__", APP.replace("    return 1\n", "    return 5\n", 1))
    assert result.ok
    assert kernel.evaluate("'toy_splice_adapter' in __import__('sys').modules") == "True"
    assert kernel.evaluate("__import__('toyframework').EVENTS") == "['f']"
    assert kernel.patch("__main__", APP).ok


def test_hooks_on_update_rejects_what_it_cannot_call() -> None:
    import splice

    with pytest.raises(TypeError, match="on_update needs a callable, not int"):
        splice.on_update(3)  # type: ignore[arg-type]


def test_hooks_callback_in_this_process_sees_each_change(tmp_path: Path) -> None:
    import importlib
    import sys

    import splice
    from splice.engine.hooks import remove_update_callback

    (tmp_path / "hooked_module.py").write_text(textwrap.dedent("def g():\n    return 1\n"))
    sys.path.insert(0, str(tmp_path))
    seen: list[tuple[str, str, str]] = []

    def record(changes: tuple[object, ...]) -> None:
        seen.extend((c.module, c.qualname, c.kind) for c in changes)  # type: ignore[attr-defined]

    splice.on_update(record)
    try:
        module = importlib.import_module("hooked_module")
        result = splice.patch_module(module, "def g():\n    return 2\n\n\ndef h():\n    return 0\n")
        assert result.ok
        assert module.g() == 2
        assert seen == [("hooked_module", "g", "changed"), ("hooked_module", "h", "added")]
    finally:
        remove_update_callback(record)
        sys.path.remove(str(tmp_path))
        sys.modules.pop("hooked_module", None)
