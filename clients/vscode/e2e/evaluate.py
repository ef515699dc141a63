"""Ask a running splice kernel for a value: ``python evaluate.py TARGET EXPRESSION``.

TARGET is a pid or a connection file; the repr of the value goes to stdout.
The end-to-end test uses it to check the running program, not the editor.
"""

from __future__ import annotations

import asyncio
import sys

from splice.agent.connection import load
from splice.client.client import KernelClient


async def evaluate(target: str, expression: str) -> str:
    info = load(int(target) if target.isdigit() else target)
    client = await KernelClient.connect(info)
    try:
        return await client.evaluate(expression)
    finally:
        await client.close()


if __name__ == "__main__":
    print(asyncio.run(evaluate(sys.argv[1], sys.argv[2])))
