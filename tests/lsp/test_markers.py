"""Live markers: a code lens per definition says whether the kernel runs this code."""

from __future__ import annotations

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session, line_of


async def lenses(lsp: Session) -> dict[int, str]:
    """0-based line -> the lens title there."""
    result = await lsp.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=lsp.uri()))
    )
    return {lens.range.start.line: lens.command.title for lens in result or []}


async def test_markers_say_live_for_the_code_the_kernel_runs(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()

    found = await lenses(lsp)

    assert found[line_of(APP, "def total")] == "live"
    assert found[line_of(APP, "def count")] == "live"
    assert set(found.values()) == {"live"}


async def test_markers_say_differs_for_an_unsaved_edit(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()
    text = APP.replace("x * 2", "x * 3").replace("ready = True", "ready = (\nready = True")
    lsp.edit(text)

    found = await lenses(lsp)

    assert found[line_of(text, "def total")] == "differs from kernel: reload"
    assert found[line_of(text, "def count")] == "live"


async def test_markers_ignore_comments_and_layout(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()
    text = APP.replace("    return x * 2", "    # doubled\n    return x*2")
    lsp.edit(text)

    found = await lenses(lsp)

    assert found[line_of(text, "def total")] == "live"


async def test_markers_turn_live_after_a_reload(lsp: Session, start_kernel: KernelFactory) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()
    text = APP.replace("x * 2", "x * 3")
    lsp.edit(text)
    assert (await lenses(lsp))[line_of(text, "def total")].startswith("differs")

    await lsp.command("splice.reloadDefinition", lsp.uri(), line_of(text, "x * 3"), 4)

    assert (await lenses(lsp))[line_of(text, "def total")] == "live"


async def test_markers_can_be_turned_off(lsp: Session, start_kernel: KernelFactory) -> None:
    start_kernel()
    await lsp.initialize({"liveMarkers": False})
    lsp.open()

    assert await lenses(lsp) == {}


async def test_markers_absent_when_no_kernel_runs_the_file(lsp: Session) -> None:
    await lsp.initialize()
    lsp.open()

    assert await lenses(lsp) == {}
