"""Several files saved together through the language server: import order, and a retry."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from lsp_support import KernelFactory, Session, errors

HELPER = """\
def label():
    return "alpha"
"""

MAIN = """\
import time
from helper import label


def shown():
    return label()


ready = True
while True:
    time.sleep(0.02)
"""

# A rename in helper.py and its importer in app.py: app.py alone cannot apply.
RENAMED_HELPER = HELPER.replace("label", "title")
RENAMED_MAIN = MAIN.replace("label", "title")


def did_save(lsp: Session, name: str, text: str) -> None:
    (lsp.project / name).write_text(text)
    lsp.edit(text, name)
    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri(name)), text=text
        )
    )


def setup_project(project: Path) -> None:
    (project / "app.py").write_text(MAIN)
    (project / "helper.py").write_text(HELPER)


async def test_saves_arriving_together_are_patched_in_import_order(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    setup_project(lsp.project)
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open("app.py")
    lsp.open("helper.py")
    before = len(lsp.statuses)

    # "Save All": the importer first, as an editor may send it.
    did_save(lsp, "app.py", RENAMED_MAIN)
    did_save(lsp, "helper.py", RENAMED_HELPER)
    await lsp.wait_until(lambda: len(lsp.statuses) >= before + 2)

    patched = [status["lastPatch"] for status in lsp.statuses[before:]]
    assert [Path(item["uri"]).name for item in patched] == ["helper.py", "app.py"], patched
    assert all(item["ok"] for item in patched), patched
    assert kernel.evaluate("shown()") == "'alpha'"
    assert kernel.evaluate("title.__name__") == "'title'"
    assert errors(lsp.client.diagnostics.get(lsp.uri("app.py"), [])) == []


async def test_a_save_that_failed_on_an_import_is_retried_after_the_save_that_cures_it(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    setup_project(lsp.project)
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open("app.py")
    lsp.open("helper.py")

    failed = await lsp.save(RENAMED_MAIN, "app.py")
    assert failed["lastPatch"]["ok"] is False
    [error] = errors(lsp.client.diagnostics[lsp.uri("app.py")])
    assert error.code == "apply-failed" and "ImportError" in error.message
    before = len(lsp.statuses)

    did_save(lsp, "helper.py", RENAMED_HELPER)
    await lsp.wait_until(lambda: len(lsp.statuses) >= before + 2)

    patched = [status["lastPatch"] for status in lsp.statuses[before:]]
    assert [Path(item["uri"]).name for item in patched] == ["helper.py", "app.py"], patched
    assert all(item["ok"] for item in patched), patched
    assert kernel.evaluate("shown()") == "'alpha'"
    assert errors(lsp.client.diagnostics[lsp.uri("app.py")]) == []
