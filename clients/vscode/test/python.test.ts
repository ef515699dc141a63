import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import {
  checkSplice,
  kernelCommandLine,
  missingSpliceMessage,
  resolveInterpreter,
  shellQuote,
} from "../src/python";
import { splicePython } from "./helpers";

test("test_python_setting_wins_over_the_python_extension", async () => {
  const interpreter = await resolveInterpreter("/opt/py/bin/python", () => Promise.resolve("/usr/bin/python3.12"));
  assert.deepEqual(interpreter, { command: "/opt/py/bin/python", source: "splice.python" });
});

test("test_python_extension_choice_is_used_without_setting", async () => {
  const interpreter = await resolveInterpreter("", () => Promise.resolve("/venv/bin/python"));
  assert.deepEqual(interpreter, { command: "/venv/bin/python", source: "Python extension" });
});

test("test_python_falls_back_to_python3_when_the_extension_fails", async () => {
  const interpreter = await resolveInterpreter("", () => Promise.reject(new Error("Python extension failed to activate")));
  assert.deepEqual(interpreter, { command: "python3", source: "default" });
});

test("test_python_check_finds_splice_installed", async (t) => {
  const python = splicePython();
  if (!python) {
    t.skip("no Python with splice installed (set SPLICE_TEST_PYTHON)");
    return;
  }
  assert.deepEqual(await checkSplice(python), { kind: "ok" });
});

test("test_python_check_reports_splice_missing", async () => {
  // A fresh venv of the same Python sees neither the project's packages nor the system's.
  const venv = fs.mkdtempSync(path.join(os.tmpdir(), "splice-bare-venv-"));
  try {
    execFileSync(splicePython() ?? "python3", ["-m", "venv", "--without-pip", venv]);
    assert.deepEqual(await checkSplice(path.join(venv, "bin", "python")), { kind: "missing" });
  } finally {
    fs.rmSync(venv, { recursive: true, force: true });
  }
});

test("test_python_check_reports_a_missing_interpreter", async () => {
  const result = await checkSplice("/nonexistent/bin/python");
  assert.deepEqual(result, { kind: "no-interpreter", detail: "ENOENT" });
});

test("test_python_missing_message_names_the_install_command", () => {
  const message = missingSpliceMessage({ command: "/home/me/my env/bin/python", source: "splice.python" });
  assert.match(message, /Install it with: '\/home\/me\/my env\/bin\/python' -m pip install splice/);
});

test("test_python_kernel_command_line_runs_the_file", () => {
  assert.equal(kernelCommandLine("python3", "/work/it's.py"), `python3 -m splice run '/work/it'\\''s.py'`);
  assert.equal(kernelCommandLine("/venv/bin/python"), "/venv/bin/python -m splice kernel");
});

test("test_python_shell_quote_leaves_plain_paths_alone", () => {
  assert.equal(shellQuote("/usr/bin/python3"), "/usr/bin/python3");
});
