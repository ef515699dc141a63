"""A patch frees what it allocated when it returns, without waiting for the cyclic collector.

The engine pauses the collector while it patches; anything a patch leaves in
a reference cycle (its plan, the frames it looked at) then waits for a
collection, and a process that patches often grows by tens of megabytes
(docs/benchmarks.md, "Cost at scale").
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from engine.helpers import Live
from splice.engine import apply
from splice.engine.result import PatchResult


def _source(version: int, extra: int) -> str:
    header = "RATE = 3\n" + "".join(f"EXTRA_{index} = {index}\n" for index in range(extra))
    functions = "".join(f"def f{index}(x):\n    return x + {index}\n\n" for index in range(30))
    return header + functions + f"def target():\n    return {version}\n"


@contextmanager
def _plans_alive_after() -> Iterator[list[object]]:
    """Patch with the collector off; yield the plans still alive once the patches returned."""
    planned: list[weakref.ref[object]] = []
    original = apply.build_plan

    def remember(*args: object, **options: object) -> object:
        plan = original(*args, **options)  # type: ignore[arg-type]
        planned.append(weakref.ref(plan))
        return plan

    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    apply.build_plan = remember  # type: ignore[assignment]
    alive: list[object] = []
    try:
        yield alive
        # Checked before the collector is back: it would free any cycle at once.
        alive.extend(plan for reference in planned if (plan := reference()) is not None)
    finally:
        apply.build_plan = original
        if collecting:
            gc.enable()


def test_patch_frees_its_plan_without_a_collection(live: Live) -> None:
    module = live.load(_source(0, 0))
    results: list[PatchResult] = []
    with _plans_alive_after() as alive:
        # Lines move (every function's position) and a function changes.
        results.append(apply.patch_module(module, _source(1, 2)))
    assert results[0].ok and results[0].changed == ("target",)
    assert module.target() == 1
    assert alive == []


def test_patch_changed_function_frees_its_plan_without_a_collection(live: Live) -> None:
    # The running-frames check looks at every thread's frames, this one's included.
    module = live.load(_source(0, 0))
    results: list[PatchResult] = []
    with _plans_alive_after() as alive:
        results.append(apply.patch_module(module, _source(0, 0).replace("x + 3\n", "x + 33\n")))
    assert results[0].ok and results[0].changed == ("f3",)
    assert module.f3(0) == 33
    assert alive == []
