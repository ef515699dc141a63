// Wiring only: the pieces live in server.ts, commands.ts and statusBar.ts.
import * as path from "node:path";
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { registerDebugHooks, splicePaths } from "./debug";
import { registerEvaluation } from "./evaluate";
import { createLog } from "./log";
import { launcherPath } from "./python";
import { onPythonInterpreterChanged } from "./pythonExtension";
import { SpliceServer } from "./server";
import { StatusBar } from "./statusBar";

let server: SpliceServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const statusBar = new StatusBar();
  server = new SpliceServer(log, statusBar, launcherPath(context.extensionPath));
  const spliceServer = server;
  context.subscriptions.push(log, statusBar, spliceServer, ...registerCommands(spliceServer, statusBar, log));
  context.subscriptions.push(...registerEvaluation(spliceServer, log));
  context.subscriptions.push(
    ...registerDebugHooks(vscode.debug, {
      paths: splicePaths(path.join(context.extensionPath, "bundled", "splice")),
      enabled: () => vscode.workspace.getConfiguration("splice").get<boolean>("debugSessions") ?? true,
      server: {
        listKernels: async () => (spliceServer.running ? spliceServer.executeCommand("splice.listKernels") : []),
        attach: async (pid) => {
          await spliceServer.executeCommand("splice.attach", pid);
        },
      },
      log: (message) => log.info(message),
    }),
  );

  // Other splice.* settings reach the running server through didChangeConfiguration;
  // only the interpreter needs a new process.
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("splice.python")) {
        spliceServer.scheduleRestart();
      }
    }),
  );
  // Not awaited: activation must not wait for the Python extension or the server.
  void spliceServer.start();
  void onPythonInterpreterChanged(() => {
    if (spliceServer.interpreter?.source !== "splice.python") {
      spliceServer.scheduleRestart();
    }
  }).then((disposable) => context.subscriptions.push(disposable));
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
