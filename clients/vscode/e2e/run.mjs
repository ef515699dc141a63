// End-to-end test in a real VS Code: code-server 4.100.3 driven by Debian's
// chromium through playwright-core. A program runs under `splice run`; the test
// edits it in the editor and asks the running program (not the editor) whether
// it changed. Nothing here downloads anything: see scripts/install-e2e.sh.
//
// Environment: SPLICE_E2E_PYTHON (the Python with splice, for the kernel and
// splice.python), SPLICE_CODE_SERVER, SPLICE_E2E_TOOLS, SPLICE_CHROMIUM,
// SPLICE_VSIX, SPLICE_E2E_SCREENSHOT (where the screenshot goes), SPLICE_E2E_KEEP=1
// (keep the temporary folder).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, "..");
const repoRoot = path.resolve(extensionDir, "..", "..");
const toolsDir =
  process.env.SPLICE_E2E_TOOLS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "splice-e2e");
const venvPython = path.join(repoRoot, ".venv", "bin", "python");

const config = {
  python: process.env.SPLICE_E2E_PYTHON ?? (fs.existsSync(venvPython) ? venvPython : "python3"),
  codeServer: process.env.SPLICE_CODE_SERVER ?? path.join(toolsDir, "node_modules", ".bin", "code-server"),
  chromium: process.env.SPLICE_CHROMIUM ?? "/usr/bin/chromium",
  vsix: process.env.SPLICE_VSIX ?? path.join(extensionDir, "splice.vsix"),
  screenshot: process.env.SPLICE_E2E_SCREENSHOT ?? path.join(repoRoot, "docs", "editors", "vscode.png"),
  keep: process.env.SPLICE_E2E_KEEP === "1",
};

const TOTAL_TIMEOUT_MS = 150_000;
const started = Date.now();
const log = (message) => console.log(`e2e [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

class Failure extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new Failure(message);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls probe() until it returns a truthy value; fails with describe(last value) after timeoutMs. */
async function waitFor(what, probe, { timeoutMs = 20_000, intervalMs = 200, describe = String } = {}) {
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

function checkPrerequisites() {
  for (const [what, file] of [
    ["code-server (run scripts/install-e2e.sh)", config.codeServer],
    ["chromium (apt-get install chromium)", config.chromium],
    ["splice.vsix (npm run package)", config.vsix],
  ]) {
    check(fs.existsSync(file), `missing ${what}: ${file}`);
  }
  const probe = spawnSync(config.python, ["-c", "import splice.lsp.server, splice.client.client"], { encoding: "utf8" });
  check(probe.status === 0, `${config.python} cannot import splice's server and client: ${probe.stderr}`);
}

function makeWorkspace(root) {
  const workspace = path.join(root, "project");
  fs.mkdirSync(workspace);
  fs.copyFileSync(path.join(here, "app.py"), path.join(workspace, "app.py"));
  return workspace;
}

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

/** The repr of expression, evaluated in the running program's __main__. */
function evaluate(kernel, expression) {
  const result = spawnSync(config.python, [path.join(here, "evaluate.py"), kernel.connectionFile, expression], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (result.status !== 0) {
    throw new Failure(`asking the kernel for ${expression} failed: ${result.stderr}`);
  }
  return result.stdout.trim();
}

async function waitForKernelValue(kernel, expression, expected) {
  await waitFor(`the running program's ${expression} to be ${expected}`, () => evaluate(kernel, expression) === expected, {
    timeoutMs: 15_000,
    describe: () => evaluate(kernel, expression),
  });
  log(`kernel: ${expression} == ${expected}`);
}

function userSettings(python) {
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
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "extensions.ignoreRecommendations": true,
    "window.zoomLevel": 0,
  };
}

function writeUserSettings(userDataDir, python) {
  const settings = userSettings(python);
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
}

function installExtension(env, userDataDir, extensionsDir) {
  const result = spawnSync(
    config.codeServer,
    ["--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", config.vsix],
    { env, encoding: "utf8", timeout: 60_000 },
  );
  check(result.status === 0 && /successfully installed/.test(result.stdout), `installing the .vsix failed: ${result.stdout}${result.stderr}`);
}

