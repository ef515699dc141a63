// Following a kernel started in a terminal: the bundled launcher writes its pid
// and connection file to $SPLICE_LAUNCH_REPORT, and the extension attaches as
// soon as that file exists, whatever the auto-attach policy. Node-only, so the
// unit tests run it against the real launcher.
import * as fs from "node:fs";

export interface LaunchedKernel {
  pid: number;
  connectionFile: string | null;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** True once nobody wants the answer any more (the terminal was closed). */
  cancelled?: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readReport(reportFile: string): LaunchedKernel | undefined {
  try {
    const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as Partial<LaunchedKernel>;
    if (typeof report.pid === "number") {
      return { pid: report.pid, connectionFile: typeof report.connectionFile === "string" ? report.connectionFile : null };
    }
  } catch {
    // Not written yet: the launcher renames it into place when complete.
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The kernel the launcher reported, once it listens (its connection file exists);
 * undefined if it exits first, the wait is cancelled, or timeoutMs passes.
 */
export async function waitForKernel(reportFile: string, options: WaitOptions = {}): Promise<LaunchedKernel | undefined> {
  const { timeoutMs = 60_000, intervalMs = 50, cancelled = () => false } = options;
  const deadline = Date.now() + timeoutMs;
  let kernel: LaunchedKernel | undefined;
  while (Date.now() < deadline && !cancelled()) {
    kernel ??= readReport(reportFile);
    if (kernel) {
      if (!alive(kernel.pid)) {
        return undefined;
      }
      if (kernel.connectionFile === null || fs.existsSync(kernel.connectionFile)) {
        return kernel;
      }
    }
    await sleep(intervalMs);
  }
  return undefined;
}
