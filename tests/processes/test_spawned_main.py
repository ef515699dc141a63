"""The main script in spawn and forkserver workers: a save reaches what its functions read.

multiprocessing runs the main script again in each spawned worker as
``__mp_main__``; its functions must see the constants and imports a save
changes, exactly as a fresh start of the edited script would give them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processes_support import Program, save

MAIN = """\
import multiprocessing
import sys
import time

FACTOR = 2


def work(value):
    return f"{value * FACTOR}:{probe()}"


def probe():
    main = sys.modules["__mp_main__"]
    return "same" if work.__globals__ is vars(main) else "copy"


if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    with context.Pool(2) as pool:
        for _ in range(600):
            started = time.time()
            print(started, " ".join(pool.map(work, range(1, 4), chunksize=1)), flush=True)
            time.sleep(0.05)
"""

# What a user types: a new constant value and a new import that work() uses.
EDITED = (
    MAIN.replace("FACTOR = 2", "FACTOR = 3")
    .replace("import time\n", "import time\nimport math\n", 1)
    .replace('f"{value * FACTOR}', 'f"{math.prod([value, FACTOR])}')
)


def results_after(program: Program, moment: float, count: int) -> list[list[str]]:
    """The workers' answers of ``count`` maps that started after ``moment`` (time.time())."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        later = [
            line.split()[1:] for line in list(program.stdout) if float(line.split()[0]) > moment
        ]
        if len(later) >= count:
            return later[:count]
        time.sleep(0.05)
    raise AssertionError(f"too few lines: {program.stdout[-5:]} {program.stderr[-10:]}")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawned_workers_main_script_functions_see_saved_constants_and_imports(
    run_program: Callable[..., Program], tmp_path: Path, method: str
) -> None:
    (tmp_path / "app.py").write_text(MAIN)
    program = run_program("--watch", "app.py", method)
    program.wait_for_processes(4 if method == "forkserver" else 3)
    first = results_after(program, 0, 1)[0]
    # The workers' functions read the module a patch of __mp_main__ changes.
    assert first == ["2:same", "4:same", "6:same"], first
    time.sleep(1.0)  # the watcher has met every worker
    save(tmp_path / "app.py", EDITED)
    line = program.wait_for_stderr("patched app.py in ")
    reported = time.time()
    assert "failed" not in line, program.stderr
    for answers in results_after(program, reported, 5):
        assert answers == ["3:same", "6:same", "9:same"], program.stderr[-10:]
    assert not any("NameError" in text for text in program.stderr), program.stderr
