"""A pool of worker processes whose main script holds constants, spawned and forkserver."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Ticks
from sequence import App

EDITS = (
    Edit(
        "worker-function-body", 0, {"jobs.py": [('return f"v{value}"', 'return f"value-{value}"')]}
    ),
    Edit(
        "main-script-constant",
        5,
        {"jobs.py": [("SCALE = 3", "SCALE = 2")]},
        must_apply=True,
        why="workers run the script as __mp_main__: their functions read its namespace",
    ),
    Edit(
        "new-import-in-the-main-script",
        5,
        {
            "jobs.py": [
                ("import json\n", "import json\nimport math\n"),
                (
                    "return clamp(value * SCALE + OFFSET)",
                    "return clamp(math.floor(value * SCALE + OFFSET))",
                ),
            ]
        },
        must_apply=True,
    ),
    Edit(
        "helper-function",
        0,
        {"scoring.py": [("return min(value, LIMIT)", "return min(value, LIMIT - 1)")]},
    ),
    Edit(
        "helper-constant-imported-by-name",
        1,
        {"scoring.py": [("LIMIT = 12", "LIMIT = 8")]},
        stale=(Spot("jobs.py", "from scoring import LIMIT, clamp"),),
        must_apply=True,
    ),
)

FOLDER = Path(__file__).resolve().parents[1] / "programs" / "process_pool"

SPAWN = App(
    name="spawn_pool",
    folder=FOLDER,
    command=("jobs.py", "spawn"),
    probes=Ticks(),
    edits=EDITS,
    processes=3,
)

FORKSERVER = App(
    name="forkserver_pool",
    folder=FOLDER,
    command=("jobs.py", "forkserver"),
    probes=Ticks(),
    edits=EDITS,
    processes=4,
)
