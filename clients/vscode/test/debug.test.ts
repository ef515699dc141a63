import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import type * as vscode from "vscode";
import {
  attachWhenListed,
  DebugApi,
  DebugConfigurationLike,
  processIdOf,
  registerDebugHooks,
  SESSION_VARIABLE,
  splicePaths,
  withSplice,
} from "../src/debug";
import { REPO_ROOT, splicePython } from "./helpers";

const paths = splicePaths(path.join(REPO_ROOT, "server"));
const launch: DebugConfigurationLike = { type: "debugpy", request: "launch", name: "Python: app", program: "app.py" };

test("test_debug_launch_gets_splices_hook_first_and_splice_last_on_pythonpath", () => {
  const config = withSplice({ ...launch, env: { PYTHONPATH: "/mine", OTHER: "kept" } }, paths, "/inherited");

  assert.equal(config.env?.PYTHONPATH, [paths.bootstrap, "/mine", paths.root].join(path.delimiter));
  assert.equal(config.env?.[SESSION_VARIABLE], "1");
  assert.equal(config.env?.OTHER, "kept");
  assert.equal(config.program, "app.py");
  assert.equal(launch.env, undefined, "the original configuration was changed");
});

test("test_debug_launch_without_its_own_pythonpath_keeps_the_inherited_one", () => {
  const config = withSplice(launch, paths, `/a${path.delimiter}/b`);

  assert.equal(config.env?.PYTHONPATH, [paths.bootstrap, "/a", "/b", paths.root].join(path.delimiter));
});

test("test_debug_launch_resolved_twice_lists_splice_once", () => {
  const config = withSplice(withSplice(launch, paths, undefined), paths, undefined);

  assert.equal(config.env?.PYTHONPATH, [paths.bootstrap, paths.root].join(path.delimiter));
});

test("test_debug_attach_configuration_is_left_alone", () => {
  const attach: DebugConfigurationLike = { type: "debugpy", request: "attach", name: "Attach", connect: { port: 5678 } };

  assert.equal(withSplice(attach, paths, "/inherited"), attach);
});

test("test_debug_process_event_gives_the_pid_and_nothing_else_does", () => {
  assert.equal(processIdOf({ type: "event", event: "process", body: { systemProcessId: 4242, name: "app.py" } }), 4242);
  assert.equal(processIdOf({ type: "event", event: "process", body: {} }), undefined);
  assert.equal(processIdOf({ type: "event", event: "stopped", body: { systemProcessId: 4242 } }), undefined);
  assert.equal(processIdOf({ type: "response", command: "initialize" }), undefined);
  assert.equal(processIdOf(undefined), undefined);
});

test("test_debug_attach_waits_until_the_kernel_is_listed", async () => {
  let calls = 0;
  const attached: number[] = [];
  const server = {
    listKernels: () => Promise.resolve(++calls < 3 ? [] : [{ pid: 7, attached: false }]),
    attach: (pid: number) => {
      attached.push(pid);
      return Promise.resolve();
    },
  };

  assert.equal(await attachWhenListed(7, server, { intervalMs: 1 }), true);
  assert.deepEqual(attached, [7]);
  assert.equal(calls, 3);
});

test("test_debug_attach_gives_up_on_a_process_without_an_agent", async () => {
  const server = { listKernels: () => Promise.resolve([{ pid: 8, attached: false }]), attach: () => assert.fail("attached") };

  assert.equal(await attachWhenListed(7, server, { timeoutMs: 20, intervalMs: 1 }), false);
});

test("test_debug_attach_does_not_attach_twice", async () => {
  const server = { listKernels: () => Promise.resolve([{ pid: 7, attached: true }]), attach: () => assert.fail("attached twice") };

  assert.equal(await attachWhenListed(7, server), true);
});

/** vscode.debug's two registrations, recorded; VS Code itself cannot run in a unit test. */
function recordingDebugApi() {
  const providers = new Map<string, vscode.DebugConfigurationProvider>();
  const trackers = new Map<string, vscode.DebugAdapterTrackerFactory>();
  const api: DebugApi = {
    registerDebugConfigurationProvider: (type, provider) => (providers.set(type, provider), { dispose: () => providers.delete(type) }),
    registerDebugAdapterTrackerFactory: (type, factory) => (trackers.set(type, factory), { dispose: () => trackers.delete(type) }),
  };
  return { api, providers, trackers };
}

test("test_debug_hooks_add_splice_to_debugpy_launches_unless_turned_off", () => {
  const { api, providers } = recordingDebugApi();
  let enabled = true;
  const disposables = registerDebugHooks(api, {
    paths,
    enabled: () => enabled,
    server: { listKernels: () => Promise.resolve([]), attach: () => Promise.resolve() },
    log: () => undefined,
  });
  assert.deepEqual([...providers.keys()].sort(), ["debugpy", "python"]);
  const resolve = (config: DebugConfigurationLike) =>
    providers.get("debugpy")!.resolveDebugConfigurationWithSubstitutedVariables!(undefined, config) as DebugConfigurationLike;

  assert.equal(resolve(launch).env?.[SESSION_VARIABLE], "1");
  enabled = false;
  assert.equal(resolve(launch), launch);

  disposables.forEach((disposable) => disposable.dispose());
  assert.equal(providers.size, 0);
});

test("test_debug_hooks_attach_when_the_session_reports_its_process", async () => {
  const { api, trackers } = recordingDebugApi();
  const attached: number[] = [];
  const logged: string[] = [];
  registerDebugHooks(api, {
    paths,
    enabled: () => true,
    server: {
      listKernels: () => Promise.resolve([{ pid: 99, attached: false }]),
      attach: (pid) => {
        attached.push(pid);
        return Promise.resolve();
      },
    },
    log: (message) => logged.push(message),
  });
  const tracker = trackers.get("debugpy")!.createDebugAdapterTracker({} as vscode.DebugSession) as vscode.DebugAdapterTracker;

  tracker.onDidSendMessage!({ type: "event", event: "output", body: { output: "hi" } });
  tracker.onDidSendMessage!({ type: "event", event: "process", body: { systemProcessId: 99 } });
  while (logged.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  assert.deepEqual(attached, [99]);
  assert.deepEqual(logged, ["Debug session: attached to pid 99."]);
});

test("test_debug_launch_environment_starts_an_agent_in_a_real_python", async (t) => {
  // The environment withSplice gives a launch, on a real interpreter: the program
  // starts an agent before its own code runs, as under the Python debugger.
  const python = splicePython();
  if (!python) {
    t.skip("no Python with splice (set SPLICE_TEST_PYTHON or make the repository's .venv)");
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "splice-debug-test-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "runtime"), { mode: 0o700 });
  const env = withSplice(launch, paths, undefined).env as Record<string, string>;
  const child = spawn(python, ["-c", "import time\nwhile True: time.sleep(0.1)"], {
    env: { ...process.env, ...env, SPLICE_RUNTIME_DIR: path.join(root, "runtime") },
    stdio: "ignore",
  });
  t.after(() => child.kill("SIGKILL"));
  const connectionFile = path.join(root, "runtime", `kernel-${child.pid}.json`);
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(connectionFile) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const connection = JSON.parse(fs.readFileSync(connectionFile, "utf8")) as { pid: number; rootPid: number };
  assert.equal(connection.pid, child.pid);
  assert.equal(connection.rootPid, child.pid);
});
