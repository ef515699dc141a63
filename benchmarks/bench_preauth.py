"""What an unauthenticated 4 KiB frame costs the kernel: the worst frame found, and its effect.

Any local user can send a kernel's loopback port a first frame of up to 4 KiB
before presenting a token; the agent checks it (UTF-8, nesting depth, JSON)
on a thread of the user's process, with the GIL held. Measured:

- per frame: ``wire.decode_body`` (what the agent runs on a first frame) on
  each candidate frame below, median of ``--repeats``; the worst is reported;
- the program: a ``splice run`` kernel whose main loop counts iterations of a
  1 ms pure-Python step, undisturbed, then while this process sends a
  trivial frame (``{}``: the cost of a connection itself, the control), then
  the worst frame, ``--rate`` times a second, each on a new connection.

    python benchmarks/bench_preauth.py              # about 15 s
    python benchmarks/bench_preauth.py --rate 50 --seconds 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from splice.agent import connection, wire
from splice.errors import ProtocolError

LIMIT = wire.HANDSHAKE_MAX_MESSAGE_SIZE


def candidates() -> dict[str, bytes]:
    """Frames of exactly 4 KiB that stress each step of the check."""
    frames = {
        "unterminated string of escaped quotes": b'["' + b'\\"' * LIMIT,
        "backslash runs": b'"' + b"\\" * LIMIT,
        "alternating quote and backslash": b'"\\' * LIMIT,
        "quotes only": b'"' * LIMIT,
        "opening brackets": b"[" * LIMIT,
        "64 deep, then strings": b"[" * 64 + b'"a",' * LIMIT,
        "many short strings": b'["' + b'a","' * LIMIT,
        "many small numbers": b"[" + b"1," * LIMIT,
        "many keys": b"{" + b"".join(b'"%d":0,' % index for index in range(LIMIT)),
        "non-ASCII text": b'"' + "é".encode() * LIMIT,
    }
    return {name: frame[:LIMIT] for name, frame in frames.items()}


def frame_cost(body: bytes, repeats: int) -> float:
    """Median seconds of the agent's check of one first frame."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        with contextlib.suppress(ProtocolError):
            wire.decode_body(body)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


PROGRAM = """\
import sys, time

def step():
    total = 0
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        total += 1
    return total

counting = open(sys.argv[1], "w")
while True:
    step()
    counting.write("x")
    counting.flush()
"""


def loop_rate(counter: Path, seconds: float) -> float:
    """Iterations a second of the program's loop over ``seconds``."""
    before = counter.stat().st_size
    time.sleep(seconds)
    return (counter.stat().st_size - before) / seconds


def hammer(info: connection.ConnectionInfo, body: bytes, rate: float, seconds: float) -> int:
    """Send ``body`` as a first frame ``rate`` times a second, each on a new connection."""
    host, _, port = info.address.rpartition(":")
    frame = b"Content-Length: %d\r\n\r\n" % len(body) + body
    sent = 0
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(frame)
            with contextlib.suppress(OSError):
                sock.recv(65536)  # the refusal: the agent has checked the frame
        sent += 1
        pause = began + sent / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return sent


def attacked_rate(
    counter: Path, info: connection.ConnectionInfo, body: bytes, rate: float, seconds: float
) -> tuple[float, float]:
    """The loop's iterations a second while ``body`` arrives, and the frames sent a second."""
    before = counter.stat().st_size
    began = time.monotonic()
    sent = hammer(info, body, rate, seconds)
    elapsed = time.monotonic() - began
    return (counter.stat().st_size - before) / elapsed, sent / elapsed


def program_under_attack(body: bytes, rate: float, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        runtime = directory / "runtime"
        runtime.mkdir(mode=0o700)
        (directory / "app.py").write_text(PROGRAM)
        counter = directory / "count"
        env = dict(os.environ, SPLICE_RUNTIME_DIR=str(runtime))
        process = subprocess.Popen(
            [sys.executable, "-m", "splice", "run", "--tcp", "app.py", str(counter)],
            cwd=directory,
            env=env,
        )
        try:
            path = connection.connection_path(process.pid, str(runtime))
            deadline = time.monotonic() + 30
            while not (os.path.exists(path) and counter.exists()):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the kernel did not start")
                time.sleep(0.05)
            info = connection.read(path)
            time.sleep(1.0)
            quiet = loop_rate(counter, seconds)
            control, _ = attacked_rate(counter, info, b"{}", rate, seconds)
            attacked, sent = attacked_rate(counter, info, body, rate, seconds)
            return {"quiet": quiet, "control": control, "attacked": attacked, "sent": sent}
        finally:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rate", type=float, default=12.0, help="hostile frames a second")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    costs = {name: frame_cost(body, options.repeats) for name, body in candidates().items()}
    worst = max(costs, key=costs.__getitem__)
    effect = program_under_attack(candidates()[worst], options.rate, options.seconds)
    if options.json:
        print(json.dumps({"frames": costs, "worst": worst, "program": effect}, indent=2))
        return
    print(f"{'frame (4 KiB, before authentication)':<42} {'check':>10}")
    for name, cost in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"{name:<42} {cost * 1000:>8.3f} ms")
    print(
        f"\nworst: {worst}, {costs[worst] * 1000:.3f} ms a frame\n"
        f"program loop: {effect['quiet']:.0f} iterations/s undisturbed, "
        f"{effect['control']:.0f}/s while sent {{}} frames, "
        f"{effect['attacked']:.0f}/s while sent the worst ({effect['sent']:.1f} frames/s)"
    )


if __name__ == "__main__":
    main()
