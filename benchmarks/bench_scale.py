"""Cost at scale: what a large application pays to run under splice (issue 22).

A generated application (``big_app.py``: 320 modules, about 38,000 lines,
plus FastAPI, Pydantic, Django and NumPy when installed) stands in for a real
one. Each section runs its subjects alternately in fresh processes, so every
ratio is within one run; ``--runs`` sets how many of each. Start-up and
``splice patch`` are timed with bytecode cached, as a normal install has it
(``PYTHONDONTWRITEBYTECODE`` is removed from the timed processes' environment
and one run warms the cache first).

- ``start``: ``python main.py`` against ``splice run main.py``: wall time,
  CPU, peak RSS, and the baselines splice keeps (all, and the user's own);
- ``listen``: ``splice.listen()`` in a fresh process: its CPU and wall time
  and how many modules it imports;
- ``recovery``: a process that imported 20,000 lines of the user's code
  (``bench_recovery.py``'s modules) before ``listen()``: the time spent
  judging them, the whole background pass, and the memory recovery holds
  afterwards (tracemalloc, in a second process), against the text's size;
- ``memory``: RSS before and after 500 patches of a 2,000-line module, and
  one patch's transient peak (tracemalloc);
- ``command``: ``splice patch FILE --kernel PID`` against the running big
  application, and ``python -c pass``;
- ``lsp``: a save of a 2,000-line file through ``splice lsp`` (pytest-lsp's
  client): ``didSave`` to the ``splice/status`` notification, median and p90,
  in steady state (once the server's reading of the runtime directory holds);
- ``attach``: ``splice attach`` on the big application against an empty target.

One save into N worker processes is ``bench_processes.py``.

    python benchmarks/bench_scale.py                    # every section, 5 runs each
    python benchmarks/bench_scale.py start command --runs 9
    python benchmarks/bench_scale.py --ci               # CI's cheap check: exits 1 on a regression

``--ci`` runs ``start`` and ``command`` and fails when ``splice run`` costs
more than 1.3x plain ``python``'s start-up CPU (``--cpu-bound``) or 1.12x its
peak RSS (``--rss-bound``), or ``splice patch`` more than 4.5x ``python -c
pass``'s CPU (``--patch-bound``): CPU rather than wall time, which a shared
machine makes swing. Measured here before issue 22: 1.20-1.23x, 1.19x and
8.0x; after: 1.05-1.21x (the same tree, run after run: start-up CPU swings
by 15% on this machine, so its bound only catches a gross regression), 1.03x
and 3.1x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from big_app import make_app, module_name  # noqa: E402
from generated_module import make_module  # noqa: E402

PYTHON = sys.executable


def _environment(runtime: Path | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if runtime is not None:
        env["SPLICE_RUNTIME_DIR"] = str(runtime)
    return env


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one process run to completion."""
    cpu = _child_cpu()
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, _child_cpu() - cpu, done.stdout


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.9 + 0.5) - 1)]


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


# start ---------------------------------------------------------------------------------


def start(folder: Path, runs: int) -> dict[str, Any]:
    env = _environment(folder / "runtime")
    subjects = {
        "python": [PYTHON, "main.py"],
        "splice run": [PYTHON, "-m", "splice", "run", "main.py"],
    }
    for command in subjects.values():
        _timed(command, folder, env)  # bytecode cached from here on
    samples: dict[str, list[tuple[float, float, dict[str, Any]]]] = {name: [] for name in subjects}
    for _ in range(runs):
        for name, command in subjects.items():
            wall, cpu, out = _timed(command, folder, env)
            samples[name].append((wall, cpu, json.loads(out.strip().splitlines()[-1])))
    rows = {}
    for name, values in samples.items():
        rows[name] = {
            "wall_ms": _median([wall * 1000 for wall, _, _ in values]),
            "cpu_ms": _median([cpu * 1000 for _, cpu, _ in values]),
            "rss_mib": _median([report["maxrss_kib"] / 1024 for _, _, report in values]),
            "modules": values[-1][2]["modules"],
            "baselines": values[-1][2]["baselines"],
        }
    plain, under = rows["python"], rows["splice run"]
    ratios = {
        "wall": under["wall_ms"] / plain["wall_ms"],
        "cpu": under["cpu_ms"] / plain["cpu_ms"],
        "rss": under["rss_mib"] / plain["rss_mib"],
    }
    for name, row in rows.items():
        kept = row["baselines"]
        text = (
            f", baselines {kept['modules']} modules {kept['characters'] / 1e6:.2f} M chars"
            f" (user {kept['user'] / 1e6:.2f} M)"
            if kept
            else ""
        )
        print(
            f"  {name:11} wall {row['wall_ms']:7.1f} ms  cpu {row['cpu_ms']:7.1f} ms"
            f"  rss {row['rss_mib']:6.1f} MiB  {row['modules']} modules{text}"
        )
    print(
        f"  splice run / python: wall {ratios['wall']:.3f}x  cpu {ratios['cpu']:.3f}x"
        f"  rss {ratios['rss']:.3f}x  (runs {runs}, {_load()})"
    )
    return {"rows": rows, "ratios": ratios, "runs": runs}


