// "Splice: Attach to Process...": pick one of the user's Python processes; the
// server runs `splice attach PID` and attaches to the kernel it starts.
import * as vscode from "vscode";
import { processItems, PythonProcess } from "./processes";
import { SpliceServer } from "./server";

export async function attachToProcess(server: SpliceServer): Promise<void> {
  const processes = await server.executeCommand<PythonProcess[]>("splice.attachProcess");
  if (processes.length === 0) {
    void vscode.window.showInformationMessage("Splice: no Python 3.10+ process of yours is running.");
    return;
  }
  const picked = await vscode.window.showQuickPick(processItems(processes), {
    title: "Splice: attach to a running Python process",
    placeHolder: "Its command line",
    matchOnDescription: true,
  });
  if (picked) {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Splice: attaching to pid ${picked.pid}...` },
      () => server.executeCommand("splice.attachProcess", picked.pid),
    );
  }
}
