"""Coroutines, tasks and generators suspended in old code are named (``function-suspended``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from engine.helpers import Live, codes, ok

GENERATOR = """\
def numbers():
    yield 1
    yield 2
"""

WORKER = """\
import asyncio

TICKS = []


async def worker():
    while True:
        TICKS.append("old")
        await asyncio.sleep(0.01)
"""

STREAM = """\
import asyncio


async def stream():
    for value in range(1000):
        yield value
        await asyncio.sleep(0.01)
"""


def _suspended(result: object) -> list[object]:
    return [f for f in result.skipped if f.code == "function-suspended"]  # type: ignore[attr-defined]


def test_suspended_generator_is_named(live: Live) -> None:
    module = live.load(GENERATOR)
    held = module.numbers()
    next(held)
    result = ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20")))
    [finding] = _suspended(result)
    assert finding.qualname == "numbers" and finding.line == 1  # type: ignore[attr-defined]
    assert "suspended" in finding.message  # type: ignore[attr-defined]
    assert list(held) == [2]


def test_generator_created_but_not_started_is_named(live: Live) -> None:
    module = live.load(GENERATOR)
    held = module.numbers()
    [finding] = _suspended(ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20"))))
    assert "not started" in finding.message  # type: ignore[attr-defined]
    del held


def test_finished_generator_is_not_named(live: Live) -> None:
    module = live.load(GENERATOR)
    held = module.numbers()
    list(held)
    assert _suspended(ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20")))) == []


def test_generator_suspended_before_an_earlier_patch_is_named_again(live: Live) -> None:
    module = live.load(GENERATOR)
    held = module.numbers()
    next(held)
    ok(live.patch(module, GENERATOR.replace("yield 2", "yield 20")))
    [finding] = _suspended(ok(live.patch(module, GENERATOR.replace("yield 2", "yield 200"))))
    assert finding.qualname == "numbers"  # type: ignore[attr-defined]
    del held


def test_patch_of_a_plain_function_looks_for_nothing_suspended(live: Live) -> None:
    module = live.load(GENERATOR + "\ndef plain():\n    return 1\n")
    held = module.numbers()
    next(held)
    result = ok(live.patch(module, GENERATOR + "\ndef plain():\n    return 2\n"))
    assert codes(result.skipped) == []
    del held


def test_background_task_sleeping_in_a_loop_is_named_with_its_task(live: Live) -> None:
    module = live.load(WORKER)

    async def scenario() -> list[object]:
        task = asyncio.create_task(module.worker(), name="heartbeat")
        await asyncio.sleep(0.03)
        result = ok(live.patch(module, WORKER.replace('"old"', '"new"')))
        task.cancel()
        return _suspended(result)

    [finding] = asyncio.run(scenario())
    assert finding.qualname == "worker" and finding.line == 6  # type: ignore[attr-defined]
    assert "'heartbeat'" in finding.message  # type: ignore[attr-defined]
    assert "cancel the task" in finding.message  # type: ignore[attr-defined]


def test_task_of_a_loop_in_another_thread_is_named(live: Live) -> None:
    module = live.load(WORKER)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        async def main() -> None:
            task = asyncio.create_task(module.worker(), name="background")
            started.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        loop.run_until_complete(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    try:
        result = ok(live.patch(module, WORKER.replace('"old"', '"new"')))
        names = [f.message for f in _suspended(result)]  # type: ignore[attr-defined]
    finally:
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(5)
        loop.close()
    assert len(names) == 1 and "'background'" in names[0]


def test_async_generator_iterated_by_a_task_is_named(live: Live) -> None:
    module = live.load(STREAM)

    async def scenario() -> list[object]:
        async def consume() -> None:
            async for _ in module.stream():
                pass

        task = asyncio.create_task(consume(), name="consumer")
        await asyncio.sleep(0.03)
        result = ok(live.patch(module, STREAM.replace("range(1000)", "range(2000)")))
        task.cancel()
        return _suspended(result)

    [finding] = asyncio.run(scenario())
    assert finding.qualname == "stream"  # type: ignore[attr-defined]
    assert "'consumer'" in finding.message  # type: ignore[attr-defined]
