// The `splice/status` notification, and how the status bar item shows it.
// Pure: the vscode glue lives in statusBar.ts.

export interface KernelStatus {
  pid: number;
  program: string | null;
  cwd: string;
  attached: boolean;
}

export interface KernelPatchStatus {
  pid: number;
  ok: boolean;
  summary: string;
}

export interface PatchStatus {
  uri: string;
  ok: boolean;
  summary: string;
  durationMs: number;
  kernels: KernelPatchStatus[];
  /** Definitions changed, added, deleted or rebound; optional, else read from the summary. */
  patched?: number;
}

/** Params of the server's `splice/status` notification. */
export interface SpliceStatus {
  ready: boolean;
  kernels: KernelStatus[];
  lastPatch: PatchStatus | null;
  message: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  warning: boolean;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** "1.8 ms" below 10 ms, whole milliseconds above, as people read durations. */
export function formatDuration(ms: number): string {
  return ms < 10 ? `${Math.round(ms * 10) / 10} ms` : `${Math.round(ms)} ms`;
}

// A group of an engine summary: "f, g and 2 more changed" (PatchResult.summary()).
const PATCHED_GROUP = /((?:[\w.<>]+, )*[\w.<>]+)(?: and (\d+) more)? (?:changed|added|deleted|rebound)\b/g;

/** Definitions an engine summary ("patched app.py: f, g changed in 1.8 ms") names as patched. */
export function countEngineSummary(summary: string): number | undefined {
  const match = /^patched [^:]+: (.*)$/.exec(summary.trim());
  if (!match) {
    return undefined;
  }
  let count = 0;
  for (const group of match[1].matchAll(PATCHED_GROUP)) {
    count += group[1].split(", ").length + Number(group[2] ?? 0);
  }
  return count;
}

/**
 * How many definitions a patch touched: the server's count when it sends one,
 * else its "patched 3 definitions" message, else the kernels' engine summaries.
 */
export function countPatched(patch: Pick<PatchStatus, "summary" | "kernels" | "patched">): number | undefined {
  if (typeof patch.patched === "number") {
    return patch.patched;
  }
  const message = /\bpatched (\d+) definitions?\b/.exec(patch.summary);
  if (message) {
    return Number(message[1]);
  }
  const counts = patch.kernels
    .filter((kernel) => kernel.ok)
    .map((kernel) => countEngineSummary(kernel.summary))
    .filter((count): count is number => count !== undefined);
  return counts.length > 0 ? Math.max(...counts) : undefined;
}

function describePatch(patch: PatchStatus): string {
  const duration = formatDuration(patch.durationMs);
  if (!patch.ok) {
    return `refused (${duration})`;
  }
  const count = countPatched(patch);
  if (count === 0) {
    return `nothing to patch (${duration})`;
  }
  return count === undefined ? `patched in ${duration}` : `patched ${count} in ${duration}`;
}

function fileName(uri: string): string {
  const last = uri.split("/").pop() ?? uri;
  return decodeURIComponent(last);
}

/** The status bar item for a status; undefined while the server starts. */
export function describeStatus(status: SpliceStatus | undefined): StatusView {
  if (!status || !status.ready) {
    return {
      text: "$(sync~spin) splice: starting",
      tooltip: status?.message || "The splice language server is starting.",
      warning: false,
    };
  }
  const attached = status.kernels.filter((kernel) => kernel.attached);
  let text = attached.length === 0 ? "splice: no kernel" : `splice: ${plural(attached.length, "kernel")}`;
  if (status.lastPatch) {
    text += `, ${describePatch(status.lastPatch)}`;
  }
  const lines: string[] = [];
  if (status.message) {
    lines.push(status.message);
  }
  lines.push(
    attached.length === 0
      ? "No kernel attached. Start one with Splice: Start Kernel in Terminal."
      : `Attached: ${attached.map((kernel) => `pid ${kernel.pid} (${kernel.program ?? "python"})`).join(", ")}`,
  );
  if (status.lastPatch) {
    lines.push(`Last patch of ${fileName(status.lastPatch.uri)}: ${status.lastPatch.summary}`);
    for (const kernel of status.lastPatch.kernels) {
      lines.push(`  pid ${kernel.pid}: ${kernel.summary}`);
    }
  }
  lines.push("Click for details.");
  return { text, tooltip: lines.join("\n"), warning: status.lastPatch?.ok === false };
}
