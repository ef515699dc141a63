"""The update-hook sample of docs/frameworks.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.helpers import Live
from splice.engine.hooks import remove_update_callback

DOC = Path(__file__).resolve().parents[2] / "docs" / "frameworks.md"


def sample() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    [hooks] = [block for block in blocks if "def __splice_update__" in block]
    return str(hooks)


def test_frameworks_doc_update_hook_sample_runs(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    source = sample() + "\n\ndef render():\n    return 1\n"
    module = live.load(source)
    try:
        module.CACHE["page"] = "old"
        result = live.patch(module, source.replace("return 1", "return 2"))
        assert result.ok and module.render() == 2
        assert module.CACHE == {}
        assert f"{module.__name__} render changed" in capsys.readouterr().out
    finally:
        remove_update_callback(module.log_patches)