# listen --------------------------------------------------------------------------------

_LISTEN = """\
import json, sys, time
if "--in-app" in sys.argv:  # a worker of the big application: its imports are done
    sys.path.insert(0, ".")
    import importlib
    from big_app import REAL_IMPORTS
    for name in REAL_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    import bigapp
before = set(sys.modules)
imported = time.thread_time()
import splice
cpu, wall = time.thread_time(), time.perf_counter()
imported = cpu - imported
splice.listen()
cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
added = sorted(set(sys.modules) - before)
print(json.dumps({"cpu": cpu, "wall": wall, "import": imported, "modules": len(added),
                  "engine": sum(name.startswith("splice.engine.") for name in added)}))
"""


def listen(folder: Path, runs: int) -> dict[str, Any]:
    env = _environment(folder / "runtime")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    rows = {}
    for where, extra in (("fresh interpreter", []), ("big application", ["--in-app"])):
        command = [PYTHON, "-c", _LISTEN, *extra]
        _timed(command, folder, env)
        reports = [json.loads(_timed(command, folder, env)[2]) for _ in range(runs)]
        row = rows[where] = {
            "cpu_ms": _median([report["cpu"] * 1000 for report in reports]),
            # ``import splice`` as well: what a program that calls listen() pays in all.
            "with_import_cpu_ms": _median(
                [(report["cpu"] + report.get("import", 0.0)) * 1000 for report in reports]
            ),
            "wall_ms": _median([report["wall"] * 1000 for report in reports]),
            "modules": reports[-1]["modules"],
            "engine_modules": reports[-1]["engine"],
        }
        print(
            f"  listen() in a {where}: cpu {row['cpu_ms']:.1f} ms  wall {row['wall_ms']:.1f} ms"
            f"  (with import splice: cpu {row['with_import_cpu_ms']:.1f} ms)"
            f"  imports {row['modules']} modules ({row['engine_modules']} of the engine)"
            f"  (runs {runs}, {_load()})"
        )
    return {"rows": rows, "runs": runs}


# recovery ------------------------------------------------------------------------------

_RECOVERY = """\
import gc, json, sys, threading, time, tracemalloc
sys.path.insert(0, {folder!r})
names = {names!r}
for name in names:
    __import__(name)
text = sum(len(open(sys.modules[name].__file__).read()) for name in names)
import splice
# Loaded first, so that what is measured is what recovery keeps, not splice's own code.
import splice.engine.apply, splice.engine.baselines.recovery, splice.engine.baselines.verdict
import splice.engine.hooks.adapters
splice.engine.hooks.adapters.active_adapters()  # entry points: importlib.metadata, email...
import splice.agent.process, splice.agent.debug  # listen() loads debug, judging or not
try:
    import splice.engine.baselines.scope
    splice.engine.baselines.scope.foreign_roots()
except ImportError:  # before issue 22
    import splice.engine.baselines.process
    splice.engine.baselines.process._foreign_roots()
if {traced!r}:
    tracemalloc.start()
gc.collect()
held = tracemalloc.get_traced_memory()[0]
began = time.perf_counter()
splice.listen()
for thread in threading.enumerate():
    if thread.name == "splice-agent-baselines":
        thread.join()
elapsed = time.perf_counter() - began
gc.collect()
held = tracemalloc.get_traced_memory()[0] - held
from splice.engine.baselines import recovery, store
verdicts = [recovery.verdict_of(name) for name in names]
print(json.dumps({{"seconds": elapsed, "held": held, "text": text,
                  "judging": sum(verdict.duration_ms for verdict in verdicts if verdict) / 1000,
                  "lines": sum(verdict.lines for verdict in verdicts if verdict),
                  "verified": sum(store.has_baseline(name) for name in names),
                  "modules": len(names)}}))
"""


