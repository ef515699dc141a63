// "Splice: Undo Last Patch": every kernel running the file goes back to the text it
// ran before the last patch (several steps deep); the server reports the outcome.
import * as vscode from "vscode";
import { SpliceServer } from "./server";

export async function undoLastPatch(server: SpliceServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.languageId !== "python") {
    void vscode.window.showWarningMessage("Splice: open a Python file first.");
    return;
  }
  await server.executeCommand("splice.undoPatch", editor.document.uri.toString());
}

/** The kernel evaluations, hovers and completions use when several run a file. */
export async function pickKernel(server: SpliceServer): Promise<void> {
  const kernels = (await server.executeCommand<{ pid: number; program: string | null; attached: boolean; cwd: string }[]>("splice.listKernels")).filter(
    (kernel) => kernel.attached,
  );
  if (kernels.length === 0) {
    void vscode.window.showInformationMessage("Splice: no kernel is attached.");
    return;
  }
  const picked = await vscode.window.showQuickPick(
    kernels.map((kernel) => ({ label: `pid ${kernel.pid}: ${kernel.program ?? "python"}`, description: kernel.cwd, pid: kernel.pid })),
    { title: "Splice: the kernel to evaluate in" },
  );
  if (picked) {
    await server.executeCommand("splice.selectKernel", picked.pid);
  }
}
