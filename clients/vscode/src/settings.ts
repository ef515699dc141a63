// What the user configured under "splice.*". No runtime import of vscode, so
// the unit tests can load it: WorkspaceConfiguration fits ConfigurationReader.
import * as os from "node:os";
import * as path from "node:path";

export type AutoAttach = "workspace" | "file" | "off";
export type LogLevel = "error" | "warning" | "info" | "debug";

/** The settings the language server reads (initializationOptions and didChangeConfiguration). */
export interface ServerSettings {
  patchOnSave: boolean;
  autoAttach: AutoAttach;
  kernels: (number | string)[];
  deleteRemoved: boolean;
  liveMarkers: boolean;
  logLevel: LogLevel;
}

// Must equal the server's defaults (server/splice/lsp/settings.py) and the
// defaults in package.json; test/settings.test.ts holds all three together.
export const SERVER_DEFAULTS: Readonly<ServerSettings> = Object.freeze({
  patchOnSave: true,
  autoAttach: "workspace",
  kernels: [],
  deleteRemoved: true,
  liveMarkers: true,
  logLevel: "info",
});

/** Settings only the extension reads; the server ignores them. */
export const CLIENT_DEFAULTS = Object.freeze({ python: "" });

export interface ConfigurationReader {
  get<T>(section: string): T | undefined;
}

/** The server's settings as configured, each missing one at its default. */
export function readServerSettings(config: ConfigurationReader): ServerSettings {
  const settings: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(SERVER_DEFAULTS)) {
    settings[key] = config.get(key) ?? (Array.isArray(fallback) ? [...fallback] : fallback);
  }
  return settings as unknown as ServerSettings;
}

/** The splice.python setting with ~ and ${workspaceFolder} expanded; "" when unset. */
export function readPythonSetting(config: ConfigurationReader, workspaceFolder?: string): string {
  const value = (config.get<string>("python") ?? CLIENT_DEFAULTS.python).trim();
  return expandPath(value, workspaceFolder);
}

export function expandPath(value: string, workspaceFolder?: string): string {
  let expanded = value;
  if (workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  return expanded;
}