def recovery(folder: Path, runs: int) -> dict[str, Any]:
    # 20,000 lines of the user's code imported before listen(): ten modules of
    # functions with defaults, classes with properties, static and cached methods.
    from bench_recovery import make_source

    names = []
    for index in range(10):
        name = f"recovered_{index}"
        (folder / f"{name}.py").write_text(make_source(2_000))
        names.append(name)
    env = _environment(folder / "runtime")
    timed, traced = [], []
    for _ in range(runs):
        for flag, reports in ((False, timed), (True, traced)):
            script = _RECOVERY.format(folder=str(folder), names=names, traced=flag)
            reports.append(json.loads(_timed([PYTHON, "-c", script], folder, env)[2]))
    last = timed[-1]
    row = {
        "seconds": _median([report["seconds"] for report in timed]),
        "judging_seconds": _median([report["judging"] for report in timed]),
        "held_mb": _median([report["held"] / 1e6 for report in traced]),
        "text_mb": last["text"] / 1e6,
        "lines": last["lines"],
        "modules": last["modules"],
        "verified": last["verified"],
        "runs": runs,
    }
    row["held_per_text"] = row["held_mb"] / row["text_mb"]
    print(
        f"  recovery of {row['lines']:,} lines in {row['modules']} modules"
        f" ({row['verified']} verified): judging {row['judging_seconds'] * 1000:.0f} ms,"
        f" the whole pass {row['seconds'] * 1000:.0f} ms (it rests as long as it works);"
        f" held {row['held_mb']:.2f} MB for {row['text_mb']:.2f} MB of text"
        f" ({row['held_per_text']:.1f}x)  (runs {runs}, {_load()})"
    )
    return row


# memory --------------------------------------------------------------------------------

_MEMORY = """\
import gc, json, sys, tracemalloc
sys.path.insert(0, {folder!r})
sys.path.insert(0, {benchmarks!r})
from bench_patch import make_module
from splice.engine.baselines.store import watch_imports
watch_imports()
import bench_memory_module as module
import splice

def rss():
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * 4096 / 2**20

# Two edits each time: a line added near the top (every function below moves)
# and the function in the middle changed.
texts = [make_module(2000, 0, 0), make_module(2000, 0, 1).replace("RATE = 3\\n", "RATE = 3\\nEXTRA = 1\\n")]
gc.collect()
imported = rss()
splice.patch_module(module, texts[1])
splice.patch_module(module, texts[0])
gc.collect()
start = rss()
curve = []
for number in range({patches}):
    result = splice.patch_module(module, texts[number % 2 == 0])
    assert result.ok, result
    if number % 50 == 49:
        curve.append(round(rss(), 1))
gc.collect()
end = rss()
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
splice.patch_module(module, texts[1])
peak = tracemalloc.get_traced_memory()[1] - base
print(json.dumps({{"imported": imported, "start": start, "end": end, "curve": curve, "peak": peak}}))
"""


def memory(folder: Path, runs: int, patches: int = 500) -> dict[str, Any]:
    from bench_patch import make_module as make_patched_module

    (folder / "bench_memory_module.py").write_text(make_patched_module(2000, 0, 0))
    script = _MEMORY.format(
        folder=str(folder), benchmarks=str(Path(__file__).parent), patches=patches
    )
    env = _environment()
    reports = [json.loads(_timed([PYTHON, "-c", script], folder, env)[2]) for _ in range(runs)]
    row = {
        "imported_mib": _median([report["imported"] for report in reports]),
        "start_mib": _median([report["start"] for report in reports]),
        "end_mib": _median([report["end"] for report in reports]),
        "peak_mb": _median([report["peak"] / 1e6 for report in reports]),
        "curve": reports[-1]["curve"],
        "patches": patches,
        "runs": runs,
    }
    row["ratio"] = row["end_mib"] / row["start_mib"]
    print(
        f"  {patches} patches of a 2,000-line module: RSS {row['imported_mib']:.1f} at import,"
        f" {row['start_mib']:.1f} after the first patch ->"
        f" {row['end_mib']:.1f} MiB ({row['ratio']:.2f}x); one patch's peak"
        f" {row['peak_mb']:.1f} MB  (runs {runs}, {_load()})"
    )
    print(f"    RSS every 50 patches: {row['curve']}")
    return row


