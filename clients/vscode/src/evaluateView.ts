// What an evaluation shows, as plain data: the text at the end of the line, the
// hover, what goes to the output channel. No vscode import, so it is unit-tested.

/** The server's answer to `splice.evaluate` (docs/editors/vscode.md). */
export interface EvaluationResult {
  ok: boolean;
  cancelled?: boolean;
  line: number;
  code?: string;
  value?: string | null;
  inline?: string;
  type?: string | null;
  truncated?: boolean;
  output?: string;
  error?: string;
  exception?: string | null;
  traceback?: string;
  kernel?: string | null;
  pid?: number | null;
  kernels?: number;
}

/** ` ⇒ 42`, `⇒ ✗ ZeroDivisionError: ...`, with the pid when several kernels run the file. */
export function inlineText(result: EvaluationResult): string {
  const where = (result.kernels ?? 1) > 1 && result.pid ? `  (pid ${result.pid})` : "";
  if (result.cancelled) {
    return ` ⇒ cancelled${where}`;
  }
  if (!result.ok) {
    return ` ⇒ ✗ ${result.inline ?? result.error ?? "failed"}${where}`;
  }
  return ` ⇒ ${result.inline ?? result.value ?? ""}${where}`;
}

/** The hover of an inline result, in Markdown: the full value, its type, what it printed. */
export function hoverMarkdown(result: EvaluationResult): string {
  const fence = (text: string, language = "text") => "```" + language + "\n" + text.replace(/```/g, "`\u200b``") + "\n```";
  const parts: string[] = [];
  if (result.ok && result.value !== null && result.value !== undefined) {
    parts.push(`**${result.type ?? "value"}**${result.truncated ? " (cut: too large to show whole)" : ""}`);
    parts.push(fence(result.value, "python"));
  } else if (!result.ok) {
    parts.push(`**${result.cancelled ? "cancelled" : result.error ?? "failed"}**`);
    if (result.traceback) {
      parts.push(fence(result.traceback));
    }
  }
  if (result.output) {
    parts.push("printed:", fence(result.output));
  }
  if (result.kernel) {
    parts.push(`in ${result.kernel}`);
  }
  return parts.join("\n\n");
}

/** The output channel's lines for one evaluation (its printed output, its traceback). */
export function channelText(result: EvaluationResult): string {
  const head = `>>> ${result.code ?? ""}`.replace(/\n/g, "\n... ");
  const lines = [`${head}${result.kernel ? `    # ${result.kernel}` : ""}`];
  if (result.output) {
    lines.push(result.output.replace(/\n$/, ""));
  }
  if (!result.ok) {
    lines.push(result.traceback ? result.traceback.replace(/\n$/, "") : result.error ?? "failed");
  } else if (result.value !== null && result.value !== undefined) {
    lines.push(result.value);
  }
  return lines.join("\n");
}
