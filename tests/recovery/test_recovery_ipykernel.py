"""A real ipykernel where ``import mymod`` comes before ``%load_ext splice``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from recovery_support import (
    FIVE_EDITS_AFTER,
    FIVE_EDITS_BEFORE,
    FIVE_EDITS_CHECK,
    MYMOD,
    five_edits,
    settled,
    wait_until,
)

from kernel_support import kernel_env
from splice.agent import connection
from splice.client.blocking import BlockingKernelClient


@pytest.fixture
def late_extension(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Any, Path]]:
    """A kernel that imported mymod, then loaded splice; and the runtime directory.

    With ``@pytest.mark.edit_before_load(text)``, mymod.py holds ``text`` by the time
    the extension loads.
    """
    manager_module = pytest.importorskip("jupyter_client.manager")
    (tmp_path / "mymod.py").write_text(MYMOD)
    time.sleep(0.05)  # the kernel starts clearly after the file was written
    runtime = tmp_path / "rt"
    env = kernel_env(str(runtime)) | {"PYTHONPATH": str(tmp_path)}
    manager, client = manager_module.start_new_kernel(
        kernel_name="python3", env=env, cwd=str(tmp_path)
    )
    try:
        reply = client.execute_interactive("import mymod", timeout=30)
        assert reply["content"]["status"] == "ok", reply
        marker = request.node.get_closest_marker("edit_before_load")
        if marker is not None:
            (tmp_path / "mymod.py").write_text(marker.args[0])
        reply = client.execute_interactive("%load_ext splice", timeout=30)
        assert reply["content"]["status"] == "ok", reply
        yield client, runtime
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _in_kernel(client: Any, expression: str) -> str:
    outputs: list[dict[str, Any]] = []
    reply = client.execute_interactive(
        f"print(repr({expression}))", timeout=30, output_hook=outputs.append
    )
    assert reply["content"]["status"] == "ok", reply
    return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")


@pytest.mark.timeout(90)
def test_ipykernel_load_ext_after_import_then_five_edits_take_effect(
    late_extension: tuple[Any, Path], tmp_path: Path
) -> None:
    client, runtime = late_extension
    (info,) = connection.discover(str(runtime))
    with BlockingKernelClient(info) as splice_client:
        entry = wait_until(lambda: settled(splice_client.modules(), "mymod"), what="mymod")
        assert entry["baseline"] == "verified", entry
        assert _in_kernel(client, FIVE_EDITS_CHECK) == FIVE_EDITS_BEFORE + "\n"
        edited = five_edits(MYMOD)
        (tmp_path / "mymod.py").write_text(edited)

        result = splice_client.patch("mymod", edited)

    assert result.ok and not result.skipped, result.summary()
    assert _in_kernel(client, FIVE_EDITS_CHECK) == FIVE_EDITS_AFTER + "\n"


EDITED_BEFORE = MYMOD.replace('"old body"', '"edited before the extension"')


@pytest.mark.timeout(90)
@pytest.mark.edit_before_load(EDITED_BEFORE)
def test_ipykernel_module_edited_before_load_ext_differs_and_its_edit_applies(
    late_extension: tuple[Any, Path],
) -> None:
    client, runtime = late_extension
    (info,) = connection.discover(str(runtime))
    with BlockingKernelClient(info) as splice_client:
        entry = wait_until(lambda: settled(splice_client.modules(), "mymod"), what="mymod")
        assert entry["baseline"] == "differs", entry

        result = splice_client.patch("mymod", EDITED_BEFORE)

    assert result.ok and result.changed == ("body",), result.summary()
    assert _in_kernel(client, "mymod.body()") == "'edited before the extension'\n"
