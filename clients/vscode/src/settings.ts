// What the user configured under "splice.*". package.json declares every
// setting and its default; the language server validates its own settings
// and reports bad values, so nothing here repeats either. No runtime import of
// vscode, so the unit tests can load it: WorkspaceConfiguration fits ConfigurationReader.
import * as os from "node:os";
import * as path from "node:path";

export interface ConfigurationReader {
  get<T>(section: string): T | undefined;
}

/**
 * The whole "splice" section as VS Code resolves it (package.json's defaults
 * under the user's values), for initializationOptions: the same object
 * didChangeConfiguration sends later, so the server sees one shape.
 * `configuration` is the root: vscode.workspace.getConfiguration().
 */
export function readServerSettings(configuration: ConfigurationReader): unknown {
  return configuration.get<unknown>("splice") ?? {};
}

/** The splice.python setting with ~ and ${workspaceFolder} expanded; "" when unset. */
export function readPythonSetting(config: ConfigurationReader, workspaceFolder?: string): string {
  const value = (config.get<string>("python") ?? "").trim();
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
