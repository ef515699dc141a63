"""The code a pending call runs in the target's ``__main__``: harmless whatever happens."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from splice.attach import stub
from splice.attach.inject import pending_call_code

# Runs the pending-call code exactly as PyRun_SimpleString does: in __main__'s namespace.
HARNESS = """\
import sys
names = sorted(vars(sys.modules['__main__']))
exec(compile(sys.argv[1], '<string>', 'exec'), vars(sys.modules['__main__']))
assert sorted(set(vars(sys.modules['__main__'])) - {'names'}) == names, 'bound a name'
print('still running')
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HARNESS, code], capture_output=True, text=True, check=False
    )


def test_pending_call_code_swallows_system_exit_from_the_script(tmp_path: Path) -> None:
    script = tmp_path / "bootstrap.py"
    script.write_text("raise SystemExit(3)\n")

    completed = _run(pending_call_code(str(script)))

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "still running\n"
    assert completed.stderr == ""


def test_pending_call_code_runs_the_script_without_touching_main(tmp_path: Path) -> None:
    script = tmp_path / "bootstrap.py"
    marker = tmp_path / "ran"
    script.write_text(
        f"import pathlib\nvalue = 1\npathlib.Path({str(marker)!r}).write_text(__name__)\n"
    )

    completed = _run(pending_call_code(str(script)))

    assert completed.stdout == "still running\n", completed.stderr
    assert marker.read_text() == "__splice_attach__"


def test_pending_call_code_does_nothing_when_the_script_is_gone(tmp_path: Path) -> None:
    completed = _run(pending_call_code(str(tmp_path / "cancelled.py")))

    assert completed.stdout == "still running\n"
    assert completed.stderr == ""


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_code_that_runs_in_the_target_imports_only_the_standard_library_and_the_agent() -> None:
    folder = Path(stub.__file__).parent
    imported = _imported_modules(folder / "stub.py") | _imported_modules(folder / "bootstrap.py")

    foreign = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and name not in ("splice", "splice.attach")
        and not name.startswith(("splice.agent", "splice.engine", "splice.attach.bootstrap"))
    }

    assert foreign == set()
    assert "splice.agent" in imported  # the check sees the imports it guards
