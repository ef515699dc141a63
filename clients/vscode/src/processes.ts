// The Python processes splice.attachProcess offers, as the quick pick shows them.
// Pure: the vscode glue lives in attachProcess.ts.

/** One entry of the server's splice.attachProcess answer (no argument). */
export interface PythonProcess {
  pid: number;
  command: string;
  python: string;
  /** It already runs a splice agent: attaching only connects the editor. */
  kernel: boolean;
}

export interface ProcessItem {
  label: string;
  description: string;
  detail?: string;
  pid: number;
}

/** Kernels last (they need no attach), then by pid, newest first. */
export function processItems(processes: PythonProcess[]): ProcessItem[] {
  return [...processes]
    .sort((a, b) => Number(a.kernel) - Number(b.kernel) || b.pid - a.pid)
    .map((process) => ({
      label: `pid ${process.pid}`,
      description: process.command,
      detail: process.kernel ? `Python ${process.python}, already running splice` : `Python ${process.python}`,
      pid: process.pid,
    }));
}
