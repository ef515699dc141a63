// Scenario "evaluate": with an interpreter that has nothing installed, Run Current
// File with Kernel starts the program; Splice: Evaluate (its keybinding) runs a
// selection and the result shows at the end of the line, what it printed stays
// out of the program's terminal; hovering a module-level name shows its live value.
import fs from "node:fs";
import path from "node:path";
import {
  check,
  closeEditor,
  here,
  inTemporaryFolder,
  lineOf,
  log,
  makeBareVenv,
  openEditor,
  openFile,
  reportFailure,
  runCommand,
  screenshot,
  userSettings,
  waitFor,
  waitForStatusBar,
} from "./harness.mjs";

/* global document, getComputedStyle -- these run in the page */
async function inlineTexts(page) {
  return page.evaluate(() => {
    const texts = [];
    for (const element of document.querySelectorAll(".monaco-editor .view-lines span")) {
      const content = getComputedStyle(element, "::after").content;
      if (content && content !== "none" && content !== "normal") {
        texts.push(content.replace(/^"|"$/g, "").replace(/\\"/g, '"'));
      }
    }
    return texts;
  });
}

export async function evaluateScenario() {
  await inTemporaryFolder("evaluate", async (root) => {
    const runtimeDir = path.join(root, "runtime");
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const workspace = path.join(root, "project");
    fs.mkdirSync(workspace);
    const appFile = path.join(workspace, "app.py");
    fs.copyFileSync(path.join(here, "app.py"), appFile);
    const bare = makeBareVenv(path.join(root, "bare-venv"));
    let editor;
    let kernelPid;
    const terminalText = () => editor.page.locator(".terminal-wrapper .xterm-rows").first().innerText().catch(() => "");
    try {
      editor = await openEditor(root, workspace, userSettings(bare), { SPLICE_RUNTIME_DIR: runtimeDir });
      const page = editor.page;
      await openFile(page, "app.py", "def greeting");
      log(`server up: ${await waitForStatusBar(page, /splice: no kernel/, 45_000)}`);
      await runCommand(page, "Splice: Run Current File with Kernel");
      log(`ready: ${await waitForStatusBar(page, /splice: 1 kernel/, 45_000)}`);
      const connectionFile = fs.readdirSync(runtimeDir).find((name) => /^kernel-\d+\.json$/.test(name));
      kernelPid = Number(/\d+/.exec(connectionFile)[0]);

      // A new line in the unsaved buffer, selected, evaluated with the keybinding.
      const lastLine = lineOf(appFile, "last = None");
      await page.locator(".monaco-editor .view-lines").first().click();
      await page.keyboard.press("Control+G");
      await page.keyboard.type(String(lastLine));
      await page.keyboard.press("Enter");
      await page.keyboard.press("End");
      await page.keyboard.press("Enter");
      await page.keyboard.type('print("from the editor"); greeting() + " world"');
      await page.keyboard.press("Shift+Home");
      await page.keyboard.press("Control+Alt+Enter");
      const shown = await waitFor("the inline result", async () => (await inlineTexts(page)).find((text) => text.includes("⇒")), {
        describe: async () => JSON.stringify(await inlineTexts(page)),
      });
      check(shown.includes("'hello world'"), `the inline result is ${shown}, not 'hello world'`);
      check(!(await terminalText()).includes("from the editor"), "the evaluation printed to the program's terminal");
      log(`inline result: ${shown}`);

      // Hover on `last` (a module-level name the running loop keeps setting).
      await page.keyboard.press("Control+G");
      await page.keyboard.type(String(lastLine));
      await page.keyboard.press("Enter");
      await page.keyboard.press("Home");
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      const hover = page.locator(".monaco-hover", { hasText: "live in pid" });
      await hover.first().waitFor({ timeout: 15_000 });
      const hoverText = (await hover.first().innerText()).replace(/\s+/g, " ");
      check(hoverText.includes("'hello'"), `the hover does not show the live value: ${hoverText}`);
      log(`hover: ${hoverText}`);
      await screenshot(page, "vscode-evaluate.png");
    } catch (error) {
      if (editor) {
        console.log(`----- terminal\n${await terminalText()}`);
      }
      await reportFailure(editor);
      throw error;
    } finally {
      await closeEditor(editor);
      if (kernelPid) {
        try {
          process.kill(kernelPid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  });
}
