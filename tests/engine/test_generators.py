"""Suspended generators and coroutines go on with their old code; new calls use the new."""

from __future__ import annotations

import asyncio

from engine.helpers import Live, ok

GENERATOR = """\
def numbers():
    yield 1
    yield 2
    yield 3
"""


def test_generator_suspended_continues_old_code(live: Live) -> None:
    module = live.load(GENERATOR)
    running = module.numbers()
    assert next(running) == 1
    ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20").replace("yield 3", "yield 30")))
    assert list(running) == [2, 3]


def test_generator_new_call_uses_new_code(live: Live) -> None:
    module = live.load(GENERATOR)
    running = module.numbers()
    next(running)
    ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20")))
    assert list(module.numbers()) == [1, 20, 3]


COROUTINE = """\
import asyncio

async def work(gate):
    await gate.wait()
    return "old"
"""


def test_coroutine_suspended_continues_old_code(live: Live) -> None:
    module = live.load(COROUTINE)

    async def scenario() -> tuple[str, str]:
        gate = asyncio.Event()
        task = asyncio.ensure_future(module.work(gate))
        await asyncio.sleep(0)
        ok(live.patch(module, COROUTINE.replace('"old"', '"new"')))
        gate.set()
        started_before = await task
        started_after = await module.work(gate)
        return started_before, started_after

    assert asyncio.run(scenario()) == ("old", "new")
