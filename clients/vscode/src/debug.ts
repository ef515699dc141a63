// Python debug sessions (debugpy) are splice kernels: a launched program gets the
// agent through its environment (splice's start-up hook on PYTHONPATH, as for the
// children of `splice run`), and the language server attaches as soon as the
// session reports the program's process id. No runtime import of vscode:
// extension.ts hands vscode.debug in, so the unit tests run this under node.
import * as path from "node:path";
import type * as vscode from "vscode";

/** Set in a debugged program's environment: its start-up hook starts an agent. */
export const SESSION_VARIABLE = "SPLICE_DEBUG_SESSION";
/** The Python debugger's configuration type, and the older name it still accepts. */
export const DEBUG_TYPES = ["debugpy", "python"] as const;

/** A debug configuration as far as splice reads and changes it. */
export interface DebugConfigurationLike {
  type: string;
  request: string;
  name: string;
  env?: Record<string, string | null | undefined>;
  [key: string]: unknown;
}

/** The bundled splice a debugged program imports: its root folder and its start-up hook. */
export interface SplicePaths {
  /** The folder that holds the `splice` package (bundled/splice in the .vsix). */
  root: string;
  /** splice/agent/bootstrap under it: holds only sitecustomize.py. */
  bootstrap: string;
}

export function splicePaths(root: string): SplicePaths {
  return { root, bootstrap: path.join(root, "splice", "agent", "bootstrap") };
}

/**
 * The configuration with splice added, or unchanged when there is nothing to
 * add (an attach: the process exists already). The launched program's
 * PYTHONPATH becomes splice's start-up hook, then what it would have been
 * (the configuration's own, else the inherited one), then the bundled splice
 * (last, so a splice installed in the program's environment is not shadowed
 * by the hook's folder, and the hook can import splice when none is).
 */
export function withSplice(
  config: DebugConfigurationLike,
  paths: SplicePaths,
  inheritedPythonPath: string | undefined,
): DebugConfigurationLike {
  if (config.request !== "launch") {
    return config;
  }
  const env = { ...(config.env ?? {}) };
  const current = typeof env.PYTHONPATH === "string" ? env.PYTHONPATH : (inheritedPythonPath ?? "");
  const entries = current.split(path.delimiter).filter((entry) => entry && entry !== paths.bootstrap && entry !== paths.root);
  env.PYTHONPATH = [paths.bootstrap, ...entries, paths.root].join(path.delimiter);
  env[SESSION_VARIABLE] = "1";
  return { ...config, env };
}

/** The pid in a debug adapter's `process` event (DAP), if this message is one. */
export function processIdOf(message: unknown): number | undefined {
  const event = message as { type?: unknown; event?: unknown; body?: { systemProcessId?: unknown } };
  if (event?.type !== "event" || event.event !== "process") {
    return undefined;
  }
  const pid = event.body?.systemProcessId;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface KernelLister {
  /** The server's splice.listKernels: the live kernels it can see. */
  listKernels(): Promise<{ pid: number; attached: boolean }[]>;
  /** The server's splice.attach. */
  attach(pid: number): Promise<void>;
}

export interface AttachOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Attach the language server to `pid` once its agent shows up (a launched
 * program starts it before debugpy connects; one started under the debugger
 * some other way may never have one). True if attached (or already was).
 */
export async function attachWhenListed(pid: number, server: KernelLister, options: AttachOptions = {}): Promise<boolean> {
  const { timeoutMs = 10_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const kernel = (await server.listKernels()).find((entry) => entry.pid === pid);
    if (kernel) {
      if (!kernel.attached) {
        await server.attach(pid);
      }
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(intervalMs);
  }
}

/** The part of vscode.debug this module uses. */
export interface DebugApi {
  registerDebugConfigurationProvider(type: string, provider: vscode.DebugConfigurationProvider): vscode.Disposable;
  registerDebugAdapterTrackerFactory(type: string, factory: vscode.DebugAdapterTrackerFactory): vscode.Disposable;
}

export interface DebugHooks {
  paths: SplicePaths;
  /** The splice.debugSessions setting, read at each session (it may change). */
  enabled(): boolean;
  server: KernelLister;
  log(message: string): void;
}

/** A configuration provider and an adapter tracker for each Python debug type. */
export function registerDebugHooks(debug: DebugApi, hooks: DebugHooks): vscode.Disposable[] {
  const provider: vscode.DebugConfigurationProvider = {
    resolveDebugConfigurationWithSubstitutedVariables(_folder, config) {
      if (!hooks.enabled()) {
        return config;
      }
      return withSplice(config, hooks.paths, process.env.PYTHONPATH);
    },
  };
  const tracker: vscode.DebugAdapterTrackerFactory = {
    createDebugAdapterTracker() {
      return {
        onDidSendMessage(message: unknown) {
          const pid = processIdOf(message);
          if (pid === undefined || !hooks.enabled()) {
            return;
          }
          void attachWhenListed(pid, hooks.server).then(
            (attached) => hooks.log(attached ? `Debug session: attached to pid ${pid}.` : `Debug session: pid ${pid} runs no splice agent.`),
            (error: unknown) => hooks.log(`Debug session: attaching to pid ${pid}: ${error instanceof Error ? error.message : String(error)}`),
          );
        },
      };
    },
  };
  return DEBUG_TYPES.flatMap((type) => [
    debug.registerDebugConfigurationProvider(type, provider),
    debug.registerDebugAdapterTrackerFactory(type, tracker),
  ]);
}
