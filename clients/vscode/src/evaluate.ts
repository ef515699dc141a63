// "Splice: Evaluate": the selection, or the statement at the cursor, runs in the
// kernel; the result shows at the end of the line (a decoration, as in CIDER
// and Calva), the full value on hover, tracebacks and output in an output channel.
import * as vscode from "vscode";
import { channelText, EvaluationResult, hoverMarkdown, inlineText } from "./evaluateView";
import { SpliceServer } from "./server";
import { pickKernel, undoLastPatch } from "./undo";

/** How long an evaluation runs before a cancellable notification offers to stop it. */
const PROGRESS_DELAY_MS = 400;

export class Evaluator implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: "0 0 0 1em", color: new vscode.ThemeColor("editorCodeLens.foreground") },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly channel = vscode.window.createOutputChannel("Splice Evaluation");
  /** Results shown per document uri, by line. */
  private readonly shown = new Map<string, Map<number, vscode.DecorationOptions>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly server: SpliceServer) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((event) => this.forgetEdited(event)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redraw()),
    );
  }

  /** The palette command and keybinding: the editor's selection, or the cursor's statement. */
  async evaluateSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.languageId !== "python") {
      void vscode.window.showWarningMessage("Splice: open a Python file first.");
      return;
    }
    const { start, end } = editor.selection;
    await this.evaluate(editor.document.uri, new vscode.Range(start, end));
  }

  /** The code action's command: a uri and a range, as the server put them. */
  async evaluateInKernel(uri: string, line: number, character: number, endLine: number, endCharacter: number): Promise<void> {
    await this.evaluate(vscode.Uri.parse(uri), new vscode.Range(line, character, endLine, endCharacter));
  }

  async cancel(): Promise<void> {
    await this.server.executeCommand<number>("splice.cancelEvaluation");
  }

  private async evaluate(uri: vscode.Uri, range: vscode.Range): Promise<void> {
    const running = this.server.executeCommand<EvaluationResult>(
      "splice.evaluate",
      uri.toString(),
      range.start.line,
      range.start.character,
      range.end.line,
      range.end.character,
    );
    const result = await this.withProgress(running);
    this.show(uri, result);
  }

  private async withProgress(running: Promise<EvaluationResult>): Promise<EvaluationResult> {
    let settled = false;
    void running.finally(() => (settled = true));
    const quick = await Promise.race([running, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PROGRESS_DELAY_MS))]);
    if (quick !== undefined || settled) {
      return running;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Splice: evaluating…", cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => void this.cancel());
        return running;
      },
    );
  }

  private show(uri: vscode.Uri, result: EvaluationResult): void {
    this.channel.appendLine(channelText(result));
    if (!result.ok && !result.cancelled && result.traceback) {
      this.channel.show(true);
    }
    if (result.kernel === null && !result.ok) {
      void vscode.window.showWarningMessage(`Splice: ${result.error ?? "cannot evaluate"}`);
      return;
    }
    const document = vscode.workspace.textDocuments.find((item) => item.uri.toString() === uri.toString());
    const lineEnd = document ? document.lineAt(Math.min(result.line, document.lineCount - 1)).range.end : new vscode.Position(result.line, 0);
    const hover = new vscode.MarkdownString(hoverMarkdown(result));
    const option: vscode.DecorationOptions = {
      range: new vscode.Range(lineEnd, lineEnd),
      hoverMessage: hover,
      renderOptions: {
        after: {
          contentText: inlineText(result),
          color: result.ok ? undefined : new vscode.ThemeColor("errorForeground"),
        },
      },
    };
    const perLine = this.shown.get(uri.toString()) ?? new Map<number, vscode.DecorationOptions>();
    perLine.set(result.line, option);
    this.shown.set(uri.toString(), perLine);
    this.redraw();
  }

  /** An edit on or above a result's line makes it stale: it goes, as in CIDER. */
  private forgetEdited(event: vscode.TextDocumentChangeEvent): void {
    const perLine = this.shown.get(event.document.uri.toString());
    if (!perLine || event.contentChanges.length === 0) {
      return;
    }
    const first = Math.min(...event.contentChanges.map((change) => change.range.start.line));
    for (const line of [...perLine.keys()]) {
      if (line >= first) {
        perLine.delete(line);
      }
    }
    this.redraw();
  }

  private redraw(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const perLine = this.shown.get(editor.document.uri.toString());
      editor.setDecorations(this.decoration, perLine ? [...perLine.values()] : []);
    }
  }

  dispose(): void {
    this.decoration.dispose();
    this.channel.dispose();
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
  }
}

/** The evaluation and undo commands, each turning a failure into one message. */
export function registerEvaluation(server: SpliceServer, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const evaluator = new Evaluator(server);
  const guarded =
    <A extends unknown[]>(id: string, run: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await run(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Splice: ${message}`);
      }
    };
  const register = <A extends unknown[]>(id: string, run: (...args: A) => Promise<void>) =>
    vscode.commands.registerCommand(id, guarded(id, run));
  return [
    evaluator,
    register("splice.evaluateSelection", () => evaluator.evaluateSelection()),
    register("splice.evaluateInKernel", (uri: string, line: number, character: number, endLine: number, endCharacter: number) =>
      evaluator.evaluateInKernel(uri, line, character, endLine, endCharacter),
    ),
    register("splice.cancelEvaluations", () => evaluator.cancel()),
    register("splice.undoLastPatch", () => undoLastPatch(server)),
    register("splice.pickKernel", () => pickKernel(server)),
  ];
}
