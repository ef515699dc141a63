"""Through a real kernel: busy threads never see a patch half applied.

The kernel (``splice run``) runs threads that call ``f0()``, the last function,
then ``f0()`` again, forever; every patch, sent over the socket, changes all
the functions to return a new, higher version. A commit changes ``f0`` no later
than the last function, so a thread that sees a version fall between two calls
saw a torn patch. ``benchmarks/bench_atomic.py`` runs the same for 1,000
patches (about 4 minutes here); this test runs 200 to stay near 30 s.
"""

from __future__ import annotations

from pathlib import Path

from kernel_support import running_kernel

FUNCTIONS = 300
THREADS = 4
PATCHES = 200


def numbered(version: int, functions: int = FUNCTIONS) -> str:
    return "\n\n".join(f"def f{index}():\n    return {version}\n" for index in range(functions))


def busy_program(threads: int = THREADS, functions: int = FUNCTIONS) -> str:
    """A program whose ``threads`` busy threads record every torn patch they see."""
    return f"""
import threading
import time

import funcs

torn = set()
checks = [0] * {threads}


def check(index):
    first, last = funcs.f0, funcs.f{functions - 1}
    count = 0
    while True:
        a = first()
        b = last()
        c = first()
        if a > b or b > c:
            torn.add(max(a, b, c))
        count += 1
        checks[index] = count


for index in range({threads}):
    threading.Thread(target=check, args=(index,), name=f"checker-{{index}}", daemon=True).start()
print("checking", flush=True)
while True:
    time.sleep(0.05)
"""


#: Assignments one by one, pausing half way until a checker notices: what the
#: checkers must catch (the statement runs in the kernel, on its agent thread).
TORN_SWAP = """
import time
fresh = {{}}
exec(compile({text!r}, funcs.__file__, "exec"), fresh)
for index in range({functions}):
    getattr(funcs, f"f{{index}}").__code__ = fresh[f"f{{index}}"].__code__
    if index == {functions} // 2:
        deadline = time.monotonic() + 5
        while {version} not in torn and time.monotonic() < deadline:
            time.sleep(0.001)
"""


def start(folder: Path) -> None:
    (folder / "funcs.py").write_text(numbered(0))
    (folder / "app.py").write_text(busy_program())


def test_atomic_kernel_busy_threads_never_see_a_half_applied_patch(tmp_path: Path) -> None:
    start(tmp_path)
    with running_kernel(tmp_path) as kernel, kernel.client(timeout=60) as client:
        kernel.wait_for_output("checking")
        for version in range(1, PATCHES + 1):
            result = client.patch("funcs", numbered(version))
            assert result.ok, result.errors
            assert len(result.changed) == FUNCTIONS
        assert int(client.evaluate("min(checks)")) > 0
        assert (
            client.evaluate(f"(funcs.f0(), funcs.f{FUNCTIONS - 1}())") == f"({PATCHES}, {PATCHES})"
        )
        assert client.evaluate("sorted(torn)") == "[]"


def test_atomic_kernel_checkers_catch_a_torn_swap(tmp_path: Path) -> None:
    start(tmp_path)
    with running_kernel(tmp_path) as kernel, kernel.client(timeout=60) as client:
        kernel.wait_for_output("checking")
        statement = TORN_SWAP.format(text=numbered(1), functions=FUNCTIONS, version=1)
        client.evaluate(f"exec({statement!r})")
        assert client.evaluate("sorted(torn)") == "[1]"
