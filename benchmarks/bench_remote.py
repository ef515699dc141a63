"""Edit-to-live latency of a patch sent to another process, at 200, 2,000 and 20,000 lines.

A kernel (``python -m splice run``) imports a generated module; for each size
this measures, as medians over repeats:

- in-process: read the file + ``splice.patch_module`` in this process (the floor
  for any remote path, measured on the same module);
- client: read the file + ``KernelClient.patch`` over one persistent, already
  authenticated connection (what the language server does on save);
- command: ``splice patch FILE --kernel PID`` as a new process (interpreter
  start-up, discovery, handshake and patch).

Each timed patch changes one function in the middle of the file; an
``evaluate`` afterwards (not timed) checks the new code is live.
The target at 2,000 lines: client <= 2 x in-process + 5 ms.

    python benchmarks/bench_remote.py            # about half a minute
    python benchmarks/bench_remote.py --quick
    python benchmarks/bench_remote.py --hostile 64   # patches while 64 connections trickle

With ``--hostile N``, N threads each hold an unauthenticated connection that
sends a byte a second and reconnect whenever the kernel drops it; the
benchmark then sends 44 patches, each on a new authenticated connection (what
``splice patch`` does), and reports how many got through and how long they took.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_patch  # noqa: E402  (the module generator is shared)

import splice  # noqa: E402
from splice.agent import connection  # noqa: E402
from splice.client.client import KernelClient  # noqa: E402
from splice.engine.baselines.store import watch_imports  # noqa: E402

SIZES = (200, 2_000, 20_000)
HOST = "import time\n{imports}\nwhile True:\n    time.sleep(0.05)\n"


def start_kernel(folder: Path, runtime_dir: str) -> subprocess.Popen[bytes]:
    imports = "\n".join(f"import remote_{lines}" for lines in SIZES)
    (folder / "host.py").write_text(HOST.format(imports=imports))
    env = dict(os.environ, SPLICE_RUNTIME_DIR=runtime_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "splice", "run", "host.py"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def wait_for(process: subprocess.Popen[bytes], runtime_dir: str) -> connection.ConnectionInfo:
    path = connection.connection_path(process.pid, runtime_dir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return connection.read(path)
        if process.poll() is not None:
            raise SystemExit(f"the kernel exited with {process.returncode}")
        time.sleep(0.01)
    raise SystemExit("the kernel did not start")


def in_process(lines: int, repeats: int, folder: Path) -> list[float]:
    name = f"local_{lines}"
    path = folder / f"{name}.py"
    path.write_text(bench_patch.make_module(lines, 0.0, marker=1))
    module = importlib.import_module(name)
    samples = []
    for marker in range(2, repeats + 2):
        path.write_text(bench_patch.make_module(lines, 0.0, marker))
        started = time.perf_counter()
        result = splice.patch_module(module, path.read_text())
        samples.append(time.perf_counter() - started)
        assert result.ok and result.changed == ("target",), result
    return samples


async def remote(client: KernelClient, lines: int, repeats: int, folder: Path) -> list[float]:
    name = f"remote_{lines}"
    path = folder / f"{name}.py"
    samples = []
    for marker in range(2, repeats + 2):
        path.write_text(bench_patch.make_module(lines, 0.0, marker))
        started = time.perf_counter()
        result = await client.patch(name, path.read_text())
        samples.append(time.perf_counter() - started)
        assert result.ok and result.changed == ("target",), result
        assert await client.evaluate(f"{name}.target([1])", module="__main__") == str(3 + marker)
    return samples


def command(
    info: connection.ConnectionInfo, lines: int, repeats: int, folder: Path, marker: int
) -> list[float]:
    path = folder / f"remote_{lines}.py"
    env = dict(os.environ, SPLICE_RUNTIME_DIR=os.path.dirname(info.path))
    samples = []
    for offset in range(repeats):
        path.write_text(bench_patch.make_module(lines, 0.0, marker + offset))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "splice", "patch", str(path), "--kernel", str(info.pid)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        samples.append(time.perf_counter() - started)
    return samples


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def run(repeats: int) -> list[dict[str, float]]:
    watch_imports()
    folder = Path(tempfile.mkdtemp(prefix="splice-bench-remote-"))
    runtime_dir = tempfile.mkdtemp(prefix="splice-bench-rt-")
    sys.path.insert(0, str(folder))
    for lines in SIZES:
        (folder / f"remote_{lines}.py").write_text(bench_patch.make_module(lines, 0.0, marker=1))
    process = start_kernel(folder, runtime_dir)
    try:
        info = wait_for(process, runtime_dir)
        client = await KernelClient.connect(info, client_name="bench_remote")
        rows = []
        try:
            round_trips = []
            for _ in range(200):
                started = time.perf_counter()
                await client.evaluate("0")
                round_trips.append(time.perf_counter() - started)
            print(f"round trip of an empty request: {ms(round_trips):.3f} ms (median of 200)")
            for lines in SIZES:
                local = ms(in_process(lines, repeats, folder))
                persistent = ms(await remote(client, lines, repeats, folder))
                cli = ms(command(info, lines, max(3, repeats // 3), folder, marker=repeats + 10))
                rows.append(
                    {
                        "lines": lines,
                        "in_process_ms": local,
                        "client_ms": persistent,
                        "overhead_ms": persistent - local,
                        "target_ms": 2 * local + 5,
                        "command_ms": cli,
                    }
                )
        finally:
            await client.close()
    finally:
        process.terminate()
        process.wait(10)
    return rows


def _trickle(
    info: connection.ConnectionInfo, stop: threading.Event, connected: threading.Semaphore
) -> None:
    from splice.client.blocking import open_socket

    first = True
    while not stop.is_set():
        try:
            sock = open_socket(info)
        except Exception:
            time.sleep(0.01)
            continue
        if first:
            connected.release()
            first = False
        with sock:
            sock.settimeout(1)
            try:
                while not stop.is_set():
                    sock.sendall(b"C")
                    try:
                        if not sock.recv(4096):
                            break  # dropped: come back at once
                    except TimeoutError:
                        pass
            except OSError:
                pass


async def hostile(connections: int, patches: int = 44) -> dict[str, float]:
    watch_imports()
    folder = Path(tempfile.mkdtemp(prefix="splice-bench-remote-"))
    runtime_dir = tempfile.mkdtemp(prefix="splice-bench-rt-")
    for lines in SIZES:
        # Small modules whatever their names: the kernel starts at once.
        (folder / f"remote_{lines}.py").write_text(bench_patch.make_module(200, 0.0, marker=1))
    process = start_kernel(folder, runtime_dir)
    stop = threading.Event()
    connected = threading.Semaphore(0)
    try:
        info = wait_for(process, runtime_dir)
        threads = [
            threading.Thread(target=_trickle, args=(info, stop, connected), daemon=True)
            for _ in range(connections)
        ]
        for thread in threads:
            thread.start()
        for _ in range(connections):
            connected.acquire(timeout=30)
        await asyncio.sleep(1)  # and the kernel has accepted them
        through, latencies = 0, []
        started = time.perf_counter()
        for marker in range(patches):
            begun = time.perf_counter()
            try:
                client = await KernelClient.connect(info, client_name="bench_remote")
            except Exception as error:
                print(f"refused: {error}")
                continue
            try:
                source = bench_patch.make_module(200, 0.0, marker=marker + 2)
                if (await client.patch("remote_200", source)).ok:
                    through += 1
                    latencies.append(time.perf_counter() - begun)
            finally:
                await client.close()
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        process.terminate()
        process.wait(10)
    return {
        "connections": connections,
        "patches": patches,
        "through": through,
        "seconds": elapsed,
        "median_ms": ms(latencies) if latencies else float("nan"),
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--hostile",
        type=int,
        metavar="N",
        help="instead: patches while N unauthenticated connections trickle bytes",
    )
    options = parser.parse_args()
    if options.hostile:
        figures = asyncio.run(hostile(options.hostile))
        if options.json:
            print(json.dumps(figures, indent=2))
        else:
            print(
                f"{figures['through']} of {figures['patches']} patches through "
                f"{figures['connections']} trickling connections in {figures['seconds']:.1f} s "
                f"(median {figures['median_ms']:.0f} ms, max {figures['max_ms']:.0f} ms each)"
            )
        return
    repeats = 7 if options.quick else 21
    rows = asyncio.run(run(repeats))
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores, medians of {repeats} repeats\n"
    )
    print(
        "| lines | in-process | persistent client | overhead | target (2x + 5 ms) | splice patch |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['lines']:,} | {row['in_process_ms']:.2f} ms | {row['client_ms']:.2f} ms "
            f"| {row['overhead_ms']:+.2f} ms | {row['target_ms']:.2f} ms | {row['command_ms']:.0f} ms |"
        )


if __name__ == "__main__":
    main()