# command -------------------------------------------------------------------------------


def _start_kernel(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [PYTHON, "-m", "splice", "run", "main.py", "--serve"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the application did not start")
    runtime = Path(env["SPLICE_RUNTIME_DIR"])
    deadline = time.monotonic() + 30
    while not (runtime / f"kernel-{process.pid}.json").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the kernel wrote no connection file")
        time.sleep(0.02)
    return process, process.pid


def _stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def command(folder: Path, runs: int) -> dict[str, Any]:
    env = _environment(folder / "runtime")
    process, pid = _start_kernel(folder, env)
    target = folder / (module_name(0, 1).replace(".", "/") + ".py")
    original = target.read_text()
    try:
        patch = [PYTHON, "-m", "splice", "patch", str(target), "--kernel", str(pid)]
        subjects: dict[str, list[str]] = {"python -c pass": [PYTHON, "-c", "pass"], "patch": patch}
        _timed(patch, folder, env)  # bytecode cached
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        cpu: dict[str, list[float]] = {name: [] for name in subjects}
        for number in range(runs):
            target.write_text(original.replace("total -= 1", f"total -= {number + 2}", 1))
            for name, arguments in subjects.items():
                wall, used, out = _timed(arguments, folder, env)
                samples[name].append(wall * 1000)
                cpu[name].append(used * 1000)
                if name == "patch" and "patched" not in out:
                    raise RuntimeError(f"splice patch did not patch: {out}")
    finally:
        target.write_text(original)
        _stop(process)
    row = {
        name: {"wall_ms": _median(samples[name]), "cpu_ms": _median(cpu[name])} for name in subjects
    }
    ratio = row["patch"]["wall_ms"] / row["python -c pass"]["wall_ms"]
    cpu_ratio = row["patch"]["cpu_ms"] / row["python -c pass"]["cpu_ms"]
    print(
        f"  splice patch FILE: {row['patch']['wall_ms']:.1f} ms (cpu {row['patch']['cpu_ms']:.1f});"
        f" python -c pass {row['python -c pass']['wall_ms']:.1f} ms"
        f" (cpu {row['python -c pass']['cpu_ms']:.1f}); {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu"
        f"  (runs {runs}, {_load()})"
    )
    return {"rows": row, "ratio": ratio, "cpu_ratio": cpu_ratio, "runs": runs}


# lsp -----------------------------------------------------------------------------------


def lsp(folder: Path, runs: int) -> dict[str, Any]:
    import asyncio

    return asyncio.run(_lsp(folder, max(runs, 1) * 20))


async def _lsp(folder: Path, saves: int) -> dict[str, Any]:
    import asyncio

    from lsprotocol import types
    from pytest_lsp import make_test_lsp_client

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from kernel_support import running_kernel
    from splice.agent import directory_reading

    project = folder / "lsp"
    project.mkdir(exist_ok=True)
    runtime = project / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    path = project / "app.py"
    body = make_module(0)
    program = body + "\nimport time\nready = True\nwhile True:\n    time.sleep(0.05)\n"
    path.write_text(program)
    times: list[float] = []
    with running_kernel(project, "app.py", runtime_dir=str(runtime)) as kernel:
        while kernel.evaluate("'ready' in globals()") != "True":
            time.sleep(0.02)
        client = make_test_lsp_client()
        waiting: list[asyncio.Future[Any]] = []

        def on_status(params: Any) -> None:
            if waiting and not waiting[0].done():
                waiting[0].set_result(params)

        client.feature("splice/status")(on_status)
        env = dict(os.environ, SPLICE_RUNTIME_DIR=str(runtime))
        await client.start_io(PYTHON, "-m", "splice", "lsp", env=env)
        first = asyncio.get_running_loop().create_future()
        waiting.append(first)
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=project.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="p")],
            )
        )
        await asyncio.wait_for(first, 15)
        # Steady state, as when a user saves: the server's reading of the runtime
        # directory holds once the directory has not changed for SETTLE seconds.
        since_change = time.time() - runtime.stat().st_mtime
        await asyncio.sleep(max(0.0, directory_reading.SETTLE + 0.2 - since_change))
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=program
                )
            )
        )
        for number in range(saves + 3):
            text = program.replace("return 0\n", f"return {number + 1}\n", 1)
            path.write_text(text)
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uri, version=number + 2
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            future = asyncio.get_running_loop().create_future()
            waiting[:] = [future]
            began = time.perf_counter()
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri), text=text
                )
            )
            await asyncio.wait_for(future, 15)
            if number >= 3:  # the first saves warm the server up
                times.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.02)
        if kernel.evaluate("target()") != str(saves + 3):
            raise RuntimeError("the last save did not patch the kernel")
        await client.shutdown_session()
        await client.stop()
    row = {"median_ms": _median(times), "p90_ms": _p90(times), "saves": saves}
    print(
        f"  splice lsp, save -> status at {program.count(chr(10)):,} lines:"
        f" median {row['median_ms']:.2f} ms, p90 {row['p90_ms']:.2f} ms"
        f"  ({saves} saves, {_load()})"
    )
    return row


