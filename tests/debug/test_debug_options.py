"""``splice run --debug``'s options and the debug module's pure parts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from splice.agent.debug import is_debugpy_helper, parse_address, program_label


@pytest.mark.parametrize(
    ("text", "address"),
    [("5678", ("127.0.0.1", 5678)), ("0.0.0.0:5678", ("0.0.0.0", 5678)), ("[::1]:9", ("::1", 9))],
)
def test_debug_address_is_host_and_port_as_debugpy_takes_it(
    text: str, address: tuple[str, int]
) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "localhost", "host:port", "70000"])
def test_debug_address_that_is_not_one_is_refused_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="--debug"):
        parse_address(text)


def test_debug_debugpy_helpers_get_no_agent_but_the_program_does() -> None:
    launcher = "/venv/lib/python3.12/site-packages/debugpy/launcher"
    program = [
        "python",
        "-X",
        "frozen_modules=off",
        f"{launcher}/../../debugpy",
        "--connect",
        "127.0.0.1:4000",
        "app.py",
    ]

    assert is_debugpy_helper(["python", launcher, "4000", "--", "app.py"])
    assert is_debugpy_helper(["python", "-m", "debugpy.adapter", "--port", "4000"])
    assert not is_debugpy_helper(program)
    assert program_label(program) == "app.py"
    assert program_label(["python", "/x/debugpy", "--connect", "1", "-m", "web"]) == "-m web"


def run(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "splice", "run", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def test_debug_wait_for_client_without_debug_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('ran')\n")

    completed = run("--wait-for-client", "app.py", cwd=tmp_path)

    assert completed.returncode == 2
    assert "--wait-for-client needs --debug" in completed.stderr
    assert "ran" not in completed.stdout


def test_debug_bad_address_is_a_usage_error_before_the_program_runs(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('ran')\n")

    completed = run("--debug", "localhost", "app.py", cwd=tmp_path)

    assert completed.returncode == 2
    assert "--debug needs [HOST:]PORT, not 'localhost'" in completed.stderr
    assert "ran" not in completed.stdout


def test_debug_program_arguments_after_the_script_are_the_programs(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import sys\nprint(sys.argv[1:])\n")

    completed = run("--debug", "0", "app.py", "--debug", "x", cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "['--debug', 'x']"
    assert "splice run: debugpy listening on 127.0.0.1:" in completed.stderr
