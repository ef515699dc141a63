"""The agent's JSON-RPC methods, after the handshake: validate params, call the engine.

Each handler takes the request's params (a dict) and returns a JSON value, or
raises ``MethodError`` with a code from ``splice.errors.RPC_CODES``. User code
that a request runs (a new decorator, a statement, an expression) may raise
anything, ``SystemExit`` and ``KeyboardInterrupt`` included: that is the
user's result to report, never a reason to end the connection or the process.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from splice.agent.importing import wait_for_import
from splice.agent.requests import (
    MethodError,
    Runner,
    UserCodeRaised,
    contained,
    deadline_of,
    holding_patch_lock,
    run_here,
)
from splice.errors import DeadlinePassed, UnknownModuleError
from splice.logs import get_logger

if TYPE_CHECKING:
    from splice.engine.result import PatchResult

logger = get_logger(__name__)


def _string(params: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = params.get(name, default)
    if not isinstance(value, str):
        raise MethodError("invalid_params", f"'{name}' must be a string")
    return value


def _optional_string(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise MethodError("invalid_params", f"'{name}' must be a string or null")
    return value


def _module(name: str) -> types.ModuleType:
    module = sys.modules.get(name)
    if not isinstance(module, types.ModuleType):
        raise MethodError("unknown_module", f"module {name!r} is not loaded in this process")
    return module


def list_modules(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    from splice.engine.baselines import store

    wanted = _optional_string(params, "file")
    entries = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType):
            continue
        try:
            if wanted is not None and not _may_run(module, wanted):
                continue
            path = store.source_path(module)
        except Exception:  # a module with a hostile __getattr__ must not break the listing
            continue
        if wanted is not None and path != wanted:
            continue
        if path:
            entries.append(
                {"name": name, "file": path, "hasBaseline": store.has_baseline(name)}
                | _baseline_origin(name)
            )
    entries.sort(key=lambda entry: str(entry["name"]))
    return {"modules": entries}


def _may_run(module: types.ModuleType, path: str) -> bool:
    """Whether ``module`` may run the file at real path ``path``, without resolving its path.

    A big program has a thousand modules; only one with the same file name, or
    whose file is a symbolic link, can be that file.
    """
    name = os.path.basename(path)
    for origin in (
        getattr(getattr(module, "__spec__", None), "origin", None),
        getattr(module, "__file__", None),
    ):
        if isinstance(origin, str) and (os.path.basename(origin) == name or os.path.islink(origin)):
            return True
    return False


def _baseline_origin(name: str) -> dict[str, Any]:
    """How the module's baseline was established (docs/protocol.md, "modules").

    ``import``: recorded as it was imported (or by the host); ``verified``: its
    file, checked against the live objects when the agent started; ``patched``:
    set by a patch of a module that had none; ``differs`` / ``unconfirmed``: no
    baseline, the file was not what runs / could not be shown to be;
    ``pending``: not checked yet; ``none``: not checked (outside the user's
    modules) until a request needs it.
    """
    from splice.engine.baselines import recovery, store

    verdict = recovery.verdict_of(name)
    if store.has_baseline(name):
        if verdict is None:
            return {"baseline": "import"}
        origin = "verified" if verdict.verified else "patched"
    elif verdict is not None:
        origin = verdict.state
    else:
        return {"baseline": "pending" if recovery.is_pending(name) else "none"}
    return {"baseline": origin, "baselineReason": verdict.reason}


def _recover(name: str) -> None:
    """A module imported before the agent gets its verdict before a request uses its baseline."""
    from splice.engine.baselines import recovery

    try:
        recovery.ensure_verified(name)
    except Exception:  # a bug in recovery must not cost the patch: it then has no baseline
        logger.debug("baseline recovery of %s failed", name, exc_info=True)


def get_baseline(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    from splice.engine.baselines import store

    name = _string(params, "module")
    module = _module(name)
    _recover(name)
    return {
        "module": name,
        "file": store.source_path(module),
        "source": store.baseline_source(name),
    }


def _only(params: dict[str, Any]) -> tuple[str, ...] | None:
    only = params.get("only")
    if only is None:
        return None
    if not isinstance(only, list) or not all(isinstance(item, str) for item in only):
        raise MethodError("invalid_params", "'only' must be a list of qualnames")
    return tuple(only)


def _engine_call(
    params: dict[str, Any],
    run: Runner,
    work: Callable[[], Any],
    name: str,
    code: str,
    line: int | None = None,
) -> dict[str, Any]:
    deadline = deadline_of(params)
    try:
        result = run(lambda: holding_patch_lock(deadline, work))
    except UnknownModuleError as error:
        raise MethodError("unknown_module", str(error)) from None
    except DeadlinePassed as error:
        raise MethodError("expired", str(error)) from None
    except (TypeError, ValueError) as error:
        raise MethodError("invalid_params", str(error)) from None
    except UserCodeRaised as raised:
        # The engine undid what it had done, then let SystemExit and the like through.
        result = escaped_result(name, raised.error, code, line)
    data: dict[str, Any] = result.to_dict()
    return data


def escaped_result(
    name: str, error: BaseException, code: str, line: int | None = None
) -> PatchResult:
    """A failed result for user code that raised past the engine (``SystemExit``, ...)."""
    from splice.engine.baselines.store import source_path
    from splice.engine.result import Finding, PatchResult

    module = sys.modules.get(name)
    file = source_path(module) if isinstance(module, types.ModuleType) else None
    raised = f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__
    subject = "the statement" if code == "statement-failed" else "running the patch"
    finding = Finding(code, f"{subject} raised {raised}", line=_raising_line(error, file) or line)
    return PatchResult(ok=False, module=name, file=file, errors=(finding,))


def _raising_line(error: BaseException, file: str | None) -> int | None:
    """The last line of ``file`` that the exception's traceback went through."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if file is not None and traceback.tb_frame.f_code.co_filename == file:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def patch(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    from splice.engine.apply import patch_module

    name = _string(params, "module")
    edit = params.get("edit")
    source = _string(params, "source") if edit is None else ""
    only = _only(params)
    dry_run = _flag(params, "dryRun", False)
    delete_removed = _flag(params, "deleteRemoved", True)
    still_importing = wait_for_import(_module(name))
    _recover(name)
    if edit is not None:
        source = _edited(name, edit)
    result = _engine_call(
        params,
        run,
        lambda: patch_module(
            name,
            source,
            only,
            dry_run=dry_run,
            delete_removed=delete_removed,
            deadline=deadline_of(params),
        ),
        name,
        "apply-failed",
    )
    if still_importing is not None and result.get("ok"):
        result["skipped"] = [*result.get("skipped", ()), still_importing]
    return result


