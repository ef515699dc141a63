"""Saving a file patches every attached kernel that runs it, and says what happened."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session, errors, line_of

SKIPPED_STATEMENT = APP.replace("ready = True", 'greeting = "hi".upper()\nready = True')
REFUSED = APP.replace("class Cart(Base):", "class Cart(Other):").replace("x * 2", "x * 3")


async def test_save_patches_the_kernel(lsp: Session, start_kernel: KernelFactory) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    assert kernel.evaluate("total(5)") == "10"

    status = await lsp.save(APP.replace("x * 2", "x * 3"))

    assert kernel.evaluate("total(5)") == "15"
    assert status["lastPatch"]["ok"] is True


async def test_save_status_names_the_kernels_results(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()

    status = await lsp.save(APP.replace("x * 2", "x * 3"))

    last = status["lastPatch"]
    assert last["uri"] == lsp.uri()
    assert [item["pid"] for item in last["kernels"]] == [kernel.info.pid]
    assert "total changed" in last["kernels"][0]["summary"]
    assert last["patched"] == 1
    assert last["durationMs"] > 0


async def test_save_that_patched_shows_no_message_by_default(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()

    status = await lsp.save(APP.replace("x * 2", "x * 3"))

    assert kernel.evaluate("total(5)") == "15"
    assert status["lastPatch"]["summary"].startswith("patched app.py: total changed in ")
    assert lsp.client.messages == []


async def test_save_shows_one_short_message_when_asked_always(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize({"showNotifications": "always"})
    lsp.open()
    assert lsp.client.messages == []

    await lsp.save(APP.replace("x * 2", "x * 3"))

    [message] = lsp.client.messages
    assert message.message.startswith("splice: patched app.py: total changed in ")
    assert message.type == types.MessageType.Info


async def test_save_that_was_refused_shows_an_error_message(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()

    status = await lsp.save(REFUSED)

    assert status["lastPatch"]["ok"] is False
    [message] = lsp.client.messages
    assert message.type == types.MessageType.Error
    assert message.message.startswith("splice: ")


async def test_save_partly_applied_shows_a_warning_message(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()

    status = await lsp.save(SKIPPED_STATEMENT.replace("x * 2", "x * 3"))

    assert status["lastPatch"]["ok"] is True
    [message] = lsp.client.messages
    assert message.type == types.MessageType.Warning
    assert "1 statement skipped" in message.message


async def test_save_messages_off_shows_not_even_a_refusal(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize({"showNotifications": "off"})
    uri = lsp.open()

    await lsp.save(REFUSED)

    assert lsp.client.messages == []
    assert errors(lsp.client.diagnostics[uri])


async def test_save_logs_the_details(lsp: Session, start_kernel: KernelFactory) -> None:
    start_kernel()
    await lsp.initialize()
    lsp.open()

    await lsp.save(APP.replace("x * 2", "x * 3"))

    assert any("patched app.py: total changed" in m.message for m in lsp.client.log_messages)


async def test_save_puts_a_skipped_statement_on_its_line(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    assert lsp.client.diagnostics.get(uri, []) == []

    await lsp.save(SKIPPED_STATEMENT)

    [diagnostic] = lsp.client.diagnostics[uri]
    assert diagnostic.code == "statement-not-run"
    assert diagnostic.range.start.line == line_of(SKIPPED_STATEMENT, "greeting =")
    assert diagnostic.range.start.character == 0
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.code_description.href.endswith("edits.md#statement-not-run")
    assert diagnostic.source == "splice"


async def test_save_range_below_a_form_feed_line_ends_at_the_lines_end(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    # str.splitlines also breaks at a form feed; the client and the engine do not.
    with_form_feed = APP.replace("import time\n", "import time\n\x0c\n")
    (lsp.project / "app.py").write_text(with_form_feed)
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = with_form_feed.replace("ready = True", 'greeting = "hi".upper()\nready = True')

    await lsp.save(text)

    [diagnostic] = lsp.client.diagnostics[uri]
    line = text.split("\n").index('greeting = "hi".upper()')
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (line, 0)
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == (line, 23)


async def test_incremental_edit_below_a_form_feed_line_lands_on_its_line(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    with_form_feed = APP.replace("import time\n", "import time\n\x0c\n")
    (lsp.project / "app.py").write_text(with_form_feed)
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    line = with_form_feed.split("\n").index("    return x * 2")
    column = len("    return x * ")

    lsp.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=column),
                        end=types.Position(line=line, character=column + 1),
                    ),
                    text="3",
                )
            ],
        )
    )
    done = lsp.wait_status()
    # No text with the save: the server patches its own copy of the buffer.
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    status = await lsp.within(done)

    assert status["lastPatch"]["changed"] == ["total"]
    assert kernel.evaluate("total(5)") == "15"


async def test_save_status_carries_the_agreed_last_patch_fields(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()

    status = await lsp.save(SKIPPED_STATEMENT.replace("x * 2", "x * 3"))

    last = status["lastPatch"]
    assert set(last) == {
        *("uri", "ok", "summary", "durationMs", "patched", "changed", "added", "deleted"),
        *("rebound", "statementsSkipped", "warnings", "errors", "kernels"),
    }
    assert (last["changed"], last["added"], last["deleted"], last["rebound"]) == (
        ["total"],
        [],
        [],
        [],
    )
    assert last["statementsSkipped"] == [line_of(SKIPPED_STATEMENT, "greeting =") + 1]
    assert (last["ok"], last["patched"], last["warnings"], last["errors"]) == (True, 1, 0, 0)
    assert last["summary"] == status["message"]
    [entry] = last["kernels"]
    assert (entry["pid"], entry["program"], entry["ok"], entry["error"]) == (
        kernel.info.pid,
        "app.py",
        True,
        None,
    )
    assert entry["summary"].startswith("patched app.py: total changed, 1 statement skipped")


async def test_save_counts_columns_in_the_negotiated_encoding(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    text = APP.replace("ready = True", 'mark = "\U0001f600"; greeting = "hi".upper()\nready = True')

    await lsp.save(text)

    [diagnostic] = lsp.client.diagnostics[uri]
    assert diagnostic.code == "statement-not-run"
    prefix = 'mark = "\U0001f600"; '
    assert lsp.initialize_result is not None
    encoding = lsp.initialize_result.capabilities.position_encoding or "utf-16"
    units = {"utf-8": len(prefix.encode()), "utf-16": len(prefix) + 1, "utf-32": len(prefix)}
    assert diagnostic.range.start.character == units[encoding]


async def test_save_puts_a_refused_edit_on_its_definition(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()

    status = await lsp.save(REFUSED)

    [diagnostic] = errors(lsp.client.diagnostics[uri])
    assert diagnostic.code == "class-bases-changed"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range.start.line == line_of(REFUSED, "class Cart(Other)")
    assert diagnostic.range.end.line == line_of(REFUSED, "return len(self.items)")
    # All or nothing: the other change of that save was not applied either.
    assert kernel.evaluate("total(5)") == "10"
    assert status["lastPatch"]["ok"] is False


async def test_save_puts_a_held_back_change_on_its_definition(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()

    status = await lsp.save(REFUSED)

    [held] = [item for item in lsp.client.diagnostics[uri] if item.code == "held-back"]
    assert held.severity == types.DiagnosticSeverity.Warning
    assert held.range.start.line == line_of(REFUSED, "def total")
    assert status["lastPatch"]["warnings"] == 1


async def test_save_replaces_the_previous_diagnostics(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    await lsp.save(REFUSED)
    assert len(errors(lsp.client.diagnostics[uri])) == 1

    await lsp.save(APP.replace("x * 2", "x * 3"))

    assert list(lsp.client.diagnostics[uri]) == []


async def test_save_with_patch_on_save_off_leaves_the_kernel_alone(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"patchOnSave": False})
    uri = lsp.open()
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    # A request after the notification: the server has handled the save by then.
    await lsp.command("splice.listKernels")

    assert kernel.evaluate("total(5)") == "10"
    assert lsp.statuses[-1]["lastPatch"] is None


async def test_quick_saves_end_with_the_last_text(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    uri = lsp.open()
    for factor in (3, 4, 5):
        text = APP.replace("x * 2", f"x * {factor}")
        lsp.edit(text)
        lsp.client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri), text=text
            )
        )

    await lsp.wait_until(lambda: kernel.evaluate("total(1)") == "5")
    await asyncio.sleep(0.2)  # any straggling patch would have landed by now

    assert kernel.evaluate("total(1)") == "5"
    assert lsp.statuses[-1]["lastPatch"]["ok"] is True
    assert "x * 5" in kernel.request("baseline", {"module": "__main__"})["source"]


async def test_save_with_delete_removed_off_keeps_deleted_definitions(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize({"deleteRemoved": False})
    lsp.open()
    text = APP.replace("class Other:\n    pass\n", "").replace("x * 2", "x * 3")

    await lsp.save(text)

    assert kernel.evaluate("total(5)") == "15"
    assert kernel.evaluate("Other.__name__") == "'Other'"


async def test_save_with_delete_removed_deletes_them(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()

    await lsp.save(APP.replace("class Other:\n    pass\n", ""))

    assert kernel.evaluate("'Other' in globals()") == "False"
