"""Evaluate code from the buffer in the kernel that runs the file ("Splice: Evaluate").

Each evaluation gets a connection of its own, so a long one never holds up
the patches, hovers and evaluations that use the kernel meanwhile; cancelling
(the editor's ``$/cancelRequest``) asks the kernel, over the main connection,
to interrupt it, and stops waiting at once.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import itertools
import os
import textwrap
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from splice.client.client import KernelClient
from splice.errors import RemoteError, SpliceError
from splice.lsp.kernels import Kernel, KernelRegistry

#: Characters of a value the kernel sends back: the full value, on hover.
MAX_REPR = 20_000
#: Characters of the value shown at the end of the line.
INLINE_LIMIT = 120

_ids = itertools.count(1)


@dataclass(frozen=True)
class Code:
    """What to evaluate, and the 0-based buffer line its result is shown at."""

    text: str
    statements: bool
    line: int


def code_in_range(text: str, start: int, end: int, start_line: int, end_line: int) -> Code | None:
    """The selected text (``text[start:end]``), dedented; None if it is blank."""
    selected = text[start:end]
    if not selected.strip():
        return None
    if end_line > start_line and selected.endswith("\n"):
        end_line -= 1
    return Code(textwrap.dedent(selected).strip("\n"), True, end_line)


def code_at_line(text: str, line: int) -> Code | None:
    """The statement at 0-based ``line``: the innermost simple one, or a top-level block's header.

    ``return x`` gives ``x``. Text that does not parse gives the line itself.
    """
    lines = text.splitlines()
    if not 0 <= line < len(lines) or not lines[line].strip():
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return Code(lines[line].strip(), True, line)
    number = line + 1
    chosen: ast.stmt | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or not node.lineno <= number <= (
            node.end_lineno or node.lineno
        ):
            continue
        compound = hasattr(node, "body")
        if compound and not (node.col_offset == 0 and node.lineno == number):
            continue  # inside a block: the statement at the line, not the whole block
        if chosen is None or node.lineno > chosen.lineno or compound:
            chosen = node
    if chosen is None:
        return Code(lines[line].strip(), True, line)
    last_line = (chosen.end_lineno or chosen.lineno) - 1
    if isinstance(chosen, ast.Return) and chosen.value is not None:
        segment = ast.get_source_segment(text, chosen.value) or ""
        return Code(segment, False, last_line)
    segment = "\n".join(lines[chosen.lineno - 1 : last_line + 1])
    return Code(textwrap.dedent(segment), True, last_line)


class KernelChoice:
    """Which kernel evaluates, hovers and completes when several run a file: the one picked last."""

    def __init__(self, registry: KernelRegistry) -> None:
        self.registry = registry
        self.picked: int | None = None

    def pick(self, path: str) -> tuple[Kernel, str, int] | None:
        """``(kernel, module, how many kernels run the file)`` or None when none does."""
        targets = self.registry.kernels_running(path)
        if not targets:
            return None
        chosen = next((item for item in targets if item[0].pid == self.picked), targets[-1])
        kernel, names = chosen
        module = "__main__" if "__main__" in names else names[0]
        return kernel, module, len(targets)


def _inline(value: str) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= INLINE_LIMIT else flat[: INLINE_LIMIT - 1] + "…"


async def evaluate(choice: KernelChoice, path: str, code: Code) -> dict[str, Any]:
    """Run ``code`` in the kernel picked for ``path``; the ``splice.evaluate`` answer."""
    answer: dict[str, Any] = {"line": code.line, "code": code.text, "kernel": None, "pid": None}
    found = choice.pick(path)
    if found is None:
        name = os.path.basename(path)
        message = (
            f"no kernel attached runs {name}: start it with Run Current File with Kernel "
            "(:SpliceRun), or attach to one"
        )
        return answer | {"ok": False, "error": message, "cancelled": False}
    kernel, module, count = found
    answer |= {"kernel": kernel.describe(), "pid": kernel.pid, "kernels": count, "module": module}
    evaluation_id = f"lsp-{os.getpid()}-{next(_ids)}"
    params = {
        "module": module,
        "expression": code.text,
        "statements": code.statements,
        "id": evaluation_id,
        "maxRepr": MAX_REPR,
    }
    try:
        connection = await KernelClient.connect(
            kernel.info, client_name="splice-lsp evaluate", timeout=5.0, request_timeout=None
        )
    except SpliceError as error:
        return answer | {"ok": False, "error": f"{kernel.describe()}: {error}", "cancelled": False}
    try:
        result = await connection.request("evaluate", params)
    except asyncio.CancelledError:
        with contextlib.suppress(SpliceError):
            await asyncio.shield(kernel.client.request("cancel", {"id": evaluation_id}, timeout=2))
        raise
    except RemoteError as error:
        return answer | _failure(error)
    except SpliceError as error:
        return answer | {"ok": False, "error": f"{kernel.describe()}: {error}", "cancelled": False}
    finally:
        await asyncio.shield(connection.close())
    value = result.get("value")
    return answer | {
        "ok": True,
        "cancelled": False,
        "value": value,
        "inline": _inline(value) if isinstance(value, str) else "✓",
        "type": result.get("type"),
        "truncated": bool(result.get("truncated")),
        "output": result.get("output") or "",
    }


class Evaluations:
    """The evaluations running now, so that ``splice.cancelEvaluation`` can stop them.

    pygls runs a command inside its own ``workspace/executeCommand`` handler,
    which a ``$/cancelRequest`` does not reach; clients cancel with the command.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[dict[str, Any]]] = set()

    async def run(self, choice: KernelChoice, path: str, code: Code) -> dict[str, Any]:
        task = asyncio.ensure_future(evaluate(choice, path, code))
        self._tasks.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # the server itself is going away
            return {
                "ok": False,
                "cancelled": True,
                "inline": "cancelled",
                "line": code.line,
                "code": code.text,
                "error": "evaluation cancelled",
            }
        finally:
            self._tasks.discard(task)

    def cancel(self) -> int:
        """Cancel every running evaluation; how many there were."""
        running = [task for task in self._tasks if not task.done()]
        for task in running:
            task.cancel()
        return len(running)


