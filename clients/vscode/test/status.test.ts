import * as assert from "node:assert/strict";
import { test } from "node:test";
import { describeStatus, formatDuration, PatchStatus, SpliceStatus } from "../src/status";

function status(overrides: Partial<SpliceStatus> = {}): SpliceStatus {
  return { ready: true, kernels: [], lastPatch: null, message: "", ...overrides };
}

const kernel = (pid: number, attached = true) => ({ pid, program: "app.py", cwd: "/work", attached });

/** A lastPatch in the shape docs/lsp.md documents: one kernel patched f. */
function patch(overrides: Partial<PatchStatus> = {}): PatchStatus {
  return {
    uri: "file:///work/app.py",
    ok: true,
    summary: "app.py (pid 1): patched 1 definition in 1.8 ms",
    durationMs: 1.8,
    patched: 1,
    changed: ["f"],
    added: [],
    deleted: [],
    rebound: [],
    statementsSkipped: [],
    warnings: 0,
    errors: 0,
    kernels: [{ pid: 1, program: "app.py", ok: true, summary: "patched app.py: f changed in 1.8 ms", error: null }],
    ...overrides,
  };
}

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
  const view = describeStatus(status({ kernels: [kernel(1), kernel(2)], lastPatch: patch({ patched: 3, durationMs: 4.2 }) }));
  assert.equal(view.text, "splice: 2 kernels, patched 3 in 4.2 ms");
});

test("test_status_count_is_the_server_field_not_the_summary", () => {
  // The summary says 1 definition; only the structured count is read.
  const view = describeStatus(status({ kernels: [kernel(1)], lastPatch: patch({ patched: 7 }) }));
  assert.equal(view.text, "splice: 1 kernel, patched 7 in 1.8 ms");
});

test("test_status_patch_that_changed_nothing_says_nothing_to_patch", () => {
  const lastPatch = patch({ patched: 0, changed: [], summary: "app.py (pid 1): nothing to patch", durationMs: 12.4 });
  assert.equal(describeStatus(status({ kernels: [kernel(1)], lastPatch })).text, "splice: 1 kernel, nothing to patch (12 ms)");
});

test("test_status_without_a_count_from_an_older_server_says_patched", () => {
  // The extension and the pip-installed server are upgraded separately.
  const { uri, ok, summary, durationMs, kernels } = patch();
  const lastPatch = { uri, ok, summary, durationMs, kernels } as unknown as PatchStatus;
  assert.equal(describeStatus(status({ kernels: [kernel(1)], lastPatch })).text, "splice: 1 kernel, patched in 1.8 ms");
});

test("test_status_refused_patch_has_warning_look", () => {
  const lastPatch = patch({
    ok: false,
    summary: "not patched app.py: C: bases changed (line 3); nothing was changed",
    durationMs: 2,
    patched: 0,
    changed: [],
    errors: 1,
    kernels: [{ pid: 1, program: "app.py", ok: false, summary: "not patched app.py: C: bases changed", error: null }],
  });
  const view = describeStatus(status({ kernels: [kernel(1)], lastPatch }));
  assert.equal(view.warning, true);
  assert.equal(view.text, "splice: 1 kernel, refused (2 ms)");
  assert.match(view.tooltip, /pid 1: not patched app\.py/);
});

test("test_status_tooltip_shows_the_summaries_as_sent", () => {
  const view = describeStatus(status({ kernels: [kernel(1)], lastPatch: patch(), message: "app.py (pid 1): patched 1 definition in 1.8 ms" }));
  assert.match(view.tooltip, /^app\.py \(pid 1\): patched 1 definition in 1\.8 ms$/m);
  assert.match(view.tooltip, /^Last patch of app\.py: app\.py \(pid 1\): patched 1 definition in 1\.8 ms$/m);
  assert.match(view.tooltip, /^ {2}pid 1: patched app\.py: f changed in 1\.8 ms$/m);
});

test("test_status_format_duration_rounds_like_people_read", () => {
  assert.equal(formatDuration(1.84), "1.8 ms");
  assert.equal(formatDuration(12.6), "13 ms");
});

const member = (pid: number, rootPid: number, role: string, program = "-m gunicorn") => ({
  pid,
  program,
  cwd: "/work",
  attached: true,
  rootPid,
  parentPid: rootPid === pid ? 1 : rootPid,
  role,
});

test("test_status_one_program_of_several_processes_is_one_program", () => {
  const kernels = [member(10, 10, "main"), member(11, 10, "fork"), member(12, 10, "fork")];
  const view = describeStatus(status({ kernels }));
  assert.equal(view.text, "splice: -m gunicorn (3 processes)");
  assert.match(view.tooltip, /pid 11 \(-m gunicorn, fork\)/);
});

test("test_status_reads_the_servers_programs_when_it_sends_them", () => {
  const kernels = [member(11, 10, "fork"), member(12, 10, "fork")];
  const programs = [{ rootPid: 10, program: "app.py", processes: 2, pids: [11, 12] }];
  assert.equal(describeStatus(status({ kernels, programs })).text, "splice: app.py (2 processes)");
});

test("test_status_several_programs_count_programs_and_processes", () => {
  const kernels = [member(10, 10, "main"), member(11, 10, "fork"), member(20, 20, "main", "app.py")];
  const view = describeStatus(status({ kernels, lastPatch: patch({ patched: 1 }) }));
  assert.equal(view.text, "splice: 2 programs (3 processes), patched 1 in 1.8 ms");
});
