import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { waitForKernel } from "../src/launch";
import { kernelArguments, LAUNCH_REPORT_VARIABLE } from "../src/python";
import { EXTENSION_DIR, REPO_ROOT, splicePython } from "./helpers";

/** A bundle laid out as in the .vsix (tool/, python.tar.gz holding splice/), splice being the checkout's, and a bare venv. */
function makeBundle(t: { after: (fn: () => void) => void }): { launcher: string; python: string; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "splice-launch-test-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "bundle", "tool"), { recursive: true });
  const launcher = path.join(root, "bundle", "tool", "splice_launcher.py");
  fs.copyFileSync(path.join(EXTENSION_DIR, "bundled", "tool", "splice_launcher.py"), launcher);
  // The launcher's archive, splice alone (a program needs nothing else): scripts/bundle_python.py takes longer.
  const archive = [
    "import sys, tarfile",
    "skip = lambda info: None if '__pycache__' in info.name else info",
    "with tarfile.open(sys.argv[1], 'w:gz') as archive: archive.add(sys.argv[2], 'splice/splice', filter=skip)",
  ].join("\n");
  const python = splicePython() ?? "python3";
  execFileSync(python, ["-c", archive, path.join(root, "bundle", "python.tar.gz"), path.join(REPO_ROOT, "server", "splice")]);
  execFileSync(python, ["-m", "venv", "--without-pip", path.join(root, "venv")]);
  fs.mkdirSync(path.join(root, "runtime"), { mode: 0o700 });
  return { launcher, python: path.join(root, "venv", "bin", "python"), root };
}

function launch(bundle: { launcher: string; python: string; root: string }, script: string) {
  const program = path.join(bundle.root, "program.py");
  fs.writeFileSync(program, script);
  const reportFile = path.join(bundle.root, "launch.json");
  const child = spawn(bundle.python, kernelArguments(bundle.launcher, program), {
    env: { ...process.env, [LAUNCH_REPORT_VARIABLE]: reportFile, SPLICE_RUNTIME_DIR: path.join(bundle.root, "runtime") },
    stdio: "ignore",
  });
  return { child, reportFile };
}

test("test_launch_reports_the_kernel_once_it_listens", async (t) => {
  const bundle = makeBundle(t);
  const { child, reportFile } = launch(bundle, "import time\nwhile True:\n    time.sleep(0.1)\n");
  t.after(() => child.kill("SIGKILL"));
  const kernel = await waitForKernel(reportFile, { timeoutMs: 20_000 });
  assert.ok(kernel, "the launched kernel was never reported");
  assert.equal(kernel.pid, child.pid);
  assert.equal(kernel.connectionFile, path.join(bundle.root, "runtime", `kernel-${child.pid}.json`));
  const connection = JSON.parse(fs.readFileSync(kernel.connectionFile, "utf8")) as { pid: number; executable: string };
  assert.equal(connection.pid, child.pid);
  assert.equal(connection.executable, bundle.python);
});

test("test_launch_gives_up_when_the_program_exits_before_listening", async (t) => {
  const bundle = makeBundle(t);
  const { child, reportFile } = launch(bundle, "def broken(:\n");
  t.after(() => child.kill("SIGKILL"));
  assert.equal(await waitForKernel(reportFile, { timeoutMs: 20_000 }), undefined);
  assert.notEqual(child.exitCode ?? (await new Promise((resolve) => child.on("exit", resolve))), 0);
});
