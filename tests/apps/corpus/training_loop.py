"""A training loop with a dataclass config (``python train.py``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Ticks
from sequence import App

EDITS = (
    Edit(
        "helper-body",
        0,
        {
            "train.py": [
                ("return [(x, y) for x, y in batch]", "return [(x, y * 1.01) for x, y in batch]")
            ]
        },
    ),
    Edit(
        "config-default",
        2,
        {"train.py": [("lr: float = 0.1", "lr: float = 0.05")]},
        stale=(Spot("train.py", "CFG = Config()"),),
        why="CFG was made with the old default: named (run it again), or applied",
    ),
    Edit(
        "schedule-lambda-in-a-dict",
        8,
        {"train.py": [("lr * 0.5 ** (step // 10)", "lr * 0.5 ** (step // 5)")]},
        must_apply=True,
    ),
    Edit(
        "config-field-added",
        0,
        {
            "train.py": [
                (
                    '    schedule: str = "step"\n',
                    '    schedule: str = "step"\n    momentum: float = 0.9\n',
                )
            ]
        },
        stale=(Spot("train.py", "CFG = Config()"),),
    ),
    Edit(
        "constant-read-by-a-cache",
        3,
        {"train.py": [("SMOOTHING = 0.0", "SMOOTHING = 0.1")]},
        must_apply=True,
    ),
    Edit("loss-body", 0, {"train.py": [("/ len(batch), 6))", "/ (2 * len(batch)), 6))")]}),
    Edit(
        "running-loop-body",
        4,
        {"train.py": [("json.dumps(report())", 'json.dumps({**report(), "logged": True})')]},
        why="main() never returns: its old body runs on (named by function-running)",
    ),
)

APP = App(
    name="training_loop",
    folder=Path(__file__).resolve().parents[1] / "programs" / "training_loop",
    command=("train.py",),
    probes=Ticks(),
    edits=EDITS,
)
