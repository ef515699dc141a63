"""splice.evaluate through a real language server into a real kernel: values, output, errors, cancelling."""

from __future__ import annotations

import asyncio
import time

from lsprotocol import types

from lsp_support import APP, KernelFactory, Session, line_of

EVAL_APP = APP.replace("ready = True", "big = list(range(1_000_000))\nready = True")


def write_app(lsp: Session, text: str = EVAL_APP) -> None:
    (lsp.project / "app.py").write_text(text)


async def evaluate(lsp: Session, line: int, character: int, end_line: int, end_character: int):
    return await lsp.command("splice.evaluate", lsp.uri(), line, character, end_line, end_character)


async def test_evaluate_selection_returns_value_and_names_the_kernel(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    lsp.edit(EVAL_APP + "\ntotal(21)\n")
    line = len(EVAL_APP.splitlines()) + 1

    result = await evaluate(lsp, line, 0, line, 9)

    assert result["ok"] is True
    assert (result["value"], result["type"], result["line"]) == ("42", "int", line)
    assert result["kernel"] == f"pid {kernel.info.pid} (app.py)"


async def test_evaluate_statement_at_the_cursor_captures_its_output(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    text = EVAL_APP + "\nprint('hello', total(2))\n"
    lsp.edit(text)
    line = line_of(text, "print('hello'")

    result = await evaluate(lsp, line, 3, line, 3)

    assert result["ok"] is True
    assert result["output"] == "hello 4\n"
    assert result["code"] == "print('hello', total(2))"
    assert "hello 4" not in kernel.stdout()


async def test_evaluate_return_line_inside_a_function_evaluates_its_expression(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    start_kernel()
    await lsp.initialize()
    lsp.open()
    line = line_of(EVAL_APP, "return len(self.items)")

    result = await evaluate(lsp, line, 8, line, 8)

    # In the module's namespace ``self`` is not defined: the error says so.
    assert result["ok"] is False
    assert result["code"] == "len(self.items)"
    assert result["exception"] == "NameError"
    assert "name 'self' is not defined" in result["error"]
    assert "len(self.items)" in result["traceback"]


async def test_evaluate_huge_value_comes_back_cut_with_a_short_inline_text(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    start_kernel()
    await lsp.initialize()
    lsp.open()
    lsp.edit(EVAL_APP + "\nbig\n")
    line = len(EVAL_APP.splitlines()) + 1

    result = await evaluate(lsp, line, 0, line, 0)

    assert result["truncated"] is True
    assert len(result["value"]) == 20_000
    assert len(result["inline"]) <= 120


async def test_evaluate_without_a_kernel_says_how_to_start_one(lsp: Session) -> None:
    await lsp.initialize()
    lsp.open()

    result = await evaluate(lsp, 0, 0, 0, 11)

    assert result["ok"] is False
    assert "no kernel attached runs app.py" in result["error"]


async def test_evaluate_cancelled_stops_the_kernel_loop_and_patches_meanwhile(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    kernel = start_kernel()
    await lsp.initialize()
    lsp.open()
    text = EVAL_APP + "\nwhile True: spins = globals().get('spins', 0) + 1\n"
    lsp.edit(text)
    line = line_of(text, "while True: spins")

    pending = asyncio.ensure_future(evaluate(lsp, line, 0, line, 0))
    await lsp.wait_until(lambda: kernel.evaluate("globals().get('spins', 0) > 0") == "True")
    status = await lsp.save(EVAL_APP.replace("x * 2", "x * 3") + "\nwhile True: spins = 1\n")
    assert kernel.evaluate("total(1)") == "3", status
    assert await lsp.command("splice.cancelEvaluation") == 1
    started = time.monotonic()

    def stopped() -> bool:
        before = kernel.evaluate("spins")
        time.sleep(0.2)
        return kernel.evaluate("spins") == before

    await lsp.wait_until(stopped)
    assert time.monotonic() - started < 5
    result = await asyncio.wait_for(pending, 5)
    assert (result["ok"], result["cancelled"], result["inline"]) == (False, True, "cancelled")


async def test_evaluate_code_action_is_offered_for_a_selection(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    start_kernel()
    await lsp.initialize()
    lsp.open()
    start = types.Position(line=0, character=0)
    end = types.Position(line=0, character=11)

    actions = await lsp.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=lsp.uri()),
            range=types.Range(start=start, end=end),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )

    titles = {action.title: action for action in actions or []}
    action = titles["Evaluate in kernel"]
    assert isinstance(action, types.CodeAction) and action.command is not None
    assert action.command.command == "splice.evaluateInKernel"
    assert list(action.command.arguments or ()) == [lsp.uri(), 0, 0, 0, 11]


async def test_evaluate_with_two_kernels_uses_the_one_picked_last_and_says_which(
    lsp: Session, start_kernel: KernelFactory
) -> None:
    write_app(lsp)
    first = start_kernel()
    second = start_kernel()
    await lsp.initialize()
    lsp.open()
    await lsp.wait_until(
        lambda: sum(1 for status in lsp.statuses for k in status["kernels"] if k["attached"]) >= 2
    )
    text = EVAL_APP + "\n__import__('os').getpid()\n"
    lsp.edit(text)
    line = len(EVAL_APP.splitlines()) + 1

    await lsp.command("splice.selectKernel", first.info.pid)
    to_first = await evaluate(lsp, line, 0, line, 0)
    await lsp.command("splice.selectKernel", second.info.pid)
    to_second = await evaluate(lsp, line, 0, line, 0)

    assert (to_first["value"], to_first["pid"], to_first["kernels"]) == (
        str(first.info.pid),
        first.info.pid,
        2,
    )
    assert (to_second["value"], to_second["kernel"]) == (
        str(second.info.pid),
        f"pid {second.info.pid} (app.py)",
    )
