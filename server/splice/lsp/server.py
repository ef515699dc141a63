"""``splice lsp``: the language server, a pygls 2 server on stdio.

The handlers here only unpack parameters, call the kernels, patching and
markers modules, and hand results to convert.py; the behaviour lives there.
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from splice import __version__
from splice.engine.result import ProcessOutcome
from splice.errors import SpliceError
from splice.lsp import actions, arguments, convert, documents, evaluate, hover, processes, stdio
from splice.lsp.diagnostics import DiagnosticStore
from splice.lsp.kernels import KernelEvent, KernelRegistry, real_path
from splice.lsp.markers import LiveMarkers
from splice.lsp.outcomes import PatchReport
from splice.lsp.patching import Patcher
from splice.lsp.settings import Settings, describe_problems, parse_settings
from splice.report import plural

logger = logging.getLogger(__name__)

STATUS = "splice/status"


class SpliceServer(LanguageServer):
    """The server's state: settings, kernels, diagnostics, markers."""

    def __init__(self) -> None:
        super().__init__("splice", __version__, converter_factory=arguments.make_converter)
        self.settings = Settings()
        self.registry = KernelRegistry(self.on_kernel_event)
        self.patcher = Patcher(self.registry, self.on_report)
        self.store = DiagnosticStore()
        self.markers = LiveMarkers(self.registry)
        #: The kernel that evaluates, hovers and completes when several run a file.
        self.choice = evaluate.KernelChoice(self.registry)
        self.evaluations = evaluate.Evaluations()
        self.last_report: PatchReport | None = None
        self.ready = False

    # Settings and workspace -------------------------------------------------------

    def configure(self, data: Any) -> None:
        """Take in settings; keys the client leaves out keep their values."""
        settings, problems = parse_settings(data, self.settings)
        self.settings = self.registry.settings = settings
        self.registry.forget_unrelated()
        logging.getLogger("splice").setLevel(settings.log_level.upper())
        if problems:
            message = describe_problems(problems)
            logger.warning(message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )

    def update_roots(self) -> None:
        roots = [to_fs_path(folder.uri) for folder in self.workspace.folders.values()]
        if not roots and self.workspace.root_path:
            roots = [self.workspace.root_path]
        self.registry.roots = [real_path(root) for root in roots if root]
        self.registry.forget_unrelated()

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    # Telling the client -----------------------------------------------------------

    def send_status(self, message: str) -> None:
        kernels = [
            {
                key: item[key]
                for key in ("pid", "program", "cwd", "attached", "rootPid", "parentPid", "role")
            }
            for item in self.registry.listing()
        ]
        params = convert.status(self.ready, kernels, self.last_report, message)
        self.protocol.notify(STATUS, params)

    def show(self, kind: types.MessageType, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def publish(self, uri: str) -> None:
        text = self.text_of(uri)
        codec = self.workspace.position_codec
        diagnostics = []
        for stored in self.store.diagnostics(uri):
            diagnostic = copy.copy(stored)
            diagnostic.range = convert.to_client_range(codec, text, stored.range)
            diagnostics.append(diagnostic)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def refresh_markers(self) -> None:
        if self.settings.live_markers and get_capability(
            self.client_capabilities, "workspace.code_lens.refresh_support", False
        ):
            self.workspace_code_lens_refresh(None)

    async def on_report(self, report: PatchReport) -> None:
        """A patch action finished: what the user waits for first (the message, the
        status), then diagnostics, log, markers."""
        if report.outcomes:
            self.last_report = report
        message = convert.report_message(report)
        if message is not None and convert.worth_showing(
            message[0], self.settings.show_notifications
        ):
            self.show(*message)
        if not report.outcomes and report.action != "save":
            self.show(types.MessageType.Warning, f"splice: {convert.report_summary(report)}")
        self.send_status(convert.report_summary(report))
        if self.store.apply(report):
            self.publish(report.uri)
        logger.info("%s", convert.report_log(report))
        for outcome in report.outcomes:
            self.markers.invalidate(outcome.pid)
        if report.outcomes:
            self.refresh_markers()

    async def on_kernel_event(self, event: KernelEvent) -> None:
        who = ProcessOutcome(event.pid, event.program).who
        if event.kind == "attached":
            message = f"attached to {who}"
        else:
            message = (
                f"{who} {event.reason}; detached"
                if event.kind in ("died", "ended")
                else f"detached from {who}"
            )
            for uri in self.store.forget_kernel(event.pid):
                self.publish(uri)
            if event.kind == "died":
                self.show(types.MessageType.Warning, f"splice: {message}")
        self.markers.invalidate(event.pid)
        logger.info(message)
        if self.ready:
            self.refresh_markers()
            self.send_status(message)

    def kernel_argument(self, values: tuple[Any, ...]) -> int | str | None:
        """The optional pid or connection file of ``splice.attach`` / ``splice.detach``."""
        try:
            return arguments.kernel_target(values)
        except (TypeError, ValueError) as error:
            raise JsonRpcInvalidParams.of(error) from None

    async def run_action(self, report: PatchReport) -> dict[str, Any]:
        await self.on_report(report)
        return {
            "ok": bool(report.outcomes) and report.ok,
            "summary": convert.report_summary(report),
        }


server = SpliceServer()


# Lifecycle ----------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: SpliceServer, params: types.InitializeParams) -> None:
    documents.use_buffer_lines(ls.workspace)
    ls.configure(params.initialization_options)
    ls.update_roots()


@server.feature(types.INITIALIZED)
async def initialized(ls: SpliceServer, params: types.InitializedParams) -> None:
    try:
        await ls.registry.refresh()
    except Exception:
        # Readiness must still be announced; the poller keeps looking for kernels.
        logger.exception("looking for kernels failed")
    ls.registry.start()
    ls.ready = True
    attached = len(ls.registry.attached)
    ls.send_status(f"ready: {plural(attached, 'kernel')} attached")


@server.feature(types.SHUTDOWN)
async def shutdown(ls: SpliceServer, params: None) -> None:
    await ls.markers.close()
    await ls.registry.close()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: SpliceServer, params: types.DidChangeConfigurationParams
) -> None:
    settings = params.settings
    if not settings and get_capability(ls.client_capabilities, "workspace.configuration", False):
        # Pull-model clients send an empty notification and expect us to ask.
        items = [types.ConfigurationItem(section="splice")]
        settings = (await ls.workspace_configuration_async(types.ConfigurationParams(items=items)))[
            0
        ]
    ls.configure(settings)
    await ls.registry.refresh()
    ls.refresh_markers()


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def did_change_folders(ls: SpliceServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    ls.update_roots()


# Documents ----------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SpliceServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.registry.open_files.add(real_path(ls.path_of(params.text_document.uri)))
    ls.registry.forget_unrelated()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SpliceServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.registry.open_files.discard(real_path(ls.path_of(params.text_document.uri)))


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SpliceServer, params: types.DidChangeTextDocumentParams) -> None:
    if ls.settings.live_markers:
        ls.markers.schedule(params.text_document.uri, _refresh_later(ls))


