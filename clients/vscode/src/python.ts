// Which Python runs splice, whether it can, and the command lines that start
// splice from the copy bundled in the extension (bundled/, filled by
// scripts/bundle_python.py). Node-only (no runtime vscode import) so the unit
// tests run it for real; the Python extension's API is reached through pythonExtension.ts.
import { execFile } from "node:child_process";
import * as path from "node:path";

export type InterpreterSource = "splice.python" | "Python extension" | "default";

export interface Interpreter {
  command: string;
  source: InterpreterSource;
}

export const DEFAULT_PYTHON = "python3";
export const MINIMUM_PYTHON: readonly [number, number] = [3, 10];

/** The splice.python setting if set, else the Python extension's choice, else python3. */
export async function resolveInterpreter(
  setting: string,
  fromPythonExtension: () => Promise<string | undefined>,
): Promise<Interpreter> {
  if (setting) {
    return { command: setting, source: "splice.python" };
  }
  const selected = await fromPythonExtension().catch(() => undefined);
  if (selected) {
    return { command: selected, source: "Python extension" };
  }
  return { command: DEFAULT_PYTHON, source: "default" };
}

export type PythonCheck =
  | { kind: "ok"; version: string }
  | { kind: "too-old"; version: string }
  | { kind: "no-interpreter"; detail: string };

// Valid in every Python, 2 included, so that any interpreter answers.
const VERSION_SCRIPT = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])";

/** Runs the interpreter once to learn its version: splice needs nothing else from it. */
export function checkPython(python: string, timeoutMs = 15000): Promise<PythonCheck> {
  return new Promise((resolve) => {
    execFile(python, ["-c", VERSION_SCRIPT], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const version = /^(\d+)\.(\d+)$/.exec(stdout.trim());
      if (error || !version) {
        const code = error?.code;
        const detail =
          typeof code === "string" ? code : stderr.trim() || error?.message || `it printed ${JSON.stringify(stdout)}`;
        resolve({ kind: "no-interpreter", detail });
        return;
      }
      const [major, minor] = [Number(version[1]), Number(version[2])];
      const recent = major > MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor >= MINIMUM_PYTHON[1]);
      resolve({ kind: recent ? "ok" : "too-old", version: `${major}.${minor}` });
    });
  });
}

const MINIMUM_TEXT = MINIMUM_PYTHON.join(".");
const WHAT_NEXT =
  `Select a Python ${MINIMUM_TEXT}+ interpreter (Python: Select Interpreter) or set "splice.python" to one; ` +
  "nothing needs to be installed into it.";

export function tooOldMessage(interpreter: Interpreter, version: string): string {
  return (
    `Splice needs Python ${MINIMUM_TEXT} or newer, and ${interpreter.command} (from ${interpreter.source}) ` +
    `is Python ${version}. ${WHAT_NEXT}`
  );
}

export function noInterpreterMessage(interpreter: Interpreter, detail: string): string {
  return `Splice could not run the Python interpreter ${interpreter.command} (from ${interpreter.source}): ${detail}. ${WHAT_NEXT}`;
}

/** The one message for an interpreter splice cannot use, or undefined when it can. */
export function unusableMessage(interpreter: Interpreter, check: PythonCheck): string | undefined {
  switch (check.kind) {
    case "ok":
      return undefined;
    case "too-old":
      return tooOldMessage(interpreter, check.version);
    case "no-interpreter":
      return noInterpreterMessage(interpreter, check.detail);
  }
}

/** bundled/tool/splice_launcher.py inside the installed extension. */
export function launcherPath(extensionPath: string): string {
  return path.join(extensionPath, "bundled", "tool", "splice_launcher.py");
}

/** The environment variable the launcher writes its pid and connection file to. */
export const LAUNCH_REPORT_VARIABLE = "SPLICE_LAUNCH_REPORT";

/** Arguments after the interpreter: the language server, from the bundled copy. */
export function serverArguments(launcher: string): string[] {
  return [launcher, "lsp"];
}

/** Arguments after the interpreter: run `file` under splice, or a REPL without one. */
export function kernelArguments(launcher: string, file?: string): string[] {
  return file ? [launcher, "run", file] : [launcher, "kernel"];
}

/** Quotes one argument for a POSIX shell (or leaves it alone when it is safe). */
export function shellQuote(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) {
    return argument;
  }
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** The shell line a terminal runs for "Run Current File with Kernel" / "Start Kernel (REPL)". */
export function kernelCommandLine(python: string, launcher: string, file?: string): string {
  return [python, ...kernelArguments(launcher, file)].map(shellQuote).join(" ");
}