def _edited(name: str, edit: Any) -> str:
    """The text an ``edit`` (agent/deltas.py) makes of the module's baseline."""
    from splice.agent import deltas
    from splice.engine.baselines import store

    try:
        return deltas.apply_edit(store.baseline_source(name), edit)
    except deltas.EditMismatch as error:
        raise MethodError("invalid_params", f"{error}; send the whole text") from None


def _flag(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise MethodError("invalid_params", f"'{name}' must be a boolean")
    return value


def run_statement(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    from splice.engine.apply import run_statement as run_line

    name = _string(params, "module")
    line = params.get("line")
    if not isinstance(line, int) or isinstance(line, bool) or line < 1:
        raise MethodError("invalid_params", "'line' must be a positive integer (1-based)")
    source = _optional_string(params, "source")
    wait_for_import(_module(name))
    _recover(name)
    return _engine_call(
        params,
        run,
        lambda: run_line(name, line, source),
        name,
        "statement-failed",
        line,
    )


#: Characters of a value's text sent back by default (``maxRepr``): far below
#: a reply's limit, so a huge object costs the kernel and the editor little.
DEFAULT_MAX_REPR = 1_000_000


def _limit(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise MethodError("invalid_params", f"'{name}' must be a positive integer")
    return value


def evaluate(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    """Run an expression (or, with ``statements``, a block) in a module's namespace."""
    from splice.agent import evaluation

    name = _string(params, "module", default="__main__")
    expression = _string(params, "expression")
    statements = _flag(params, "statements", False)
    evaluation_id = _optional_string(params, "id")
    limit = _limit(params, "maxRepr", DEFAULT_MAX_REPR)
    namespace = _module(name).__dict__
    kind = "valid Python" if statements else "an expression"
    try:
        body, last = evaluation.compile_input(expression, statements)
    except SyntaxError as error:
        raise MethodError("invalid_params", f"not {kind}: {error.msg}") from None
    except UnicodeEncodeError as error:
        character = expression[error.start] if error.start < len(expression) else ""
        raise MethodError(
            "invalid_params",
            f"not {kind}: it holds a lone surrogate ({character!r}) at character {error.start},"
            " which no Python source can hold",
        ) from None
    except ValueError as error:  # a null byte, on 3.10
        raise MethodError("invalid_params", f"not {kind}: {error}") from None
    guard = evaluation.Interruptible()
    printed: list[str] = []

    def work() -> dict[str, Any]:
        with evaluation.captured_output() as output:
            try:
                with guard.running():
                    if body is not None:
                        exec(body, namespace)
                    value = eval(last, namespace) if last is not None else None
                if last is None:
                    return {
                        "value": None,
                        "type": None,
                        "truncated": False,
                        "output": output.text(),
                    }
                shown = evaluation.bounded_repr(value, limit, guard)
            except Exception as error:
                raise evaluation.Raised(error, output.text()) from None
            finally:
                printed.append(output.text())  # for a BaseException, which passes through
        return {
            "value": shown.text,
            "type": shown.type_name,
            "truncated": shown.truncated,
            "output": output.text(),
        }

    with contextlib.ExitStack() as registration:
        try:
            registration.enter_context(evaluation.registered(evaluation_id, guard))
        except ValueError as error:  # the id is taken
            raise MethodError("invalid_params", str(error)) from None
        try:
            result: dict[str, Any] = run(work)
        except evaluation.Raised as raised:
            raise _raised_error(raised.error, raised.output) from None
        except UserCodeRaised as raised:  # SystemExit, KeyboardInterrupt, a cancel
            raise _raised_error(raised.error, "".join(printed[-1:])) from None
    result.setdefault("output", "")
    return result


def _raised_error(error: BaseException, output: str) -> MethodError:
    from splice.agent import evaluation

    if isinstance(error, evaluation.EvaluationCancelled):
        return MethodError(
            "server_error",
            "evaluation cancelled",
            {"exception": "EvaluationCancelled", "cancelled": True, "output": output},
        )
    return MethodError(
        "server_error",
        f"evaluation raised {error.__class__.__name__}: {error}",
        {
            "exception": error.__class__.__name__,
            "traceback": evaluation.format_traceback(error),
            "output": output,
        },
    )


def cancel(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    """Interrupt a running evaluation by its ``id``; runs on the caller's thread, at once."""
    from splice.agent import evaluation

    return {"cancelled": evaluation.cancel(_string(params, "id"))}


_CHAIN = re.compile(r"[^\W\d]\w*(\.[^\W\d]\w*)*")


def inspect_name(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    """A module-level name or attribute chain's live type and text, without running the program.

    Runs on the connection's thread, not the host's loop (a hover must not wait
    for a cell); the one user code it runs, ``repr``, goes through ``contained``.
    """
    from splice.agent import evaluation, inspection

    name = _string(params, "module", default="__main__")
    expression = _string(params, "expression")
    if not _CHAIN.fullmatch(expression):
        raise MethodError("invalid_params", "'expression' must be a name or a dotted chain")
    limit = _limit(params, "maxRepr", 2000)
    attributes = _flag(params, "attributes", False)
    namespace = _MODULE_NAMESPACE.__get__(_module(name))
    guard = evaluation.Interruptible()
    try:
        return inspection.describe(
            namespace, expression, limit, guard, contained(run_here), attributes=attributes
        )
    except inspection.NotResolved as missing:
        return {"found": False, "expression": expression, "reason": str(missing)}


#: A module's namespace, read through the C slot: a module subclass's hooks never run.
_MODULE_NAMESPACE: Any = vars(types.ModuleType)["__dict__"]


def undo(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    """Patch a module back to the text it ran before its last patch."""
    from splice.engine import undo as engine_undo

    name = _string(params, "module")
    wait_for_import(_module(name))
    result = _engine_call(
        params, run, lambda: engine_undo.undo_last_patch(name), name, "apply-failed"
    )
    result["undoDepth"] = engine_undo.undo_depth(name)
    return result


HANDLERS: dict[str, Callable[[dict[str, Any], Runner], Any]] = {
    "modules": list_modules,
    "baseline": get_baseline,
    "patch": patch,
    "runStatement": run_statement,
    "evaluate": evaluate,
    "cancel": cancel,
    "inspect": inspect_name,
    "undo": undo,
}
