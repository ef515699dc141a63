// Scenario "bundled": install the .vsix into a fresh profile, point it at a bare
// venv (nothing installed: no splice, no pygls), run the file with "Splice: Run
// Current File with Kernel", save an edit, and see the program change
// behaviour: the file it writes and its output in the terminal.
import fs from "node:fs";
import path from "node:path";
import {
  check,
  closeEditor,
  evaluate,
  here,
  inTemporaryFolder,
  lineOf,
  log,
  makeBareVenv,
  openEditor,
  openFile,
  replaceLine,
  reportFailure,
  runCommand,
  screenshot,
  userSettings,
  waitFor,
  waitForStatusBar,
} from "./harness.mjs";

function connectionFiles(runtimeDir) {
  return fs.readdirSync(runtimeDir).filter((name) => /^kernel-\d+\.json$/.test(name));
}

export async function bundledScenario() {
  await inTemporaryFolder("bundled", async (root) => {
    const runtimeDir = path.join(root, "runtime");
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const workspace = path.join(root, "project");
    fs.mkdirSync(workspace);
    const program = path.join(workspace, "live.py");
    fs.copyFileSync(path.join(here, "live.py"), program);
    const output = path.join(workspace, "greeting.txt");
    const readOutput = () => (fs.existsSync(output) ? fs.readFileSync(output, "utf8") : "");
    const bare = makeBareVenv(path.join(root, "bare-venv"));
    log(`bare interpreter: ${bare}`);

    let editor;
    let kernelPid;
    try {
      editor = await openEditor(root, workspace, userSettings(bare), { SPLICE_RUNTIME_DIR: runtimeDir });
      const page = editor.page;
      await openFile(page, "live.py", "def greeting");
      // The language server runs from the bundle with the bare interpreter.
      log(`server up: ${await waitForStatusBar(page, /splice: no kernel/, 45_000)}`);

      const asked = Date.now();
      await runCommand(page, "Splice: Run Current File with Kernel");
      await waitFor("the program to write greeting.txt", () => readOutput() === "hello", { timeoutMs: 30_000, describe: readOutput });
      const status = await waitForStatusBar(page, /splice: 1 kernel/, 15_000);
      log(`attached ${Date.now() - asked} ms after the command: ${status}`);
      const [connectionFile] = connectionFiles(runtimeDir);
      check(connectionFile, "the program listens but left no connection file");
      kernelPid = Number(/\d+/.exec(connectionFile)[0]);
      const target = path.join(runtimeDir, connectionFile);
      check(evaluate(target, "sys.executable") === `'${bare}'`, `the program runs on ${evaluate(target, "sys.executable")}, not ${bare}`);
      check(
        evaluate(target, "sorted(name for name in ('pygls', 'lsprotocol', 'parso') if name in sys.modules)") === "[]",
        "the language server's dependencies were loaded into the program",
      );

      await page.locator(".monaco-editor .view-lines").first().click();
      await replaceLine(page, lineOf(program, 'return "hello"'), 'return "patched live"');
      await page.keyboard.press("Control+S");
      await waitFor("the running program to write the new greeting", () => readOutput() === "patched live", {
        timeoutMs: 15_000,
        describe: readOutput,
      });
      log("the program now writes: patched live");
      log(`status bar: ${await waitForStatusBar(page, /splice: 1 kernel, patched 1 in [\d.]+ ms/, 10_000)}`);
      // Its own print, in the terminal the command opened.
      await waitFor("the terminal to show the new greeting", () => page.locator(".terminal-wrapper .xterm-rows", { hasText: "greeting: patched live" }).count(), {
        timeoutMs: 10_000,
        describe: () => page.locator(".terminal-wrapper .xterm-rows").first().innerText().catch(() => "no terminal"),
      });
      log("terminal: greeting: patched live");
      await screenshot(page, "vscode-run.png");
    } catch (error) {
      await reportFailure(editor);
      throw error;
    } finally {
      await closeEditor(editor);
      // The terminal's shell is not in code-server's process group.
      if (kernelPid) {
        try {
          process.kill(kernelPid, "SIGTERM");
        } catch {
          // already gone with its terminal
        }
      }
    }
  });
}
