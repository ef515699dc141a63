// What every end-to-end scenario needs: a real code-server 4.100.3 with the
// .vsix installed into a fresh profile, driven by Debian's chromium through
// playwright-core, and ways to ask a running program (not the editor) what it
// runs. Nothing here downloads anything: see scripts/install-e2e.sh.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, "..");
export const repoRoot = path.resolve(extensionDir, "..", "..");
const toolsDir =
  process.env.SPLICE_E2E_TOOLS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "splice-e2e");
const venvPython = path.join(repoRoot, ".venv", "bin", "python");

export const config = {
  // The test's own Python, with splice: it asks the running programs for values.
  python: process.env.SPLICE_E2E_PYTHON ?? (fs.existsSync(venvPython) ? venvPython : "python3"),
  codeServer: process.env.SPLICE_CODE_SERVER ?? path.join(toolsDir, "node_modules", ".bin", "code-server"),
  chromium: process.env.SPLICE_CHROMIUM ?? "/usr/bin/chromium",
  vsix: process.env.SPLICE_VSIX ?? path.join(extensionDir, "splice.vsix"),
  screenshots: process.env.SPLICE_E2E_SCREENSHOTS ?? path.join(repoRoot, "docs", "editors"),
  keep: process.env.SPLICE_E2E_KEEP === "1",
};

const started = Date.now();
export const log = (message) => console.log(`e2e [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
export const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) {
    throw new Failure(message);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls probe() until it returns a truthy value; fails with describe(last value) after timeoutMs. */
export async function waitFor(what, probe, { timeoutMs = 20_000, intervalMs = 200, describe = String } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last?.ok ?? last) {
      return last;
    }
    if (Date.now() > deadline) {
      throw new Failure(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${await describe(last)}`);
    }
    await sleep(intervalMs);
  }
}

export function checkPrerequisites() {
  for (const [what, file] of [
    ["code-server (run scripts/install-e2e.sh)", config.codeServer],
    ["chromium (apt-get install chromium)", config.chromium],
    ["splice.vsix (npm run package)", config.vsix],
  ]) {
    check(fs.existsSync(file), `missing ${what}: ${file}`);
  }
  const probe = spawnSync(config.python, ["-c", "import splice.client.client"], { encoding: "utf8" });
  check(probe.status === 0, `${config.python} cannot import splice's kernel client: ${probe.stderr}`);
}

/** A Python with nothing installed: `python -m venv --without-pip`, checked to lack splice and pygls. */
export function makeBareVenv(folder) {
  const venv = spawnSync(config.python, ["-m", "venv", "--without-pip", folder], { encoding: "utf8" });
  check(venv.status === 0, `could not make a bare venv: ${venv.stderr}`);
  const python = path.join(folder, "bin", "python");
  for (const module of ["splice", "pygls"]) {
    const found = spawnSync(python, ["-c", `import ${module}`], { encoding: "utf8" });
    check(found.status !== 0, `the bare venv ${folder} can import ${module}`);
  }
  return python;
}