def _failure(error: RemoteError) -> dict[str, Any]:
    data = error.data if isinstance(error.data, dict) else {}
    cancelled = bool(data.get("cancelled"))
    exception = data.get("exception")
    message = str(error)
    if exception and message.startswith("evaluation raised "):
        message = message[len("evaluation raised ") :]
    return {
        "ok": False,
        "cancelled": cancelled,
        "error": message,
        "exception": exception,
        "inline": "cancelled" if cancelled else _inline(message),
        "traceback": data.get("traceback") or "",
        "output": data.get("output") or "",
    }


# LSP shapes -------------------------------------------------------------------------

#: The editors' own command behind the code action: it evaluates and shows the
#: result inline, which a server command run through executeCommand cannot.
CLIENT_COMMAND = "splice.evaluateInKernel"


def code_action(
    uri: str, selection: types.Range, context: types.CodeActionContext
) -> types.CodeAction | None:
    """ "Evaluate in kernel": for a selection, or the statement at the cursor when asked.

    Not offered on every move of the cursor: a light bulb on every line says nothing.
    """
    empty = selection.start == selection.end
    if empty and context.trigger_kind != types.CodeActionTriggerKind.Invoked:
        return None
    arguments = [
        uri,
        selection.start.line,
        selection.start.character,
        selection.end.line,
        selection.end.character,
    ]
    return types.CodeAction(
        title="Evaluate in kernel",
        kind=types.CodeActionKind.Empty,
        command=types.Command(
            title="Evaluate in kernel", command=CLIENT_COMMAND, arguments=arguments
        ),
    )


def code_for(
    document: TextDocument, line: int, character: int, end_line: int, end_character: int
) -> Code | None:
    """What ``splice.evaluate`` runs for that range of the client's document."""
    start = types.Position(line=line, character=character)
    end = types.Position(line=end_line, character=end_character)
    if (line, character) == (end_line, end_character):
        return code_at_line(document.source, line)
    if (end_line, end_character) < (line, character):
        start, end = end, start
    return code_in_range(
        document.source,
        document.offset_at_position(start),
        document.offset_at_position(end),
        start.line,
        end.line,
    )
