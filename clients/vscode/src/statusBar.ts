import * as vscode from "vscode";
import { describeStatus, SpliceStatus } from "./status";

/** The status bar item: attached kernels and the last patch, from `splice/status`. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private status: SpliceStatus | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem("splice.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Splice";
    this.item.command = "splice.showStatus";
    this.show(describeStatus(undefined));
  }

  get latest(): SpliceStatus | undefined {
    return this.status;
  }

  update(status: SpliceStatus): void {
    this.status = status;
    this.show(describeStatus(status));
  }

  /** A state the server cannot report itself: starting, stopped, no usable Python. */
  showProblem(text: string, tooltip: string): void {
    this.status = undefined;
    this.show({ text: `$(warning) ${text}`, tooltip, warning: true });
  }

  starting(): void {
    this.status = undefined;
    this.show(describeStatus(undefined));
  }

  private show(view: { text: string; tooltip: string; warning: boolean }): void {
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning
      ? new vscode.ThemeColor("statusBarItem.warningBackground")
      : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
