// The palette commands. Each is thin: it picks arguments in the editor and asks
// the server (workspace/executeCommand) to do the work; the server reports the
// outcome itself (messages, diagnostics, splice/status).
import * as vscode from "vscode";
import { attachToProcess } from "./attachProcess";
import { startKernelTerminal } from "./kernelTerminal";
import { SpliceServer } from "./server";
import { plural } from "./status";
import { StatusBar } from "./statusBar";

/** One entry of the server's splice.listKernels answer. */
export interface KernelEntry {
  pid: number;
  program: string | null;
  cwd: string;
  address: string;
  attached: boolean;
  startedAt?: number | string | null;
}

interface KernelPick extends vscode.QuickPickItem {
  pid?: number;
}

function kernelPick(kernel: KernelEntry): KernelPick {
  return {
    label: `${kernel.attached ? "$(check) " : ""}pid ${kernel.pid}: ${kernel.program ?? "python"}`,
    description: kernel.cwd,
    detail: kernel.attached ? `attached, ${kernel.address}` : kernel.address,
    pid: kernel.pid,
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pythonEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.languageId !== "python") {
    void vscode.window.showWarningMessage("Splice: open a Python file first.");
    return undefined;
  }
  return editor;
}

export function registerCommands(server: SpliceServer, statusBar: StatusBar, log: vscode.LogOutputChannel): vscode.Disposable[] {
  // Errors from the server become one message instead of an unhandled rejection.
  const register = (id: string, run: () => Promise<void> | void): vscode.Disposable =>
    vscode.commands.registerCommand(id, async () => {
      try {
        await run();
      } catch (error) {
        log.error(`${id}: ${describeError(error)}`);
        void vscode.window.showErrorMessage(`Splice: ${describeError(error)}`);
      }
    });

  const listKernels = () => server.executeCommand<KernelEntry[]>("splice.listKernels");

  const attach = async () => {
    const kernels = await listKernels();
    if (kernels.length === 0) {
      const run = "Run Current File with Kernel";
      const repl = "Start Kernel (REPL)";
      const choice = await vscode.window.showInformationMessage("Splice: no live kernel found.", run, repl);
      if (choice) {
        await vscode.commands.executeCommand(choice === run ? "splice.runFileWithKernel" : "splice.startKernel");
      }
      return;
    }
    const picked = await vscode.window.showQuickPick(kernels.map(kernelPick), {
      title: "Splice: attach to a kernel",
      placeHolder: "A live Python process running splice",
    });
    if (picked?.pid !== undefined) {
      await server.executeCommand("splice.attach", picked.pid);
    }
  };

  const detach = async () => {
    const attached = (await listKernels()).filter((kernel) => kernel.attached);
    if (attached.length === 0) {
      void vscode.window.showInformationMessage("Splice: no kernel is attached.");
      return;
    }
    if (attached.length === 1) {
      await server.executeCommand("splice.detach", attached[0].pid);
      return;
    }
    const all: KernelPick = { label: `All ${plural(attached.length, "kernel")}` };
    const picked = await vscode.window.showQuickPick([all, ...attached.map(kernelPick)], {
      title: "Splice: detach from a kernel",
    });
    if (picked) {
      const args = picked.pid === undefined ? [] : [picked.pid];
      await server.executeCommand("splice.detach", ...args);
    }
  };

  const runFile = async () => {
    const editor = pythonEditor();
    if (editor?.document.uri.scheme === "file") {
      await startKernelTerminal(server, log, editor.document);
    } else if (editor) {
      void vscode.window.showWarningMessage("Splice: save the file first; a kernel runs a file on disk.");
    }
  };

  const startRepl = () => startKernelTerminal(server, log);

  const reloadFunction = async () => {
    const editor = pythonEditor();
    if (editor) {
      const { line, character } = editor.selection.active;
      await server.executeCommand("splice.reloadDefinition", editor.document.uri.toString(), line, character);
    }
  };

  const reloadFile = async () => {
    const editor = pythonEditor();
    if (editor) {
      await server.executeCommand("splice.reloadFile", editor.document.uri.toString());
    }
  };

  const showStatus = async () => {
    const status = statusBar.latest;
    const items: (vscode.QuickPickItem & { command?: string })[] = [];
    if (status) {
      for (const kernel of status.kernels) {
        items.push({
          label: `${kernel.attached ? "$(check)" : "$(circle-outline)"} pid ${kernel.pid}: ${kernel.program ?? "python"}`,
          description: kernel.cwd,
        });
      }
      if (status.lastPatch) {
        items.push({ label: "Last patch", kind: vscode.QuickPickItemKind.Separator });
        items.push({ label: status.lastPatch.ok ? "$(check) " + status.lastPatch.summary : "$(warning) " + status.lastPatch.summary });
        for (const kernel of status.lastPatch.kernels) {
          items.push({ label: `pid ${kernel.pid}`, description: kernel.summary });
        }
      }
    }
    items.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: "$(plug) Attach to Kernel...", command: "splice.attachKernel" });
    items.push({ label: "$(target) Pick Kernel for Evaluation...", command: "splice.pickKernel" });
    items.push({ label: "$(debug-disconnect) Detach", command: "splice.detachKernel" });
    items.push({ label: "$(play) Run Current File with Kernel", command: "splice.runFileWithKernel" });
    items.push({ label: "$(terminal) Start Kernel (REPL)", command: "splice.startKernel" });
    items.push({ label: "$(output) Show Log", command: "splice.showLog" });
    items.push({ label: "$(debug-restart) Restart Server", command: "splice.restartServer" });
    const picked = await vscode.window.showQuickPick(items, {
      title: status?.message ? `Splice: ${status.message}` : "Splice",
    });
    if (picked?.command) {
      await vscode.commands.executeCommand(picked.command);
    }
  };

  return [
    register("splice.runFileWithKernel", runFile),
    register("splice.startKernel", startRepl),
    register("splice.attachKernel", attach),
    register("splice.attachToProcess", () => attachToProcess(server)),
    register("splice.detachKernel", detach),
    register("splice.reloadFunctionAtCursor", reloadFunction),
    register("splice.reloadCurrentFile", reloadFile),
    register("splice.showLog", () => log.show()),
    register("splice.restartServer", () => server.restart()),
    register("splice.showStatus", showStatus),
  ];
}
