import * as assert from "node:assert/strict";
import { test } from "node:test";
import { countEngineSummary, countPatched, describeStatus, formatDuration, SpliceStatus } from "../src/status";

function status(overrides: Partial<SpliceStatus> = {}): SpliceStatus {
  return { ready: true, kernels: [], lastPatch: null, message: "", ...overrides };
}

const kernel = (pid: number, attached = true) => ({ pid, program: "app.py", cwd: "/work", attached });

test("test_status_before_the_first_notification_says_starting", () => {
  assert.match(describeStatus(undefined).text, /splice: starting/);
});

test("test_status_without_kernels_says_no_kernel", () => {
  assert.equal(describeStatus(status({ kernels: [kernel(1, false)] })).text, "splice: no kernel");
});

test("test_status_counts_only_attached_kernels", () => {
  const view = describeStatus(status({ kernels: [kernel(1), kernel(2), kernel(3, false)] }));
  assert.equal(view.text, "splice: 2 kernels");
  assert.equal(view.warning, false);
});

test("test_status_shows_patched_count_and_duration", () => {
  const view = describeStatus(
    status({
      kernels: [kernel(1), kernel(2)],
      lastPatch: {
        uri: "file:///work/app.py",
        ok: true,
        summary: "app.py (pid 1): patched 3 definitions in 4.2 ms",
        durationMs: 4.2,
        kernels: [],
      },
    }),
  );
  assert.equal(view.text, "splice: 2 kernels, patched 3 in 4.2 ms");
});

test("test_status_refused_patch_has_warning_look", () => {
  const view = describeStatus(
    status({
      kernels: [kernel(1)],
      lastPatch: {
        uri: "file:///work/app.py",
        ok: false,
        summary: "not patched app.py: C: bases changed (line 3); nothing was changed",
        durationMs: 2,
        kernels: [{ pid: 1, ok: false, summary: "not patched app.py: C: bases changed" }],
      },
    }),
  );
  assert.equal(view.warning, true);
  assert.equal(view.text, "splice: 1 kernel, refused (2 ms)");
  assert.match(view.tooltip, /pid 1: not patched app\.py/);
});

const patch = (summary: string, kernels: string[] = []) => ({
  summary,
  kernels: kernels.map((text, index) => ({ pid: index + 1, ok: true, summary: text })),
});

test("test_status_count_patched_reads_the_server_message", () => {
  assert.equal(countPatched(patch("app.py (pid 12): patched 3 definitions, ran 1 statement in 4 ms")), 3);
});

test("test_status_count_patched_prefers_the_server_count", () => {
  assert.equal(countPatched({ ...patch("app.py (pid 12): patched 1 definition in 1 ms"), patched: 7 }), 7);
});

test("test_status_count_patched_falls_back_to_kernel_summaries", () => {
  const kernels = ["patched app.py: f changed in 1.0 ms", "patched app.py: f changed, g added in 1.2 ms"];
  assert.equal(countPatched(patch("patched 2 of 2 kernels", kernels)), 2);
});

test("test_status_engine_summary_count_reads_and_more", () => {
  assert.equal(countEngineSummary("patched app.py: a, b, c and 2 more changed, d deleted in 1.0 ms"), 6);
});

test("test_status_engine_summary_count_ignores_skipped_statements", () => {
  assert.equal(countEngineSummary("patched app.py: f changed, 1 statement skipped (line 12) in 1.8 ms"), 1);
});

test("test_status_format_duration_rounds_like_people_read", () => {
  assert.equal(formatDuration(1.84), "1.8 ms");
  assert.equal(formatDuration(12.6), "13 ms");
});
