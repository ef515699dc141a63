"""Code actions work on the buffer as it is, saved or not, even when it does not parse."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session, errors, line_of

#: total changed, and a half-typed line elsewhere: the buffer does not parse.
BROKEN = APP.replace("x * 2", "x * 4").replace("ready = True", "ready = (\nready = True")


def titled(actions: list[Any], title: str) -> types.CodeAction:
    found = [action for action in actions if action.title == title]
    assert found, f"no {title!r} among {[action.title for action in actions]}"
    action = found[0]
    assert isinstance(action, types.CodeAction)
    return action


async def run(lsp: Session, action: types.CodeAction) -> Any:
    assert action.command is not None
    return await lsp.command(action.command.command, *(action.command.arguments or []))


async def test_reload_definition_patches_it_from_a_buffer_that_does_not_parse(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    lsp.edit(BROKEN)

    actions = await lsp.code_actions(line_of(BROKEN, "return x * 4"))
    result = await run(lsp, titled(actions, "Reload `total` in kernel"))

    assert kernel.evaluate("total(5)") == "20"
    assert result["ok"] is True


async def test_reload_definition_patches_only_that_definition(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    text = APP.replace("x * 2", "x * 4").replace("len(self.items)", "len(self.items) + 100")
    lsp.edit(text)

    actions = await lsp.code_actions(line_of(text, "def count"))
    await run(lsp, titled(actions, "Reload `Cart.count` in kernel"))

    assert kernel.evaluate("Cart().count()") == "102"
    assert kernel.evaluate("total(5)") == "10"


async def test_reload_file_applies_unsaved_changes(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    text = APP.replace("x * 2", "x * 4").replace("len(self.items)", "len(self.items) + 100")
    lsp.edit(text)

    actions = await lsp.code_actions(0, 0)
    await run(lsp, titled(actions, "Reload all changes in this file"))

    assert kernel.evaluate("total(5)") == "20"
    assert kernel.evaluate("Cart().count()") == "102"


async def test_run_statement_runs_a_skipped_statement(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = APP.replace("ready = True", 'greeting = "hi".upper()\nready = True')
    await lsp.save(text)
    [diagnostic] = lsp.client.diagnostics[uri]
    assert kernel.evaluate("'greeting' in globals()") == "False"

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic])
    cleared = lsp.wait_diagnostics()
    await run(lsp, titled(actions, "Run this statement in the kernel"))

    assert kernel.evaluate("greeting") == "'HI'"
    await lsp.within(cleared)
    assert list(lsp.client.diagnostics[uri]) == []


async def test_apply_others_patches_everything_but_the_refused_edit(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = APP.replace("class Cart(Base):", "class Cart(Other):").replace("x * 2", "x * 3")
    await lsp.save(text)
    # The other change is held back beside the refusal (a warning).
    [diagnostic] = errors(lsp.client.diagnostics[uri])

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic])
    await run(lsp, titled(actions, "Apply the other changes"))

    assert kernel.evaluate("total(5)") == "15"
    assert kernel.evaluate("Cart.__bases__[0].__name__") == "'Base'"


async def test_apply_others_works_on_unsaved_text(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = APP.replace("class Cart(Base):", "class Cart(Other):")
    await lsp.save(text)
    [diagnostic] = errors(lsp.client.diagnostics[uri])
    lsp.edit(text.replace("x * 2", "x * 7"))

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic])
    await run(lsp, titled(actions, "Apply the other changes"))

    assert kernel.evaluate("total(1)") == "7"


async def test_refused_edit_offers_the_way_out(lsp: Session, start_kernel: KernelFactory) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    await lsp.save(APP.replace("class Cart(Base):", "class Cart(Other):"))
    [diagnostic] = errors(lsp.client.diagnostics[uri])

    actions = await lsp.code_actions(diagnostic.range.start.line, 0, [diagnostic])
    explained = await run(lsp, titled(actions, "Why can't `Cart` be patched, and what now?"))

    assert "Apply the other changes" in explained
    assert "restart" in explained
    assert lsp.client.messages[-1].message == explained


async def test_reload_definition_puts_a_refusal_on_the_buffers_lines(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    # Lines added above move Cart down in the buffer, not in the text sent.
    text = "# one\n# two\n# three\n" + APP.replace("class Cart(Base):", "class Cart(Other):")
    lsp.edit(text)
    published = lsp.wait_diagnostics()

    actions = await lsp.code_actions(line_of(text, "class Cart"))
    result = await run(lsp, titled(actions, "Reload `Cart` in kernel"))

    await lsp.within(published)
    [diagnostic] = errors(lsp.client.diagnostics[uri])
    assert result["ok"] is False
    assert diagnostic.code == "class-bases-changed"
    assert diagnostic.range.start.line == line_of(text, "class Cart")


async def test_code_actions_respect_the_requested_kinds(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()

    async def only(kind: types.CodeActionKind) -> list[str]:
        position = types.Position(line=line_of(APP, "return x * 2"), character=4)
        result = await lsp.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=lsp.uri()),
                range=types.Range(start=position, end=position),
                context=types.CodeActionContext(diagnostics=[], only=[kind]),
            )
        )
        return [action.title for action in result or []]

    assert await only(types.CodeActionKind.QuickFix) == []
    assert await only(types.CodeActionKind.Refactor) == [
        "Reload `total` in kernel",
        "Reload all changes in this file",
    ]
