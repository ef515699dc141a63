"""splice.undoPatch: the kernel goes back to what it ran before each save, in place, step by step."""

from __future__ import annotations

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session


async def test_undo_patch_steps_back_through_saves_keeping_identity(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    kernel.evaluate("globals().setdefault('original', total) and 1")
    await lsp.save(APP.replace("x * 2", "x * 3"))
    await lsp.save(APP.replace("x * 2", "x * 4"))
    assert kernel.evaluate("total(1)") == "4"

    first = await lsp.command("splice.undoPatch", lsp.uri())
    assert first["ok"] is True, first
    assert kernel.evaluate("total(1)") == "3"
    second = await lsp.command("splice.undoPatch", lsp.uri())
    assert second["ok"] is True, second

    assert kernel.evaluate("total(1)") == "2"
    assert kernel.evaluate("total is original") == "True"
    third = await lsp.command("splice.undoPatch", lsp.uri())
    assert third["ok"] is False
    assert "nothing to undo" in third["summary"]
    assert kernel.evaluate("total(1)") == "2"


async def test_undo_patch_marks_the_buffer_as_differing_from_what_runs(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()
    changed = APP.replace("x * 2", "x * 3")
    await lsp.save(changed)
    lenses = await lsp.client.text_document_code_lens_async(_lens_params(lsp))
    assert not any(
        "differs" in (lens.command.title if lens.command else "") for lens in lenses or []
    )

    await lsp.command("splice.undoPatch", lsp.uri())

    lenses = await lsp.client.text_document_code_lens_async(_lens_params(lsp))
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert any("differs" in title for title in titles), titles


def _lens_params(lsp: Session) -> types.CodeLensParams:
    return types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=lsp.uri()))
