"""``patch`` with an ``edit`` instead of the whole text: applied only to exactly the text it was made for."""

from __future__ import annotations

import pytest

from kernel_support import running_kernel
from splice.agent.deltas import EditMismatch, apply_edit, digest, make_edit
from splice.errors import RemoteError

APP = """import time


def price(amount):
    return amount * 2


print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("abc", "abc"),
        ("", "def f():\n    pass\n"),
        ("def f():\n    return 1\n", "def f():\n    return 22\n"),
        ("x = 1\ny = 2\n", "y = 2\n"),
        ("é = 1\n", "é = 2\n\udcff"),
        ("aaaa", "aa"),
    ],
)
def test_make_edit_then_apply_edit_gives_the_new_text(old: str, new: str) -> None:
    edit = make_edit(old, new)
    assert apply_edit(old, edit) == new
    assert len(edit["text"]) <= len(new)


def test_apply_edit_refuses_another_baseline_and_a_forged_result() -> None:
    edit = make_edit("a = 1\n", "a = 2\n")
    with pytest.raises(EditMismatch, match="another text"):
        apply_edit("a = 3\n", edit)
    with pytest.raises(EditMismatch, match="no baseline"):
        apply_edit(None, edit)
    forged = dict(edit, text="9")
    with pytest.raises(EditMismatch, match="not the sender's"):
        apply_edit("a = 1\n", forged)
    with pytest.raises(EditMismatch, match="does not fit"):
        apply_edit("a = 1\n", dict(edit, prefix=100))


def test_patch_with_an_edit_applies_it_and_refuses_one_for_other_text(tmp_path) -> None:
    (tmp_path / "app.py").write_text(APP)
    new = APP.replace("amount * 2", "amount * 3")
    with running_kernel(tmp_path, ready="ready") as kernel, kernel.client() as client:
        stale = make_edit(APP.replace("amount * 2", "amount * 5"), new)
        with pytest.raises(RemoteError, match="another text than this process runs"):
            client.request("patch", {"module": "__main__", "edit": stale})
        assert kernel.evaluate("price(10)") == "20"
        result = client.request("patch", {"module": "__main__", "edit": make_edit(APP, new)})
        assert result["ok"] and result["changed"] == ["price"]
        assert kernel.evaluate("price(10)") == "30"
        assert client.baseline("__main__") == new
        assert digest(new) == make_edit(APP, new)["digest"]


async def test_client_patch_with_a_baseline_sends_the_edit_or_else_the_whole_text(tmp_path) -> None:
    from splice.client.client import KernelClient

    (tmp_path / "app.py").write_text(APP)
    three = APP.replace("amount * 2", "amount * 3")
    four = APP.replace("amount * 2", "amount * 4")
    with running_kernel(tmp_path, ready="ready") as kernel:
        client = await KernelClient.connect(kernel.info)
        try:
            result = await client.patch("__main__", three, baseline=APP)
            assert result.ok and result.changed == ("price",)
            assert kernel.evaluate("price(10)") == "30"
            # The client believes the kernel runs APP still: the edit is refused, the text sent.
            result = await client.patch("__main__", four, baseline=APP)
            assert result.ok and result.changed == ("price",)
            assert kernel.evaluate("price(10)") == "40"
        finally:
            await client.close()
