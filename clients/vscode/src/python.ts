// Which Python runs `splice lsp`, and whether splice is installed in it.
// Node-only (no runtime vscode import) so the unit tests run it for real;
// the Python extension's API is reached through pythonExtension.ts.
import { execFile } from "node:child_process";

export type InterpreterSource = "splice.python" | "Python extension" | "default";

export interface Interpreter {
  command: string;
  source: InterpreterSource;
}

export const DEFAULT_PYTHON = "python3";

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

export type SpliceCheck =
  | { kind: "ok" }
  | { kind: "missing" }
  | { kind: "no-interpreter"; detail: string };

// Exit 3 is ours: anything else (a crash, a bad interpreter) is reported as such.
const CHECK_SCRIPT =
  "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('splice') else 3)";

/** Runs the interpreter once to see whether `import splice` would work. */
export function checkSplice(python: string, timeoutMs = 15000): Promise<SpliceCheck> {
  return new Promise((resolve) => {
    execFile(python, ["-c", CHECK_SCRIPT], { timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (!error) {
        resolve({ kind: "ok" });
      } else if (error.code === 3) {
        resolve({ kind: "missing" });
      } else {
        const detail = typeof error.code === "string" ? error.code : stderr.trim() || error.message;
        resolve({ kind: "no-interpreter", detail });
      }
    });
  });
}

/** Quotes one argument for a POSIX shell (or leaves it alone when it is safe). */
export function shellQuote(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) {
    return argument;
  }
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

export function installCommand(python: string): string {
  return `${shellQuote(python)} -m pip install splice`;
}

/** One message for a missing splice: what, why, and the command that fixes it. */
export function missingSpliceMessage(interpreter: Interpreter): string {
  return (
    `Splice is not installed in ${interpreter.command} (from ${interpreter.source}). ` +
    `Install it with: ${installCommand(interpreter.command)}`
  );
}

export function noInterpreterMessage(interpreter: Interpreter, detail: string): string {
  return (
    `Splice could not run the Python interpreter ${interpreter.command} (from ` +
    `${interpreter.source}): ${detail}. Set "splice.python" to a Python that has splice installed.`
  );
}

/** The shell line for "Start Kernel in Terminal": run the file if there is one, else a REPL. */
export function kernelCommandLine(python: string, file?: string): string {
  const prefix = `${shellQuote(python)} -m splice`;
  return file ? `${prefix} run ${shellQuote(file)}` : `${prefix} kernel`;
}
