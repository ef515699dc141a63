"""Hover and completion with live values from a real kernel, beside jedi's static view."""

from __future__ import annotations

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session, line_of

LIVE_APP = APP.replace(
    "ready = True",
    "class Config:\n    lr = 0.001\n\n\ncfg = Config()\ncfg.layers = [16, 32]\n"
    "huge = 'x' * 10_000_000\nready = True",
)


async def hover(lsp: Session, text: str, needle: str, offset: int = 0) -> types.Hover | None:
    line = line_of(text, needle)
    character = text.splitlines()[line].index(needle) + offset
    return await lsp.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri()),
            position=types.Position(line=line, character=character),
        )
    )


def markdown(result: types.Hover | None) -> str:
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def start(lsp: Session, start_kernel: KernelFactory, text: str = LIVE_APP) -> None:
    (lsp.project / "app.py").write_text(text)
    start_kernel()
    await lsp.initialize()
    lsp.open()


async def test_hover_attribute_chain_shows_the_live_type_and_value(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    await start(lsp, start_kernel)
    text = LIVE_APP + "\nprint(cfg.layers)\n"
    lsp.edit(text)

    shown = markdown(await hover(lsp, text, "cfg.layers", offset=6))

    assert "cfg.layers: list" in shown
    assert "[16, 32]" in shown
    assert "live in pid" in shown


async def test_hover_shows_a_value_the_program_changed_since_it_started(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    await start(lsp, start_kernel)
    text = LIVE_APP + "\ncfg.lr = 0.25\n"
    lsp.edit(text)
    line = line_of(text, "cfg.lr = 0.25")
    result = await lsp.command("splice.evaluate", lsp.uri(), line, 0, line, 0)
    assert result["ok"], result

    shown = markdown(await hover(lsp, text, "cfg.lr = 0.25", offset=5))

    assert "0.25" in shown and "cfg.lr: float" in shown


async def test_hover_function_shows_signature_and_docstring(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    text = LIVE_APP.replace("def total(x):\n", 'def total(x):\n    """Twice x."""\n')
    await start(lsp, start_kernel, text)

    shown = markdown(await hover(lsp, text, "total(x)", offset=1))

    assert "total(x)" in shown and "Twice x." in shown


async def test_hover_huge_value_is_cut(lsp: Session, start_kernel: KernelFactory) -> None:
    await start(lsp, start_kernel)

    shown = markdown(await hover(lsp, LIVE_APP, "huge =", offset=1))

    assert "huge: str" in shown
    assert len(shown) < 3000
    assert "…" in shown


async def test_hover_without_a_kernel_is_skipped(lsp: Session) -> None:
    (lsp.project / "app.py").write_text(LIVE_APP)
    await lsp.initialize()
    lsp.open()

    assert await hover(lsp, LIVE_APP, "cfg = Config()") is None


async def test_hover_on_a_local_name_falls_back_to_jedi(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    text = LIVE_APP.replace("    return x * 2", "    doubled = len\n    return doubled(x)")
    await start(lsp, start_kernel, text)

    shown = markdown(await hover(lsp, text, "doubled(x)", offset=2))

    assert "len" in shown
    assert "live in" not in shown


async def completion(lsp: Session, text: str, before: str) -> list[types.CompletionItem]:
    line = line_of(text, before)
    character = text.splitlines()[line].index(before) + len(before)
    result = await lsp.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri()),
            position=types.Position(line=line, character=character),
        )
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


async def test_completion_after_a_dot_includes_live_attributes(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    await start(lsp, start_kernel)
    text = LIVE_APP + "\ncfg.la\n"
    lsp.edit(text)

    items = {item.label: item for item in await completion(lsp, text, "cfg.la")}

    # ``layers`` is set on the instance at run time: only the kernel knows it.
    assert "layers" in items
    assert items["layers"].detail is not None and items["layers"].detail.startswith("live value")


async def test_completion_merges_jedi_static_names(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    await start(lsp, start_kernel)
    text = LIVE_APP + "\ntime.sl\n"
    lsp.edit(text)

    labels = {item.label for item in await completion(lsp, text, "time.sl")}

    assert "sleep" in labels


async def test_completion_without_a_kernel_is_skipped(lsp: Session) -> None:
    (lsp.project / "app.py").write_text(LIVE_APP)
    await lsp.initialize()
    lsp.open()
    text = LIVE_APP + "\ncfg.\n"
    lsp.edit(text)
    line = line_of(text, "cfg.\n".strip())

    result = await lsp.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri()),
            position=types.Position(line=line, character=4),
        )
    )

    assert result is None
