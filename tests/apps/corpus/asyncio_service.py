"""An asyncio service whose background tasks keep its state fresh (``python service.py``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Http
from sequence import App

EDITS = (
    Edit(
        "function-a-loop-calls",
        0,
        {"rates.py": [("{currency: rate for", "{currency: round(rate * 1.01, 4) for")]},
    ),
    Edit(
        "background-task-body",
        4,
        {"service.py": [('STATE["health"] = "alive"', 'STATE["health"] = "healthy"')]},
        stale=(Spot("service.py", "asyncio.create_task(heartbeat())"),),
        why="the heartbeat task is suspended in its while loop: it runs the old body for ever",
    ),
    Edit(
        "route-view-body",
        0,
        {
            "service.py": [
                ('"beating": STATE["beats"] > 0}', '"beating": STATE["beats"] > 0, "version": 2}')
            ]
        },
    ),
    Edit(
        "route-added-to-a-dict",
        2,
        {
            "service.py": [
                (
                    "ROUTES = {",
                    'def show_version(query):\n    return {"version": 2}\n\n\nROUTES = {"/version": show_version, ',
                )
            ]
        },
        why="ROUTES is built by a statement that is not a literal: named (run it again), or applied",
    ),
    Edit(
        "lambda-in-a-dict",
        8,
        {"rates.py": [('lambda rate: f"{rate:.0%}"', 'lambda rate: f"{rate:.1%}"')]},
        must_apply=True,
    ),
    Edit(
        "suspended-async-generator",
        4,
        {"service.py": [('"unit": "C"}', '"unit": "K"}')]},
        stale=(Spot("service.py", "asyncio.create_task(collect())"),),
    ),
)

APP = App(
    name="asyncio_service",
    folder=Path(__file__).resolve().parents[1] / "programs" / "asyncio_service",
    command=("service.py",),
    probes=(
        Http("/health"),
        Http("/rates"),
        Http("/rates?percent"),
        Http("/window"),
        Http("/version"),
    ),
    edits=EDITS,
    settle=0.3,
)
