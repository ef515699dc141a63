// The interpreter selected in the Python extension (ms-python.python), through
// its published API package, when that extension is installed.
import { PVSC_EXTENSION_ID, PythonExtension } from "@vscode/python-extension";
import * as vscode from "vscode";

type Environments = PythonExtension["environments"];

/** Is the Python extension (ms-python.python) installed? */
export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PVSC_EXTENSION_ID) !== undefined;
}

async function environmentsApi(): Promise<Environments | undefined> {
  // PythonExtension.api() throws without the extension, which is a normal setup here.
  if (!hasPythonExtension()) {
    return undefined;
  }
  return (await PythonExtension.api()).environments;
}

/** The selected interpreter's executable, or undefined without the Python extension. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const environments = await environmentsApi();
  if (!environments) {
    return undefined;
  }
  const active = environments.getActiveEnvironmentPath(resource);
  const resolved = await environments.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath ?? active.path;
}

/** Calls listener when the user selects another interpreter in the Python extension. */
export async function onPythonInterpreterChanged(listener: () => void): Promise<vscode.Disposable> {
  const environments = await environmentsApi().catch(() => undefined);
  return environments?.onDidChangeActiveEnvironmentPath(listener) ?? new vscode.Disposable(() => undefined);
}