/** Starts code-server on a free loopback port; resolves to its URL. */
async function startCodeServer(env, userDataDir, extensionsDir, workspace) {
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
  let output = "";
  server.stdout.on("data", (chunk) => (output += chunk));
  server.stderr.on("data", (chunk) => (output += chunk));
  const found = await waitFor("code-server to listen", () => /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output), {
    timeoutMs: 30_000,
    describe: () => output.slice(-2000),
  });
  return { process: server, url: found[1], output: () => output };
}

async function statusBarText(page) {
  return (await page.locator("#workbench\\.parts\\.statusbar").innerText()).replace(/\s+/g, " ");
}

/** Selects the text of line `line` after its indentation and types `text` over it. */
async function replaceLine(page, line, text) {
  await page.keyboard.press("Control+G");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.type(text);
}

/** Rewrites the user settings as a user would: code-server does not notice settings.json changing on disk. */
async function replaceUserSettings(page, settings) {
  await runCommand(page, "Preferences: Open User Settings (JSON)");
  await page.locator(".monaco-editor .view-lines", { hasText: "splice.logLevel" }).click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(JSON.stringify(settings, null, 2));
  await page.keyboard.press("Control+S");
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
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

async function main() {
  checkPrerequisites();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "splice-vscode-e2e-"));
  const runtimeDir = path.join(root, "runtime");
  const userDataDir = path.join(root, "user-data");
  const extensionsDir = path.join(root, "extensions");
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  const workspace = makeWorkspace(root);
  const appFile = path.join(workspace, "app.py");
  const returnLine = fs.readFileSync(appFile, "utf8").split("\n").findIndex((line) => line.includes('return "hello"')) + 1;
  // The editor's language server must find the kernel the test starts.
  const env = {
    ...process.env,
    SPLICE_RUNTIME_DIR: runtimeDir,
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_DATA_HOME: path.join(root, "data"),
  };

  let kernel;
  let codeServer;
  let context;
  let page;
  try {
    kernel = await startKernel(workspace, runtimeDir);
    log(`kernel pid ${kernel.process.pid} running app.py`);
    check(evaluate(kernel, "greeting()") === "'hello'", "the program does not start with greeting() == 'hello'");

    writeUserSettings(userDataDir, config.python);
    installExtension(env, userDataDir, extensionsDir);
    log("installed splice.vsix");
    codeServer = await startCodeServer(env, userDataDir, extensionsDir, workspace);
    log(`code-server at ${codeServer.url}`);

    context = await chromium.launchPersistentContext(path.join(root, "browser"), {
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
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${codeServer.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    log("workbench loaded");

    // The extension activates when a Python file opens.
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "app.py" }).first().click();
    await page.locator(".monaco-editor .view-lines", { hasText: "def greeting" }).waitFor();
    log("app.py open");

    // Readiness: the server's splice/status says it attached the kernel.
    await waitFor("the status bar to show the attached kernel", async () => /splice: 1 kernel/.test(await statusBarText(page)), {
      timeoutMs: 45_000,
      describe: () => statusBarText(page),
    });
    log(`ready: ${await statusBarText(page)}`);

    await page.locator(".monaco-editor .view-lines").click();
    await replaceLine(page, returnLine, 'return "patched on save"');
    await page.keyboard.press("Control+S");
    await waitFor("app.py to be saved", () => fs.readFileSync(appFile, "utf8").includes("patched on save"));
    await waitForKernelValue(kernel, "greeting()", "'patched on save'");
    await waitForKernelValue(kernel, "last", "'patched on save'");

    await replaceLine(page, returnLine, 'return "reloaded at cursor"');
    await runCommand(page, "Splice: Reload Function at Cursor");
    await waitForKernelValue(kernel, "greeting()", "'reloaded at cursor'");
    check(
      !fs.readFileSync(appFile, "utf8").includes("reloaded at cursor"),
      "Reload Function at Cursor saved the file; it must send the unsaved buffer",
    );

    const statusPattern = /splice: 1 kernel, patched 1 in [\d.]+ ms/;
    await waitFor(`the status bar to match ${statusPattern}`, async () => statusPattern.test(await statusBarText(page)), {
      timeoutMs: 10_000,
      describe: () => statusBarText(page),
    });
    log(`status bar: ${(await statusBarText(page)).match(statusPattern)[0]}`);

    await sleep(500); // let the message toasts finish fading in
    fs.mkdirSync(path.dirname(config.screenshot), { recursive: true });
    await page.screenshot({ path: config.screenshot });
    log(`screenshot: ${path.relative(process.cwd(), config.screenshot)}`);

    // The kernel list comes from the server's splice.listKernels.
    await runCommand(page, "Splice: Attach to Kernel...");
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: `pid ${kernel.process.pid}: app.py` });
    await row.first().waitFor({ timeout: 10_000 });
    log(`attach quick pick: ${(await row.first().innerText()).replace(/\s+/g, " ")}`);
    await page.keyboard.press("Escape");

    // The extension forwards settings untouched; the server validates them, names
    // the bad one in a message, keeps its default and goes on serving.
    await replaceUserSettings(page, { ...userSettings(config.python), "splice.deleteRemoved": "sometimes" });
    const settingsToast = page.locator(".notifications-toasts .notification-list-item-message", { hasText: "deleteRemoved" });
    await settingsToast.first().waitFor({ timeout: 20_000 });
    log(`bad setting: "${(await settingsToast.first().innerText()).replace(/\s+/g, " ").trim()}"`);
    check(/splice: 1 kernel/.test(await statusBarText(page)), `the server stopped serving after a bad setting: ${await statusBarText(page)}`);

    // An interpreter without splice: changing splice.python restarts the server,
    // and one message gives the command that installs splice.
    const bare = path.join(root, "bare-venv");
    const venv = spawnSync(config.python, ["-m", "venv", "--without-pip", bare], { encoding: "utf8" });
    check(venv.status === 0, `could not make a venv without splice: ${venv.stderr}`);
    const barePython = path.join(bare, "bin", "python");
    await replaceUserSettings(page, userSettings(barePython));
    const expected = `Splice is not installed in ${barePython} (from splice.python). Install it with: ${barePython} -m pip install splice`;
    const toast = page.locator(".notifications-toasts .notification-list-item-message", { hasText: "Splice is not installed" });
    await toast.first().waitFor({ timeout: 20_000 });
    const shown = (await toast.allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim());
    check(shown.length === 1 && shown[0] === expected, `expected one message "${expected}", got ${JSON.stringify(shown)}`);
    await waitFor("the status bar to say not installed", async () => /splice: not installed/.test(await statusBarText(page)), {
      describe: () => statusBarText(page),
    });
    log(`missing splice: "${shown[0]}"`);
  } catch (error) {
    if (page) {
      const failureShot = path.join(root, "failure.png");
      await page.screenshot({ path: failureShot }).catch(() => undefined);
      console.log(`failure screenshot: ${failureShot}`);
      console.log(`status bar: ${await statusBarText(page).catch(() => "?")}`);
    }
    if (kernel) {
      console.log(`----- kernel output\n${kernel.output()}`);
    }
    if (codeServer) {
      console.log(`----- code-server output (last 3000 chars)\n${codeServer.output().slice(-3000)}`);
    }
    printLogs(path.join(userDataDir, "logs"));
    config.keep = true;
    throw error;
  } finally {
    await context?.close().catch(() => undefined);
    if (codeServer?.process.exitCode === null) {
      // Its own process group: code-server's extension host and the language server go too.
      process.kill(-codeServer.process.pid, "SIGTERM");
    }
    kernel?.process.kill("SIGTERM");
    if (config.keep) {
      console.log(`kept ${root}`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

const timer = setTimeout(() => {
  console.error(`e2e: timed out after ${TOTAL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

try {
  await main();
  console.log(`e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  clearTimeout(timer);
} catch (error) {
  clearTimeout(timer);
  console.error(`e2e: FAILED: ${error instanceof Failure ? error.message : error.stack}`);
  process.exitCode = 1;
}
