import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import {
  checkPython,
  kernelCommandLine,
  launcherPath,
  resolveInterpreter,
  serverArguments,
  shellQuote,
  unusableMessage,
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

test("test_python_check_accepts_a_bare_interpreter", async () => {
  // A fresh venv has nothing installed: the extension brings splice itself.
  const venv = fs.mkdtempSync(path.join(os.tmpdir(), "splice-bare-venv-"));
  try {
    execFileSync(splicePython() ?? "python3", ["-m", "venv", "--without-pip", venv]);
    const check = await checkPython(path.join(venv, "bin", "python"));
    assert.equal(check.kind, "ok");
    assert.match(check.kind === "ok" ? check.version : "", /^3\.(1\d|[2-9]\d)$/);
  } finally {
    fs.rmSync(venv, { recursive: true, force: true });
  }
});

test("test_python_check_reports_a_too_old_interpreter", async () => {
  // No Python older than 3.10 is installed here: a stand-in answers as Python 3.8 would.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "splice-old-python-"));
  const python = path.join(folder, "python3.8");
  fs.writeFileSync(python, "#!/bin/sh\nprintf 3.8\n", { mode: 0o755 });
  try {
    assert.deepEqual(await checkPython(python), { kind: "too-old", version: "3.8" });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("test_python_check_reports_a_missing_interpreter", async () => {
  const result = await checkPython("/nonexistent/bin/python");
  assert.deepEqual(result, { kind: "no-interpreter", detail: "ENOENT" });
});

test("test_python_too_old_message_says_what_to_do", () => {
  const message = unusableMessage({ command: "/usr/bin/python3", source: "default" }, { kind: "too-old", version: "3.8" });
  assert.equal(
    message,
    "Splice needs Python 3.10 or newer, and /usr/bin/python3 (from default) is Python 3.8. " +
      'Select a Python 3.10+ interpreter (Python: Select Interpreter) or set "splice.python" to one; ' +
      "nothing needs to be installed into it.",
  );
});

test("test_python_messages_never_suggest_installing_a_package", () => {
  const interpreter = { command: "python3", source: "default" } as const;
  for (const check of [
    { kind: "too-old", version: "3.9" },
    { kind: "no-interpreter", detail: "ENOENT" },
  ] as const) {
    assert.doesNotMatch(unusableMessage(interpreter, check) ?? "", /pip|install splice/);
  }
  assert.equal(unusableMessage(interpreter, { kind: "ok", version: "3.12" }), undefined);
});

test("test_python_kernel_command_line_runs_the_file_with_the_bundled_launcher", () => {
  const launcher = "/ext/bundled/tool/splice_launcher.py";
  assert.equal(kernelCommandLine("python3", launcher, "/work/it's.py"), `python3 ${launcher} run '/work/it'\\''s.py'`);
  assert.equal(kernelCommandLine("/venv/bin/python", launcher), `/venv/bin/python ${launcher} kernel`);
});

test("test_python_server_runs_from_the_bundled_launcher", () => {
  assert.deepEqual(serverArguments(launcherPath("/ext")), ["/ext/bundled/tool/splice_launcher.py", "lsp"]);
});

test("test_python_shell_quote_leaves_plain_paths_alone", () => {
  assert.equal(shellQuote("/usr/bin/python3"), "/usr/bin/python3");
});
