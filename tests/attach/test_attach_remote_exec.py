"""Python 3.14+: ``sys.remote_exec`` (PEP 768) instead of gdb."""

from __future__ import annotations

import glob
import shutil

import pytest
from attach_support import attach_json, patch_body


def _python_3_14() -> str | None:
    found = shutil.which("python3.14")
    if found:
        return found
    candidates = sorted(glob.glob("/root/.pyenv/versions/3.1[4-9]*/bin/python"))
    return candidates[-1] if candidates else None


PYTHON_3_14 = _python_3_14()


@pytest.mark.skipif(
    PYTHON_3_14 is None,
    reason="no CPython 3.14+ on this machine (none can be installed here); "
    "the sys.remote_exec path is written to PEP 768's documented API",
)
def test_attach_to_python_3_14_uses_remote_exec_and_patches(start_target, runtime_dir: str) -> None:
    target = start_target(python=PYTHON_3_14)

    result = attach_json(target.pid, SPLICE_GDB="/nonexistent/gdb")  # gdb must not be needed

    assert result["method"] == "remote_exec"
    target.script.write_text(target.script.read_text().replace('"before"', '"after"'))
    patch_body(target.script)
    target.wait_for("after", after=len(target.stdout()))
    target.assert_running_normally()
