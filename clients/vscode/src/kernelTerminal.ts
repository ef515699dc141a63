// "Run Current File with Kernel" and "Start Kernel (REPL)": a terminal running the
// program under the bundled splice with the selected interpreter (nothing is
// installed into it), and an attach the moment the kernel listens.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitForKernel } from "./launch";
import { checkPython, kernelCommandLine, LAUNCH_REPORT_VARIABLE, unusableMessage } from "./python";
import { SpliceServer } from "./server";

export async function startKernelTerminal(
  server: SpliceServer,
  log: vscode.LogOutputChannel,
  document?: vscode.TextDocument,
): Promise<void> {
  const interpreter = await server.findInterpreter();
  const message = unusableMessage(interpreter, await checkPython(interpreter.command));
  if (message) {
    server.reportUnusable(message);
    return;
  }
  if (document?.isDirty) {
    await document.save();
  }
  const folder = document ? vscode.workspace.getWorkspaceFolder(document.uri) : vscode.workspace.workspaceFolders?.[0];
  const cwd = folder?.uri.fsPath ?? (document ? path.dirname(document.uri.fsPath) : undefined);
  const reportFile = path.join(os.tmpdir(), `splice-launch-${randomUUID()}.json`);
  const terminal = vscode.window.createTerminal({
    name: document ? `splice: ${path.basename(document.uri.fsPath)}` : "splice kernel",
    cwd,
    env: { [LAUNCH_REPORT_VARIABLE]: reportFile },
  });
  terminal.show();
  const commandLine = kernelCommandLine(interpreter.command, server.launcher, document?.uri.fsPath);
  log.info(`Starting a kernel: ${commandLine}`);
  terminal.sendText(commandLine);
  void attachWhenListening(server, log, reportFile, terminal);
}

async function attachWhenListening(
  server: SpliceServer,
  log: vscode.LogOutputChannel,
  reportFile: string,
  terminal: vscode.Terminal,
): Promise<void> {
  try {
    const kernel = await waitForKernel(reportFile, { cancelled: () => terminal.exitStatus !== undefined });
    if (!kernel) {
      log.info("The kernel started in the terminal did not start listening; nothing to attach to.");
      return;
    }
    if (server.running) {
      await server.executeCommand("splice.attach", kernel.connectionFile ?? kernel.pid);
    }
  } catch (error) {
    log.error(`attaching to the kernel in the terminal: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    fs.rmSync(reportFile, { force: true });
  }
}