def _refresh_later(ls: SpliceServer) -> Any:
    async def refresh() -> None:
        ls.refresh_markers()

    return refresh


@server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=True))
async def did_save(ls: SpliceServer, params: types.DidSaveTextDocumentParams) -> None:
    if not ls.settings.patch_on_save:
        return
    uri = params.text_document.uri
    text = params.text if params.text is not None else ls.text_of(uri)
    await ls.patcher.save(uri, ls.path_of(uri), text)


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
async def code_lens(ls: SpliceServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    if not ls.settings.live_markers:
        return []
    uri = params.text_document.uri
    markers = await ls.markers.markers(ls.path_of(uri), ls.text_of(uri))
    return [convert.marker_lens(m.first_line, m.qualname, m.state, uri, m.line) for m in markers]


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover_live(ls: SpliceServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    return await hover.hover_at(ls.choice, document, ls.path_of(uri), params.position)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
async def completion_live(
    ls: SpliceServer, params: types.CompletionParams
) -> types.CompletionList | None:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    return await hover.complete_at(ls.choice, document, ls.path_of(uri), params.position)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, actions.KIND]),
)
def code_action(ls: SpliceServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    path = ls.path_of(uri)
    if not ls.registry.kernels_running(path):
        return []
    found = actions.code_actions(
        uri, ls.text_of(uri), params.range, params.context, ls.store.findings_data(uri)
    )
    evaluation = evaluate.code_action(uri, params.range, params.context)
    if evaluation is not None:
        found.append(evaluation)
    only = [_kind(kind) for kind in params.context.only or ()]
    if only:
        found = [a for a in found if any(_kind(a.kind).startswith(kind) for kind in only)]
    return found


def _kind(kind: Any) -> str:
    """A code action kind as its wire string (lsprotocol may hand over an enum)."""
    return str(getattr(kind, "value", kind))


# Commands -----------------------------------------------------------------------
# pygls structures the positional arguments by these annotations (arguments.py)
# and answers InvalidParams when they do not fit.


@server.command("splice.listKernels")
def list_kernels(ls: SpliceServer) -> list[dict[str, Any]]:
    return ls.registry.listing()


@server.command("splice.attach")
async def attach(ls: SpliceServer, *target: Any) -> list[dict[str, Any]] | None:
    """Attach to a pid or connection file; with no argument, the list to choose from."""
    chosen = ls.kernel_argument(target)
    if chosen is None:
        return ls.registry.listing()
    try:
        kernel = await ls.registry.attach(chosen)
    except SpliceError as error:
        ls.show(types.MessageType.Error, f"splice: cannot attach: {error}")
        return None
    ls.show(types.MessageType.Info, f"splice: attached to {kernel.describe()}")
    return ls.registry.listing()


@server.command("splice.detach")
async def detach(ls: SpliceServer, *target: Any) -> list[dict[str, Any]]:
    """Detach from one pid; with no argument, from every kernel."""
    pid = ls.kernel_argument(target)
    if pid is None:
        await ls.registry.detach_all()
    elif not isinstance(pid, int) or not await ls.registry.detach(pid):
        ls.show(types.MessageType.Warning, f"splice: not attached to pid {pid}")
    return ls.registry.listing()


@server.command("splice.attachProcess")
async def attach_process(ls: SpliceServer, *target: Any) -> list[dict[str, Any]] | None:
    """With no argument, the user's Python processes; with a pid, ``splice attach`` and attach."""
    return await processes.attach_process_command(ls, ls.kernel_argument(target))


@server.command("splice.reloadDefinition")
async def reload_definition(
    ls: SpliceServer, uri: arguments.Uri, line: arguments.Offset, character: arguments.Offset
) -> dict[str, Any]:
    text = ls.text_of(uri)
    report = await ls.patcher.reload_definition(
        uri, ls.path_of(uri), text, convert.buffer_line(line)
    )
    return await ls.run_action(report)


@server.command("splice.reloadFile")
async def reload_file(ls: SpliceServer, uri: arguments.Uri) -> dict[str, Any]:
    report = await ls.patcher.patch_file("reloadFile", uri, ls.path_of(uri), ls.text_of(uri))
    return await ls.run_action(report)


@server.command("splice.runStatement")
async def run_statement(
    ls: SpliceServer, uri: arguments.Uri, line: arguments.Offset
) -> dict[str, Any]:
    text = ls.text_of(uri)
    report = await ls.patcher.run_statement(uri, ls.path_of(uri), text, convert.buffer_line(line))
    return await ls.run_action(report)


@server.command("splice.applyOthers")
async def apply_others(ls: SpliceServer, uri: arguments.Uri) -> dict[str, Any]:
    refused = actions.refused_qualnames(ls.store.findings_data(uri))
    report = await ls.patcher.apply_others(uri, ls.path_of(uri), ls.text_of(uri), refused)
    return await ls.run_action(report)


@server.command("splice.evaluate")
async def evaluate_code(
    ls: SpliceServer,
    uri: arguments.Uri,
    line: arguments.Offset,
    character: arguments.Offset,
    end_line: arguments.Offset,
    end_character: arguments.Offset,
) -> dict[str, Any]:
    """Evaluate the range, or the statement at the cursor when it is empty, in the kernel."""
    document = ls.workspace.get_text_document(uri)
    code = evaluate.code_for(document, line, character, end_line, end_character)
    if code is None:
        return {"ok": False, "error": "nothing to evaluate here", "line": line, "cancelled": False}
    return await ls.evaluations.run(ls.choice, ls.path_of(uri), code)


@server.command("splice.cancelEvaluation")
def cancel_evaluation(ls: SpliceServer) -> int:
    """Stop the running evaluations (the kernel interrupts them); how many there were."""
    return ls.evaluations.cancel()


@server.command("splice.selectKernel")
def select_kernel(ls: SpliceServer, pid: arguments.Offset) -> list[dict[str, Any]]:
    """The kernel to evaluate in when several run a file (the status bar, ``:SpliceKernel``)."""
    ls.choice.picked = pid
    ls.send_status(f"evaluating in pid {pid}")
    return ls.registry.listing()


@server.command("splice.undoPatch")
async def undo_patch(ls: SpliceServer, uri: arguments.Uri) -> dict[str, Any]:
    report = await ls.patcher.undo(uri, ls.path_of(uri), ls.text_of(uri))
    return await ls.run_action(report)


@server.command("splice.explain")
def explain(ls: SpliceServer, code: arguments.Name, qualname: arguments.Name | None) -> str:
    text = actions.explanation(code, qualname, convert.edits_doc(code))
    ls.show(types.MessageType.Info, text)
    return text


# Logging and entry point --------------------------------------------------------


class _EditorLogHandler(logging.Handler):
    """Sends splice's log records to the editor's log (``window/logMessage``)."""

    _types = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
        logging.DEBUG: types.MessageType.Log,
    }

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(server.protocol, "writer", None) is None:
            return
        kind = self._types.get(record.levelno, types.MessageType.Log)
        try:
            server.window_log_message(
                types.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:  # the log must never take the server down
            self.handleError(record)


_log_handler = _EditorLogHandler()


def main(argv: list[str] | None = None) -> int:
    """``splice lsp [--log-file PATH]``: serve on stdio."""
    parser = argparse.ArgumentParser(prog="splice lsp", description="The splice language server.")
    parser.add_argument("--log-file", help="also write the server's log to this file")
    for option in _REMOVED_OPTIONS:
        parser.add_argument(option, nargs="?", const=True, help=argparse.SUPPRESS)
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    removed = [option for option in _REMOVED_OPTIONS if getattr(options, option[2:]) is not None]
    if removed:
        parser.error(
            f"{', '.join(removed)}: removed. A TCP server had no authentication, so any local "
            "user could drive your kernels through it; editors start `splice lsp` on stdio "
            "(see docs/lsp.md)"
        )

    # stdout carries the protocol: the log goes to stderr and to the editor.
    package_logger = logging.getLogger("splice")
    package_logger.setLevel(logging.INFO)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("splice lsp %(levelname)s %(name)s: %(message)s"))
    package_logger.addHandler(stderr)
    package_logger.addHandler(_log_handler)
    if options.log_file:
        package_logger.addHandler(logging.FileHandler(options.log_file))

    stdio.serve(server)
    return 0


#: Options of the TCP transport, removed (issue 15): still recognised, to say why.
_REMOVED_OPTIONS = ("--tcp", "--host", "--port")
