"""A patch that reaches a module while its import is still running (a worker starting up).

The module is in ``sys.modules`` from the first line of its top-level code;
patched then, the import would go on to bind the old definitions below the
line it had reached, after the patch reported success.
"""

from __future__ import annotations

from pathlib import Path

from kernel_support import running_kernel

SLOW = """\
import time

time.sleep(float(open("delay").read()))


def label():
    return "alpha"
"""

MAIN = """\
import threading
import time

threading.Thread(target=__import__, args=("slow",)).start()
time.sleep(0.3)
print("importing", flush=True)
time.sleep(600)
"""


def test_patch_of_a_module_being_imported_applies_after_its_import(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "delay").write_text("1.5")
    (tmp_path / "app.py").write_text(MAIN)
    with running_kernel(tmp_path, "app.py", ready="importing") as kernel:
        assert kernel.evaluate("__import__('sys').modules['slow'].__spec__._initializing") == "True"
        result = kernel.patch("slow", SLOW.replace('"alpha"', '"beta"'))
        assert result.ok and result.changed == ("label",), result
        assert kernel.evaluate("__import__('sys').modules['slow'].label()") == "'beta'"


def test_patch_of_a_module_whose_import_never_ends_names_the_running_line(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "delay").write_text("600")
    (tmp_path / "app.py").write_text(MAIN)
    with running_kernel(tmp_path, "app.py", ready="importing") as kernel:
        result = kernel.patch("slow", SLOW.replace("import time\n", "import time\nLIMIT = 3\n"))
        assert result.ok, result
        [warning] = [finding for finding in result.skipped if finding.code == "module-importing"]
        assert "still being imported" in warning.message, warning
        assert "running at line 3 of the text it started with" in warning.message, warning
