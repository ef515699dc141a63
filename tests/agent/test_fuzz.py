"""Ten thousand random, mutated and hostile frames; afterwards a valid patch still works.

Hostile frames are what an attacker without the token would try: deep
nesting, lone surrogates, HTTP requests, duplicate keys, oversized or
repeated headers. Several connections send at once, from threads.
"""

from __future__ import annotations

import collections
import json
import random
import threading
import time

from kernel_support import RawConnection
from splice.agent import wire

FRAMES = 10_000
WORKERS = 4
TIME_BUDGET = 90.0  # seconds; a guard under the 120 s test timeout (the run takes about 6 s here)

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


def hostile_frame(rng: random.Random, token: str) -> tuple[str, bytes]:
    """One frame of a named hostile kind."""
    kind = rng.choice(
        ["deep", "surrogate", "http", "duplicate", "long-header", "repeated-header", "bad-utf8"]
    )
    if kind == "deep":
        depth = rng.choice([65, 200, 5_000, 5_000, 100_000])
        opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
        inner = opener * depth + (closer * depth if rng.random() < 0.5 else b"")
        if rng.random() < 0.5:
            body = (
                b'{"jsonrpc":"2.0","id":1,"method":"evaluate","params":{"expression":%s}}' % inner
            )
        else:
            body = inner
        return kind, b"Content-Length: %d\r\n\r\n" % len(body) + body
    if kind == "surrogate":
        where = rng.choice(["id", "method", "module", "key", "expression"])
        lone = rng.choice([b"\\ud800", b"\\udfff", b"\\udce9", b"\\ud83d"])
        fields = {"id": b"1", "method": b'"modules"', "module": b'"helper"', "key": b'"x"'}
        fields["expression"] = b"\"'%s'\"" % lone
        if where == "key":
            fields["key"] = b'"%s"' % lone
        elif where == "id":
            fields["id"] = b'"%s"' % lone
        elif where == "method":
            fields["method"] = b'"%s"' % lone
        elif where == "module":
            fields["module"] = b'"%s"' % lone
        method = b'"evaluate"' if where == "expression" else fields["method"]
        body = (
            b'{"jsonrpc":"2.0","id":%s,"method":%s,"params":{"module":%s,%s:1,"expression":%s}}'
            % (fields["id"], method, fields["module"], fields["key"], fields["expression"])
        )
        return kind, b"Content-Length: %d\r\n\r\n" % len(body) + body
    if kind == "http":
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"token": token}}
        ).encode()
        return kind, rng.choice(
            [
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                b"POST http://127.0.0.1/ HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
                b"OPTIONS / HTTP/1.1\r\nOrigin: http://example.com\r\n"
                b"Access-Control-Request-Method: POST\r\n\r\n",
                b"Host: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            ]
        )
    if kind == "duplicate":
        body = rng.choice(
            [
                b'{"jsonrpc":"2.0","id":1,"method":"initialize",'
                b'"params":{"token":"bad","token":"%s"}}' % token.encode(),
                b'{"jsonrpc":"2.0","id":1,"id":2,"method":"modules"}',
                b'{"jsonrpc":"2.0","id":3,"method":"evaluate","method":"modules","params":{}}',
                b'{"jsonrpc":"2.0","id":4,"method":"patch",'
                b'"params":{"module":"helper","source":"","source":"x = 1\\n"}}',
            ]
        )
        return kind, b"Content-Length: %d\r\n\r\n" % len(body) + body
    if kind == "long-header":
        return kind, rng.choice(
            [
                b"Content-Length: 2\r\nContent-Type: "
                + b"a" * rng.randint(4_000, 9_000)
                + b"\r\n\r\n{}",
                b"X" * rng.randint(4_100, 20_000),
                b"Content-Length: " + b"9" * rng.randint(13, 40) + b"\r\n\r\n{}",
            ]
        )
    if kind == "repeated-header":
        body = b'{"jsonrpc":"2.0","id":1,"method":"modules"}'
        return kind, b"Content-Length: 3\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    body = b'{"jsonrpc":"2.0","id":1,"method":"' + bytes([0xED, 0xA0, 0x80, 0xFF]) + b'"}'
    return kind, b"Content-Length: %d\r\n\r\n" % len(body) + body


def random_frame(rng: random.Random, token: str) -> tuple[str, bytes]:
    if rng.random() < 0.4:
        return hostile_frame(rng, token)
    frame = wire.encode_frame(random_message(rng)) if rng.random() < 0.6 else b""
    if not frame or rng.random() < 0.5:
        frame = mutate(
            rng, frame or wire.encode_frame({"jsonrpc": "2.0", "id": 1, "method": "modules"})
        )
        return "mutated", frame
    return "random", frame


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


class Fuzzer:
    """One sender on connections of its own; counts what it sent and what came back."""

    def __init__(self, kernel, seed: int, frames: int, deadline: float) -> None:
        self.kernel = kernel
        self.rng = random.Random(seed)
        self.frames = frames
        self.deadline = deadline
        self.sent = self.connections = 0
        self.received = [0]
        self.kinds: collections.Counter[str] = collections.Counter()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._send_all()
        except BaseException as error:  # reported by the test, not lost in the thread
            self.failure = error

    def _send_all(self) -> None:
        rng, info = self.rng, self.kernel.info
        raw = None
        while self.sent < self.frames and time.monotonic() < self.deadline:
            if raw is None:
                raw = RawConnection(info)
                self.connections += 1
                if rng.random() < 0.7:
                    raw.authenticate(info.token)
            kind, frame = random_frame(rng, info.token)
            try:
                raw.send_bytes(frame)
                alive = drain(raw, self.received)
            except OSError:
                alive = False
            self.sent += 1
            self.kinds[kind] += 1
            if not alive or rng.random() < 0.02:
                raw.close()
                raw = None
        if raw is not None:
            raw.close()


def test_fuzzed_frames_leave_the_agent_serving_and_patching(undisturbed):
    deadline = time.monotonic() + TIME_BUDGET
    fuzzers = [
        Fuzzer(undisturbed, 20261121 + index, FRAMES // WORKERS, deadline)
        for index in range(WORKERS)
    ]
    threads = [threading.Thread(target=fuzzer.run) for fuzzer in fuzzers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for fuzzer in fuzzers:
        assert fuzzer.failure is None, fuzzer.failure
    sent = sum(fuzzer.sent for fuzzer in fuzzers)
    received = sum(fuzzer.received[0] for fuzzer in fuzzers)
    connections = sum(fuzzer.connections for fuzzer in fuzzers)
    kinds = sum((fuzzer.kinds for fuzzer in fuzzers), collections.Counter())
    assert sent == FRAMES, f"only {sent} frames in {elapsed:.0f} s"
    # The fuzz reached the agent's parser and handlers, not just closed sockets.
    assert received >= 1000 and connections >= 200, (received, connections)
    assert min(kinds.values()) >= 100 and len(kinds) == 9, kinds

    new_source = (undisturbed.project / "helper.py").read_text().replace("x * 2", "x * 10")
    result = undisturbed.patch("helper", new_source)
    assert result.ok, result.errors
    assert undisturbed.evaluate("helper.compute(4)") == "40"
    assert json.loads(undisturbed.evaluate("calls > 0").lower()) is True
