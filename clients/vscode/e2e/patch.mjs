// Scenario "patch": a program started outside the editor (`python -m splice run
// app.py`) is attached by itself, patched on save and from an unsaved buffer;
// then the kernel list, a bad setting, and an interpreter that does not exist.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  check,
  closeEditor,
  config,
  evaluate,
  here,
  inTemporaryFolder,
  lineOf,
  log,
  openEditor,
  openFile,
  replaceLine,
  replaceUserSettings,
  reportFailure,
  runCommand,
  screenshot,
  sleep,
  statusBarText,
  toasts,
  userSettings,
  waitFor,
  waitForKernelValue,
  waitForStatusBar,
} from "./harness.mjs";

/** Starts `python -m splice run app.py` and waits for its connection file. */
async function startKernel(workspace, runtimeDir) {
  const kernel = spawn(config.python, ["-m", "splice", "run", "app.py"], {
    cwd: workspace,
    env: { ...process.env, SPLICE_RUNTIME_DIR: runtimeDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  kernel.stdout.on("data", (chunk) => (output += chunk));
  kernel.stderr.on("data", (chunk) => (output += chunk));
  const connectionFile = path.join(runtimeDir, `kernel-${kernel.pid}.json`);
  await waitFor("the kernel's connection file", () => kernel.exitCode === null && fs.existsSync(connectionFile), {
    describe: () => (kernel.exitCode === null ? "no connection file yet" : `kernel exited ${kernel.exitCode}: ${output}`),
  });
  return { process: kernel, connectionFile, output: () => output };
}

export async function patchScenario() {
  await inTemporaryFolder("patch", async (root) => {
    const runtimeDir = path.join(root, "runtime");
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const workspace = path.join(root, "project");
    fs.mkdirSync(workspace);
    const appFile = path.join(workspace, "app.py");
    fs.copyFileSync(path.join(here, "app.py"), appFile);
    const returnLine = lineOf(appFile, 'return "hello"');

    let kernel;
    let editor;
    try {
      kernel = await startKernel(workspace, runtimeDir);
      const target = kernel.connectionFile;
      log(`kernel pid ${kernel.process.pid} running app.py`);
      check(evaluate(target, "greeting()") === "'hello'", "the program does not start with greeting() == 'hello'");

      // The editor's language server must find the kernel the test starts.
      editor = await openEditor(root, workspace, userSettings(config.python), { SPLICE_RUNTIME_DIR: runtimeDir });
      const page = editor.page;
      // The extension activates when a Python file opens.
      await openFile(page, "app.py", "def greeting");
      // Readiness: the server's splice/status says it attached the kernel.
      log(`ready: ${await waitForStatusBar(page, /splice: 1 kernel/, 45_000)}`);

      await page.locator(".monaco-editor .view-lines").click();
      await replaceLine(page, returnLine, 'return "patched on save"');
      await page.keyboard.press("Control+S");
      await waitFor("app.py to be saved", () => fs.readFileSync(appFile, "utf8").includes("patched on save"));
      await waitForKernelValue(target, "greeting()", "'patched on save'");
      await waitForKernelValue(target, "last", "'patched on save'");

      await replaceLine(page, returnLine, 'return "reloaded at cursor"');
      await runCommand(page, "Splice: Reload Function at Cursor");
      await waitForKernelValue(target, "greeting()", "'reloaded at cursor'");
      check(
        !fs.readFileSync(appFile, "utf8").includes("reloaded at cursor"),
        "Reload Function at Cursor saved the file; it must send the unsaved buffer",
      );
      log(`status bar: ${await waitForStatusBar(page, /splice: 1 kernel, patched 1 in [\d.]+ ms/, 10_000)}`);
      await screenshot(page, "vscode.png");

      // A patch that went through pops up nothing (splice.showNotifications is
      // onWarning); one that leaves a top-level statement unrun does.
      await sleep(500);
      const quiet = await page.locator(".notifications-toasts .notification-list-item-message", { hasText: "splice: patched" }).count();
      check(quiet === 0, `a patch that went through popped up ${quiet} notification(s)`);
      await replaceLine(page, lineOf(appFile, "last = None"), "last = time.time()");
      await page.keyboard.press("Control+S");
      log(`partly applied: "${(await toasts(page, "statement skipped"))[0]}"`);

      // The kernel list comes from the server's splice.listKernels.
      await runCommand(page, "Splice: Attach to Kernel...");
      const row = page.locator(".quick-input-list .monaco-list-row", { hasText: `pid ${kernel.process.pid}: app.py` });
      await row.first().waitFor({ timeout: 10_000 });
      log(`attach quick pick: ${(await row.first().innerText()).replace(/\s+/g, " ")}`);
      await page.keyboard.press("Escape");

      // The extension forwards settings untouched; the server validates them, names
      // the bad one in a message, keeps its default and goes on serving.
      await replaceUserSettings(page, { ...userSettings(config.python), "splice.deleteRemoved": "sometimes" });
      log(`bad setting: "${(await toasts(page, "deleteRemoved"))[0]}"`);
      check(/splice: 1 kernel/.test(await statusBarText(page)), `the server stopped serving after a bad setting: ${await statusBarText(page)}`);

      // An interpreter that does not exist: changing splice.python restarts the
      // server, and one message says what to do (and suggests installing nothing).
      const missing = path.join(root, "no-such-venv", "bin", "python");
      await replaceUserSettings(page, userSettings(missing));
      const expected =
        `Splice could not run the Python interpreter ${missing} (from splice.python): ENOENT. ` +
        'Select a Python 3.10+ interpreter (Python: Select Interpreter) or set "splice.python" to one; ' +
        "nothing needs to be installed into it.";
      const shown = await toasts(page, "Splice could not run");
      check(shown.length === 1 && shown[0] === expected, `expected one message "${expected}", got ${JSON.stringify(shown)}`);
      await waitForStatusBar(page, /splice: no Python/);
      log(`missing interpreter: "${shown[0]}"`);
    } catch (error) {
      if (kernel) {
        console.log(`----- kernel output\n${kernel.output()}`);
      }
      await reportFailure(editor);
      throw error;
    } finally {
      await closeEditor(editor);
      kernel?.process.kill("SIGTERM");
    }
  });
}
