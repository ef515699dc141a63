// The `splice/status` notification, and how the status bar item shows it.
// Pure: the vscode glue lives in statusBar.ts. The counts come from the
// server's structured fields; its `summary` strings are shown, never parsed.

export interface KernelStatus {
  pid: number;
  program: string | null;
  cwd: string;
  attached: boolean;
  /** The program's first process (its own pid for a lone kernel); absent from older servers. */
  rootPid?: number;
  parentPid?: number;
  /** "main", "fork", "spawn" or "subprocess". */
  role?: string;
}

/** One program the server follows: its attached processes (`programs` in splice/status). */
export interface ProgramStatus {
  rootPid: number;
  program: string;
  processes: number;
  pids: number[];
}

/** One kernel's answer to the last patch. */
export interface KernelPatchStatus {
  pid: number;
  program: string;
  ok: boolean;
  summary: string;
  error: string | null;
}

/** `lastPatch`: the shape docs/lsp.md documents. */
export interface PatchStatus {
  uri: string;
  /** Every kernel applied it. */
  ok: boolean;
  /** For people; never parsed. */
  summary: string;
  durationMs: number;
  /** Definitions changed, added, deleted or rebound, counted once across kernels. */
  patched: number;
  changed: string[];
  added: string[];
  deleted: string[];
  rebound: string[];
  /** 1-based lines of top-level statements that were not run. */
  statementsSkipped: number[];
  warnings: number;
  errors: number;
  kernels: KernelPatchStatus[];
}

/** Params of the server's `splice/status` notification. */
export interface SpliceStatus {
  ready: boolean;
  kernels: KernelStatus[];
  lastPatch: PatchStatus | null;
  message: string;
  /** Absent from older servers: the kernels are then grouped here by rootPid. */
  programs?: ProgramStatus[];
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

function describePatch(patch: PatchStatus): string {
  const duration = formatDuration(patch.durationMs);
  if (!patch.ok) {
    return `refused (${duration})`;
  }
  // A server older than the structured lastPatch sends no count: say less, guess nothing.
  if (typeof patch.patched !== "number") {
    return `patched in ${duration}`;
  }
  return patch.patched === 0 ? `nothing to patch (${duration})` : `patched ${patch.patched} in ${duration}`;
}

function describeKernel(kernel: KernelStatus): string {
  const program = kernel.program ?? "python";
  return kernel.role && kernel.role !== "main" ? `${program}, ${kernel.role}` : program;
}

function fileName(uri: string): string {
  const last = uri.split("/").pop() ?? uri;
  return decodeURIComponent(last);
}

/** The attached kernels by program: the server's `programs`, or grouped by rootPid. */
export function programsOf(status: SpliceStatus): ProgramStatus[] {
  if (status.programs) {
    return status.programs;
  }
  const groups = new Map<number, ProgramStatus>();
  for (const kernel of status.kernels.filter((item) => item.attached)) {
    // 0 (an agent from before process trees) means the kernel is its own program.
    const root = kernel.rootPid !== undefined && kernel.rootPid > 0 ? kernel.rootPid : kernel.pid;
    const group = groups.get(root) ?? { rootPid: root, program: kernel.program ?? "", processes: 0, pids: [] };
    group.pids.push(kernel.pid);
    group.processes += 1;
    if (kernel.pid === root && kernel.program) {
      group.program = kernel.program;
    }
    groups.set(root, group);
  }
  return [...groups.values()];
}

/** "splice: 2 kernels", or "splice: app.py (3 processes)" for one program of several processes. */
function describeKernels(status: SpliceStatus, attached: number): string {
  if (attached === 0) {
    return "splice: no kernel";
  }
  const programs = programsOf(status);
  if (programs.every((program) => program.processes === 1)) {
    return `splice: ${plural(attached, "kernel")}`;
  }
  if (programs.length === 1) {
    return `splice: ${programs[0].program || "python"} (${processes(programs[0].processes)})`;
  }
  return `splice: ${plural(programs.length, "program")} (${processes(attached)})`;
}

function processes(count: number): string {
  return `${count} ${count === 1 ? "process" : "processes"}`;
}

/** The status bar item for a status; undefined while the server starts. */
export function describeStatus(status: SpliceStatus | undefined): StatusView {
  if (!status?.ready) {
    return {
      text: "$(sync~spin) splice: starting",
      tooltip: status?.message || "The splice language server is starting.",
      warning: false,
    };
  }
  const attached = status.kernels.filter((kernel) => kernel.attached);
  let text = describeKernels(status, attached.length);
  if (status.lastPatch) {
    text += `, ${describePatch(status.lastPatch)}`;
  }
  const lines: string[] = [];
  if (status.message) {
    lines.push(status.message);
  }
  lines.push(
    attached.length === 0
      ? "No kernel attached. Start one with Splice: Run Current File with Kernel."
      : `Attached: ${attached.map((kernel) => `pid ${kernel.pid} (${describeKernel(kernel)})`).join(", ")}`,
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
