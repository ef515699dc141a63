"""What ``--watch`` watches: the program's own files wherever they are, not the libraries."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import gunicorn
from processes_support import Program, save

import splice
from splice.agent.watch import Watcher
from splice.engine.baselines.scope import foreign_roots

SCRIPT = """\
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from shop import prices

for _ in range(600):
    print(prices.total(), flush=True)
    time.sleep(0.05)
"""

PRICES = """\
def total():
    return 10
"""


def test_watch_skips_the_standard_library_site_packages_and_splice(tmp_path: Path) -> None:
    watcher = Watcher()
    assert not watcher.watches(os.path.realpath(os.__file__))
    assert not watcher.watches(os.path.realpath(gunicorn.__file__))
    assert not watcher.watches(os.path.realpath(splice.__file__))
    assert watcher.watches(str(tmp_path / "app.py"))
    assert os.path.realpath(sysconfig.get_paths()["purelib"]) in foreign_roots()


def test_watch_path_adds_a_library_folder(tmp_path: Path) -> None:
    folder = os.path.dirname(os.path.realpath(gunicorn.__file__))
    watcher = Watcher([folder])
    assert watcher.watches(os.path.join(folder, "app", "base.py"))
    assert not watcher.watches(os.path.realpath(os.__file__))
    assert folder in watcher.describe()


def test_watch_patches_a_module_outside_the_script_s_folder_and_says_what_it_watches(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "bin" / "serve.py").write_text(SCRIPT)
    (tmp_path / "src" / "shop" / "__init__.py").write_text("")
    (tmp_path / "src" / "shop" / "prices.py").write_text(PRICES)
    program = run_program("--watch", "--watch-path", str(tmp_path / "vendor"), "bin/serve.py")
    program.wait_for_stdout("10")
    first = program.stderr[0]
    assert first.startswith("splice watch: patching every process of the program")
    assert "outside the standard library and site-packages" in first
    assert str(tmp_path / "vendor") in first

    save(tmp_path / "src" / "shop" / "prices.py", PRICES.replace("10", "20"))
    program.wait_for_stderr("patched prices.py: total changed")
    start = len(program.stdout)
    program.wait_for_stdout("20", start=start + 3)
    assert program.stdout[start + 1 : start + 4] == ["20"] * 3


def test_watch_path_needs_watch(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    finished = subprocess.run(
        [sys.executable, "-m", "splice", "run", "--watch-path", "src", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "--watch-path needs --watch" in finished.stderr
