import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { expandPath, readPythonSetting, readServerSettings } from "../src/settings";
import { readPackageJson, REPO_ROOT, splicePython } from "./helpers";

// Read by the extension alone (which Python runs the server); the server ignores it.
const CLIENT_ONLY = ["python", "debugSessions"];

/** package.json's splice.* settings (without trace.*), by their key in the section. */
function contributedSettings(): Record<string, any> {
  const properties = readPackageJson().contributes.configuration.properties as Record<string, any>;
  const settings: Record<string, any> = {};
  for (const [key, schema] of Object.entries(properties)) {
    if (key.startsWith("splice.") && !key.startsWith("splice.trace.")) {
      settings[key.slice("splice.".length)] = schema;
    }
  }
  return settings;
}

/** The "splice" section as VS Code resolves it when the user set nothing: package.json's defaults, nested at the dots. */
function defaultSection(): Record<string, any> {
  const properties = readPackageJson().contributes.configuration.properties as Record<string, { default: unknown }>;
  const section: Record<string, any> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const parts = key.split(".").slice(1);
    let node = section;
    for (const part of parts.slice(0, -1)) {
      node = node[part] ??= {};
    }
    node[parts[parts.length - 1]] = schema.default;
  }
  return section;
}

function runServerPython(python: string, script: string, input?: unknown): any {
  const output = execFileSync(python, ["-c", script], { encoding: "utf8", input: JSON.stringify(input ?? null) });
  return JSON.parse(output);
}

test("test_settings_package_json_defaults_match_the_server", (t) => {
  const python = splicePython();
  if (!python) {
    t.skip("no Python with splice installed (set SPLICE_TEST_PYTHON)");
    return;
  }
  const server = runServerPython(
    python,
    "import json; from splice.lsp.settings import setting_keys; print(json.dumps(setting_keys()))",
  );
  const contributed = contributedSettings();
  for (const [key, value] of Object.entries(server)) {
    assert.ok(key in contributed, `server setting ${key} is missing from package.json`);
    assert.deepEqual(contributed[key].default, value, `default of splice.${key}`);
  }
  const clientOnly = Object.keys(contributed).filter((key) => !(key in server));
  assert.deepEqual(clientOnly, CLIENT_ONLY, "package.json has settings the server does not know");
});

test("test_settings_server_accepts_the_default_section_without_problems", (t) => {
  // What readServerSettings forwards on a fresh install, client-only keys included.
  const python = splicePython();
  if (!python) {
    t.skip("no Python with splice installed (set SPLICE_TEST_PYTHON)");
    return;
  }
  const problems = runServerPython(
    python,
    "import json, sys; from splice.lsp.settings import parse_settings; " +
      "print(json.dumps([str(p) for p in parse_settings(json.load(sys.stdin))[1]]))",
    defaultSection(),
  );
  assert.deepEqual(problems, []);
});

/** The settings table of docs/settings.md: key -> the default column, parsed as JSON. */
function documentedDefaults(text: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const line of text.split("\n")) {
    // Columns: setting, type, default, meaning; "\|" inside a cell is not a separator.
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const key = /^`([\w.]+)`$/.exec(cells[1] ?? "");
    const value = /^`(.+)`$/.exec(cells[3] ?? "");
    if (key && value) {
      defaults[key[1]] = JSON.parse(value[1]);
    }
  }
  return defaults;
}

test("test_settings_package_json_defaults_match_the_settings_docs", () => {
  const docs = fs.readFileSync(path.join(REPO_ROOT, "docs", "settings.md"), "utf8");
  const contributed = contributedSettings();
  const serverSettings = Object.fromEntries(
    Object.entries(contributed)
      .filter(([key]) => !CLIENT_ONLY.includes(key))
      .map(([key, schema]) => [key, schema.default]),
  );
  assert.deepEqual(serverSettings, documentedDefaults(docs));
  for (const [key, schema] of Object.entries(contributed)) {
    for (const choice of schema.enum ?? []) {
      assert.match(docs, new RegExp(`"${choice}"`), `docs/settings.md does not mention ${key}=${choice}`);
    }
  }
});

test("test_settings_read_server_settings_forwards_the_section_untouched", () => {
  // Bad values too: the server validates them and tells the user, with its defaults.
  const section = { autoAttach: "sometimes", kernels: [42, "/tmp/kernel-1.json"], python: "", trace: { server: "off" } };
  const root = { get: <T>(key: string) => (key === "splice" ? section : undefined) as T | undefined };
  assert.deepEqual(readServerSettings(root), section);
});

test("test_settings_read_python_setting_expands_workspace_folder", () => {
  const config = { get: <T>() => " ${workspaceFolder}/.venv/bin/python " as T };
  assert.equal(readPythonSetting(config, "/home/me/project"), "/home/me/project/.venv/bin/python");
});

test("test_settings_expand_path_expands_home", () => {
  assert.equal(expandPath("~/venv/bin/python"), path.join(os.homedir(), "venv/bin/python"));
});
