"""Patches from several threads are serialised: each applies whole against its baseline."""

from __future__ import annotations

import threading

import splice
from engine.helpers import Live
from splice.engine.baselines import store


def _source(version: int) -> str:
    # Each version deletes the previous one's extra function and adds its own,
    # so two patches planned against the same baseline would collide.
    functions = "".join(f"def f{index}():\n    return {version}\n\n" for index in range(20))
    return functions + f"def extra{version}():\n    return {version}\n"


def test_patch_concurrent_threads_all_apply_consistently(live: Live) -> None:
    module = live.load(_source(0))
    failures: list[object] = []

    def patcher(offset: int) -> None:
        for step in range(60):
            result = splice.patch_module(module, _source(offset + step))
            if not result.ok:
                failures.append(result.errors)

    threads = [threading.Thread(target=patcher, args=(offset,)) for offset in (1000, 2000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    final = {getattr(module, f"f{index}")() for index in range(20)}
    assert len(final) == 1
    version = final.pop()
    assert store.baseline_source(module.__name__) == _source(version)
    assert [name for name in vars(module) if name.startswith("extra")] == [f"extra{version}"]
