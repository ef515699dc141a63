"""Thousands of random and mutated frames; afterwards a valid patch still works."""

from __future__ import annotations

import json
import random
import time

from kernel_support import RawConnection
from splice.agent import wire

FRAMES = 3000
TIME_BUDGET = 40.0  # seconds; the test stops sending early rather than time out

METHODS = [
    "modules",
    "baseline",
    "patch",
    "runStatement",
    "evaluate",
    "initialize",
    "",
    "x" * 300,
    "$/cancel",
]
# Never "__main__": a random runStatement there could run the program's endless main loop.
MODULES = ["helper", "no_such_module", "", "helper.compute", "sys"]


def random_json(rng: random.Random, depth: int = 0):
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.randint(-(2**63), 2**63)
    if choice == 3:
        return rng.random() * 10 ** rng.randint(-5, 300)
    if choice in (4, 5):
        return "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF)]))
            for _ in range(rng.randint(0, 12))
        )
    if choice in (6, 7):
        return {random_key(rng): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def random_key(rng: random.Random) -> str:
    return rng.choice(
        ["module", "source", "only", "dryRun", "line", "expression", "token", "id", "x"]
    )


def random_message(rng: random.Random):
    message = {"jsonrpc": rng.choice(["2.0", "2.0", "2.0", "1.0", 2, None])}
    if rng.random() < 0.9:
        message["id"] = rng.choice([rng.randint(0, 1000), "abc", None, True, 1.5, [1]])
    if rng.random() < 0.95:
        message["method"] = rng.choice(METHODS) if rng.random() < 0.9 else random_json(rng)
    params = {
        "module": rng.choice(MODULES),
        "source": rng.choice(
            ["", "def compute(x):\n    return x *\n", "x = 1\n", random_json(rng)]
        ),
        "line": rng.choice([1, 0, -1, 10**9, "1", None]),
        "expression": rng.choice(["1", "(", "compute", "", random_json(rng)]),
        "only": rng.choice([None, [], ["compute"], "compute", [1]]),
        "dryRun": rng.choice([True, False, "no"]),
    }
    if rng.random() < 0.2:
        params = random_json(rng)
    message["params"] = params
    return message if rng.random() < 0.95 else random_json(rng)


def mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        if kind == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:
            del data[rng.randrange(len(data) + 1) :]
        elif kind == 2:
            data[rng.randrange(len(data) + 1) : 0] = bytes(
                rng.randrange(256) for _ in range(rng.randint(1, 8))
            )
        elif kind == 3:
            data = bytearray(b"Content-Length: %d\r\n\r\n" % rng.randint(0, 300_000)) + data
        else:
            data = data.replace(
                b"Content-Length", rng.choice([b"Content-Lenght", b"content-length", b""]), 1
            )
    return bytes(data)


def drain(raw: RawConnection, received: list[int]) -> bool:
    """Read whatever the kernel sent (counting replies); False once it closed the connection."""
    raw.sock.settimeout(0.002)
    try:
        while True:
            data = raw.sock.recv(65536)
            if not data:
                return False
            received[0] += data.count(b"Content-Length")
    except (TimeoutError, BlockingIOError):
        return True
    except OSError:
        return False


def test_fuzzed_frames_leave_the_agent_serving_and_patching(undisturbed):
    rng = random.Random(20261121)
    deadline = time.monotonic() + TIME_BUDGET
    sent = connections = 0
    received = [0]
    raw = None
    while sent < FRAMES and time.monotonic() < deadline:
        if raw is None:
            raw = RawConnection(undisturbed.info)
            connections += 1
            if rng.random() < 0.8:
                raw.authenticate(undisturbed.info.token)
        frame = wire.encode_frame(random_message(rng)) if rng.random() < 0.6 else b""
        if not frame or rng.random() < 0.5:
            frame = mutate(
                rng, frame or wire.encode_frame({"jsonrpc": "2.0", "id": 1, "method": "modules"})
            )
        try:
            raw.send_bytes(frame)
            alive = drain(raw, received)
        except OSError:
            alive = False
        sent += 1
        if not alive or rng.random() < 0.02:
            raw.close()
            raw = None
    if raw is not None:
        raw.close()
    assert sent >= 1000, f"only {sent} frames in {TIME_BUDGET} s"
    # The fuzz reached the agent's parser and handlers, not just closed sockets.
    assert received[0] >= 300 and connections >= 50, (sent, received[0], connections)

    new_source = (undisturbed.project / "helper.py").read_text().replace("x * 2", "x * 10")
    result = undisturbed.patch("helper", new_source)
    assert result.ok, result.errors
    assert undisturbed.evaluate("helper.compute(4)") == "40"
    assert json.loads(undisturbed.evaluate("calls > 0").lower()) is True
