import * as vscode from "vscode";

/** The "Splice" output channel: the extension's own lines and the server's log. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel("Splice", { log: true });
}
