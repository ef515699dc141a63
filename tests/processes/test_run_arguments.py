"""``splice run``: everything after SCRIPT or ``-m MODULE`` belongs to the program."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from processes_support import Program

from splice.agent.run import _parser, quick_options, split_arguments


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-m", "gunicorn", "-w", "2", "app:app"], ([], "gunicorn", None, ["-w", "2", "app:app"])),
        (
            ["--watch", "-mhttp.server", "--bind", "x"],
            (["--watch"], "http.server", None, ["--bind", "x"]),
        ),
        (
            ["--watch-path", "src", "app.py", "--watch"],
            (["--watch-path", "src"], None, "app.py", ["--watch"]),
        ),
        (["--", "-odd.py", "-m"], ([], None, "-odd.py", ["-m"])),
        (["--watch"], (["--watch"], None, None, [])),
    ],
)
def test_split_arguments_gives_everything_after_the_program_to_it(
    argv: list[str], expected: tuple[list[str], str | None, str | None, list[str]]
) -> None:
    assert split_arguments(argv) == expected


def test_run_passes_options_after_the_script_to_it(
    run_program: Callable[..., Program], tmp_path: Path
) -> None:
    (tmp_path / "show.py").write_text("import sys\nprint(sys.argv[1:], flush=True)\n")
    program = run_program("--no-children", "show.py", "--watch", "-m", "x", "--", "y")
    assert program.wait_for_stdout("[") == "['--watch', '-m', 'x', '--', 'y']"
    assert program.process.wait(30) == 0


@pytest.mark.parametrize(
    "own",
    [
        [],
        ["--watch"],
        ["--no-children", "--tcp"],
        ["--unix-socket", "--no-listen"],
        ["--tcp", "--tcp"],
    ],
    ids=repr,
)
def test_run_reads_plain_flags_as_argparse_does(own: list[str]) -> None:
    quick = quick_options(own)
    assert quick is not None
    assert vars(quick) == vars(_parser().parse_args(own))


@pytest.mark.parametrize(
    "own",
    [
        ["--help"],
        ["--tcp", "--unix-socket"],
        ["--watch-path", "src"],
        ["--debug", "5678"],
        ["--wat"],
    ],
    ids=repr,
)
def test_run_leaves_anything_else_to_argparse(own: list[str]) -> None:
    assert quick_options(own) is None