# attach --------------------------------------------------------------------------------


def attach(folder: Path, runs: int) -> dict[str, Any]:
    from splice.attach.attach import attach as attach_to

    env = _environment(folder / "runtime")
    (folder / "empty.py").write_text(
        "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.005)\n"
    )
    subjects = {"empty target": ["empty.py"], "big application": ["main.py", "--serve"]}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in subjects}
    for _ in range(runs):
        for name, arguments in subjects.items():
            process = subprocess.Popen(
                [PYTHON, *arguments], cwd=folder, env=env, stdout=subprocess.PIPE, text=True
            )
            try:
                assert process.stdout is not None
                assert process.stdout.readline().strip() == "ready"
                began = time.perf_counter()
                result = attach_to(process.pid, timeout=60.0)
                samples[name].append((time.perf_counter() - began, result.target_seconds))
            finally:
                _stop(process)  # type: ignore[arg-type]
    rows = {
        name: {
            "attach_ms": _median([whole * 1000 for whole, _ in values]),
            "target_ms": _median([held * 1000 for _, held in values]),
        }
        for name, values in samples.items()
    }
    ratio = rows["big application"]["attach_ms"] / rows["empty target"]["attach_ms"]
    for name, row in rows.items():
        print(
            f"  attach, {name:15}: {row['attach_ms']:7.0f} ms, target held {row['target_ms']:.1f} ms"
        )
    print(f"  big / empty: {ratio:.2f}x  (runs {runs}, {_load()})")
    return {"rows": rows, "ratio": ratio, "runs": runs}


SECTIONS: dict[str, Callable[[Path, int], dict[str, Any]]] = {
    "start": start,
    "listen": listen,
    "recovery": recovery,
    "memory": memory,
    "command": command,
    "lsp": lsp,
    "attach": attach,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=", ".join(SECTIONS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--generated-only", action="store_true", help="no real dependency tree")
    parser.add_argument("--ci", action="store_true", help="start and command; exit 1 on regression")
    parser.add_argument("--cpu-bound", type=float, default=1.3, help="--ci: splice run's CPU")
    parser.add_argument("--rss-bound", type=float, default=1.12, help="--ci: splice run's RSS")
    parser.add_argument(
        "--patch-bound", type=float, default=4.5, help="--ci: splice patch's CPU, x python -c pass"
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON at the end")
    options = parser.parse_args()
    sections = options.sections or list(SECTIONS)
    unknown = [section for section in sections if section not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}: choose from {', '.join(SECTIONS)}")
    real = not options.generated_only
    if options.ci:
        sections = ["start", "command"]
    results: dict[str, Any] = {"python": sys.version.split()[0], "load": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as directory:
        folder = Path(directory).resolve()
        (folder / "runtime").mkdir(mode=0o700)
        make_app(folder, real=real)
        for section in sections:
            print(f"{section}:", flush=True)
            results[section] = SECTIONS[section](folder, options.runs)
    if options.json:
        print(json.dumps(results, indent=1))
    if not options.ci:
        return 0
    failures = []
    ratios = results["start"]["ratios"]
    for key, bound in (("cpu", options.cpu_bound), ("rss", options.rss_bound)):
        if ratios[key] > bound:
            failures.append(f"splice run costs {ratios[key]:.2f}x python in {key} (bound {bound}x)")
    if results["command"]["cpu_ratio"] > options.patch_bound:
        failures.append(
            f"splice patch costs {results['command']['cpu_ratio']:.2f}x python -c pass in CPU"
        )
    for failure in failures:
        print(f"REGRESSION: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
