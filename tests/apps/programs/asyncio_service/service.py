"""A small asyncio service: background tasks keep its state fresh, a tiny HTTP server shows it.

``python service.py`` serves on 127.0.0.1:$PORT.
"""

import asyncio
import json
import os

from rates import FORMATTERS, fetch_rates

REFRESH_SECONDS = 0.05
STATE = {"rates": {}, "beats": 0, "health": "starting", "window": []}


async def refresh_rates(ready):
    while True:
        STATE["rates"] = fetch_rates()
        ready.set()
        await asyncio.sleep(REFRESH_SECONDS)


async def heartbeat():
    while True:
        STATE["beats"] += 1
        STATE["health"] = "alive"
        await asyncio.sleep(REFRESH_SECONDS)


async def readings():
    value = 0
    while True:
        value += 1
        yield {"reading": value % 3, "unit": "C"}
        await asyncio.sleep(REFRESH_SECONDS)


async def collect():
    async for reading in readings():
        STATE["window"] = [reading["unit"]]


def show_rates(query):
    style = query or "plain"
    return {currency: FORMATTERS[style](rate) for currency, rate in STATE["rates"].items()}


def show_health(query):
    return {"health": STATE["health"], "beating": STATE["beats"] > 0}


def show_window(query):
    return {"window": STATE["window"]}


ROUTES = {"/rates": show_rates, "/health": show_health, "/window": show_window}


async def handle(reader, writer):
    request_line = (await reader.readline()).decode()
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    target = request_line.split(" ")[1] if request_line.count(" ") >= 2 else "/"
    path, _, query = target.partition("?")
    view = ROUTES.get(path)
    status, body = ("200 OK", view(query)) if view else ("404 Not Found", {"error": path})
    payload = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    writer.close()


async def main():
    ready = asyncio.Event()
    tasks = [
        asyncio.create_task(refresh_rates(ready)),
        asyncio.create_task(heartbeat()),
        asyncio.create_task(collect()),
    ]
    await ready.wait()
    await asyncio.sleep(2 * REFRESH_SECONDS)
    server = await asyncio.start_server(handle, "127.0.0.1", int(os.environ["PORT"]))
    async with server:
        await server.serve_forever()
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
