// Owns the LanguageClient that runs `<python> bundled/tool/splice_launcher.py lsp`:
// the language server from the extension's own copy of splice and its
// dependencies, with whatever Python 3.10+ the user selected.
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { checkPython, Interpreter, resolveInterpreter, serverArguments, unusableMessage } from "./python";
import { hasPythonExtension, pythonExtensionInterpreter } from "./pythonExtension";
import { readPythonSetting, readServerSettings } from "./settings";
import { SpliceStatus } from "./status";
import { StatusBar } from "./statusBar";

const RESTART_DELAY_MS = 500;

export class SpliceServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private current: Interpreter | undefined;
  // Start, stop and restart run one at a time, in the order asked.
  private queue: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly statusBar: StatusBar,
    /** bundled/tool/splice_launcher.py of this extension. */
    readonly launcher: string,
  ) {}

  get interpreter(): Interpreter | undefined {
    return this.current;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  /** A restart soon, coalescing the bursts that settings edits produce. */
  scheduleRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(), RESTART_DELAY_MS);
  }

  /** The interpreter the settings point at now (the server may be running an older one). */
  async findInterpreter(): Promise<Interpreter> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const setting = readPythonSetting(vscode.workspace.getConfiguration("splice"), folder?.uri.fsPath);
    return resolveInterpreter(setting, () => pythonExtensionInterpreter(folder?.uri));
  }

  /** Runs one of the server's workspace/executeCommand commands. */
  async executeCommand<T>(command: string, ...args: unknown[]): Promise<T> {
    await this.queue;
    if (!this.client || !this.running) {
      throw new Error("the splice language server is not running (see Splice: Show Log)");
    }
    return (await this.client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: args,
    })) as T;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task, task).catch((error: unknown) => {
      this.log.error(`splice: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.queue;
  }

  private async startNow(): Promise<void> {
    this.statusBar.starting();
    const interpreter = await this.findInterpreter();
    this.current = interpreter;
    this.log.info(`Using ${interpreter.command} (from ${interpreter.source})`);
    const problem = unusableMessage(interpreter, await checkPython(interpreter.command));
    if (problem) {
      this.reportUnusable(problem);
      return;
    }
    const client = this.createClient(interpreter);
    this.client = client;
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped && this.client === client) {
        this.statusBar.showProblem("splice: stopped", "The splice language server stopped. Click for details.");
      }
    });
    client.onNotification("splice/status", (status: SpliceStatus) => this.statusBar.update(status));
    await client.start();
  }

  private createClient(interpreter: Interpreter): LanguageClient {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const serverOptions: ServerOptions = {
      command: interpreter.command,
      args: serverArguments(this.launcher),
      options: { cwd: folder?.uri.fsPath, env: { ...process.env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      initializationOptions: readServerSettings(vscode.workspace.getConfiguration()),
      synchronize: { configurationSection: "splice" },
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
    };
    return new LanguageClient("splice", "Splice", serverOptions, clientOptions);
  }

  /** One message for an interpreter splice cannot use, with the ways out. */
  reportUnusable(message: string): void {
    this.log.error(message);
    this.statusBar.showProblem("splice: no Python", message);
    const select = "Select Interpreter";
    const actions = hasPythonExtension() ? [select, "Open Settings"] : ["Open Settings"];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === select) {
        void vscode.commands.executeCommand("python.setInterpreter");
      } else if (choice === "Open Settings") {
        void vscode.commands.executeCommand("workbench.action.openSettings", "splice.python");
      }
    });
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client && client.state !== State.Stopped) {
      await client.stop();
    }
  }

  dispose(): void {
    clearTimeout(this.restartTimer);
    void this.stop();
  }
}
