"""examples/shop under ``splice run --watch``: a rate changed in pricing.py is live in app.py.

app.py did ``from pricing import VAT_RATE``: its copy is rebound with the name.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_shop_vat_rate_saved_in_pricing_is_live_in_app(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    shutil.copytree(EXAMPLE, folder)
    # Tick every 0.1 s instead of 2 s: the same program, a faster test.
    app = folder / "app.py"
    app.write_text(app.read_text().replace("TICK_SECONDS = 2.0", "TICK_SECONDS = 0.1"))
    env = {**os.environ, "SPLICE_RUNTIME_DIR": str(tmp_path / "runtime")}
    process = subprocess.Popen(
        [sys.executable, "-m", "splice", "run", "--watch", "app.py"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []
    pumps = [
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True),  # type: ignore[union-attr]
        threading.Thread(
            target=lambda: [errors.append(line) for line in process.stderr], daemon=True
        ),  # type: ignore[union-attr]
    ]
    for pump in pumps:
        pump.start()

    def wait_for(fragment: str) -> str:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if fragment in line:
                return line
        raise AssertionError(f"never printed {fragment!r}; stderr: {errors}")

    try:
        wait_for("total 15.84")  # 13.2 with 20% VAT
        time.sleep(0.3)  # the watcher's first look records the files as they are
        pricing = folder / "pricing.py"
        pricing.write_text(pricing.read_text().replace("VAT_RATE = 0.2", "VAT_RATE = 0.1"))
        stamp = time.time() + 1
        os.utime(pricing, (stamp, stamp))
        wait_for("total 14.52")  # 13.2 with 10% VAT: what a fresh start prints
    finally:
        process.kill()
        process.wait()
        for pump in pumps:
            pump.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert any("patched pricing.py" in line for line in errors), errors