/** The repr of expression, evaluated in the running program's __main__ (pid or connection file). */
export function evaluate(target, expression) {
  const result = spawnSync(config.python, [path.join(here, "evaluate.py"), String(target), expression], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (result.status !== 0) {
    throw new Failure(`asking the kernel for ${expression} failed: ${result.stderr}`);
  }
  return result.stdout.trim();
}

export async function waitForKernelValue(target, expression, expected) {
  await waitFor(`the running program's ${expression} to be ${expected}`, () => evaluate(target, expression) === expected, {
    timeoutMs: 15_000,
    describe: () => evaluate(target, expression),
  });
  log(`kernel: ${expression} == ${expected}`);
}

export function userSettings(python) {
  return {
    "splice.python": python,
    "splice.logLevel": "debug",
    // Typed text must land verbatim.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoIndent": "none",
    "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
    "editor.suggestOnTriggerCharacters": false,
    "editor.acceptSuggestionOnEnter": "off",
    "editor.hover.enabled": false,
    "editor.minimap.enabled": false,
    "files.autoSave": "off",
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "terminal.integrated.enablePersistentSessions": false,
    // The DOM renderer: terminal text the test can read from the page.
    "terminal.integrated.gpuAcceleration": "off",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "extensions.ignoreRecommendations": true,
    "window.zoomLevel": 0,
  };
}

/**
 * A fresh profile in root (settings written before start: code-server does not
 * notice settings.json changing on disk), the .vsix installed into it,
 * code-server started and chromium showing `workspace`.
 */
export async function openEditor(root, workspace, settings, extraEnv = {}) {
  const userDataDir = path.join(root, "user-data");
  const extensionsDir = path.join(root, "extensions");
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_DATA_HOME: path.join(root, "data"),
    ...extraEnv,
  };
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
  const install = spawnSync(
    config.codeServer,
    ["--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", config.vsix],
    { env, encoding: "utf8", timeout: 60_000 },
  );
  check(
    install.status === 0 && /successfully installed/.test(install.stdout),
    `installing the .vsix failed: ${install.stdout}${install.stderr}`,
  );
  log("installed splice.vsix into a fresh profile");

  const editor = { root, userDataDir, page: undefined, context: undefined, server: undefined, output: () => "" };
  const server = spawn(
    config.codeServer,
    [
      "--auth", "none",
      "--bind-addr", "127.0.0.1:0",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--user-data-dir", userDataDir,
      "--extensions-dir", extensionsDir,
      workspace,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  editor.server = server;
  let output = "";
  server.stdout.on("data", (chunk) => (output += chunk));
  server.stderr.on("data", (chunk) => (output += chunk));
  editor.output = () => output;
  const found = await waitFor("code-server to listen", () => /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output), {
    timeoutMs: 30_000,
    describe: () => output.slice(-2000),
  });
  log(`code-server at ${found[1]}`);

  editor.context = await chromium.launchPersistentContext(path.join(root, "browser"), {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  editor.page = editor.context.pages()[0] ?? (await editor.context.newPage());
  await editor.page.goto(`${found[1]}/?folder=${encodeURIComponent(workspace)}`);
  await editor.page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  log("workbench loaded");
  return editor;
}

/** Closes the browser and code-server (its own process group: the extension host and the language server go too). */
export async function closeEditor(editor) {
  await editor?.context?.close().catch(() => undefined);
  if (editor?.server?.exitCode === null) {
    process.kill(-editor.server.pid, "SIGTERM");
  }
}

/** On failure: a screenshot, the status bar, code-server's output and the extension's logs. */
export async function reportFailure(editor) {
  if (!editor) {
    return;
  }
  if (editor.page) {
    const failureShot = path.join(editor.root, "failure.png");
    await editor.page.screenshot({ path: failureShot }).catch(() => undefined);
    console.log(`failure screenshot: ${failureShot}`);
    console.log(`status bar: ${await statusBarText(editor.page).catch(() => "?")}`);
  }
  console.log(`----- code-server output (last 3000 chars)\n${editor.output().slice(-3000)}`);
  printLogs(path.join(editor.userDataDir, "logs"));
}

export async function openFile(page, name, text) {
  await page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).first().click();
  await page.locator(".monaco-editor .view-lines", { hasText: text }).waitFor();
  log(`${name} open`);
}

export async function statusBarText(page) {
  return (await page.locator("#workbench\\.parts\\.statusbar").innerText()).replace(/\s+/g, " ");
}

export async function waitForStatusBar(page, pattern, timeoutMs = 20_000) {
  await waitFor(`the status bar to match ${pattern}`, async () => pattern.test(await statusBarText(page)), {
    timeoutMs,
    describe: () => statusBarText(page),
  });
  return (await statusBarText(page)).match(pattern)[0];
}

/** Selects the text of line `line` after its indentation and types `text` over it. */
export async function replaceLine(page, line, text) {
  await page.keyboard.press("Control+G");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.type(text);
}

/** The 1-based number of the first line of file containing text. */
export function lineOf(file, text) {
  const index = fs.readFileSync(file, "utf8").split("\n").findIndex((line) => line.includes(text));
  check(index >= 0, `${file} has no line with ${text}`);
  return index + 1;
}

export async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}

/** Rewrites the user settings as a user would: code-server does not notice settings.json changing on disk. */
export async function replaceUserSettings(page, settings) {
  await runCommand(page, "Preferences: Open User Settings (JSON)");
  await page.locator(".monaco-editor .view-lines", { hasText: "splice.logLevel" }).click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(JSON.stringify(settings, null, 2));
  await page.keyboard.press("Control+S");
}

/** The texts of the notification toasts containing text, whitespace collapsed. */
export async function toasts(page, text, timeoutMs = 20_000) {
  const toast = page.locator(".notifications-toasts .notification-list-item-message", { hasText: text });
  await toast.first().waitFor({ timeout: timeoutMs });
  return (await toast.allInnerTexts()).map((shown) => shown.replace(/\s+/g, " ").trim());
}

export async function screenshot(page, name) {
  await sleep(500); // let the message toasts finish fading in
  const file = path.join(config.screenshots, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  log(`screenshot: ${path.relative(process.cwd(), file)}`);
}

function printLogs(root) {
  const logs = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (/splice|exthost\.log/i.test(entry.name)) {
        logs.push(full);
      }
    }
  };
  if (fs.existsSync(root)) {
    walk(root);
  }
  for (const file of logs) {
    console.log(`----- ${file} (last 60 lines)`);
    console.log(fs.readFileSync(file, "utf8").split("\n").slice(-60).join("\n"));
  }
}

/** A temporary folder for one scenario, removed afterwards unless it failed or SPLICE_E2E_KEEP=1. */
export async function inTemporaryFolder(name, body) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `splice-vscode-e2e-${name}-`));
  let keep = config.keep;
  try {
    await body(root);
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    if (keep) {
      console.log(`kept ${root}`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}
