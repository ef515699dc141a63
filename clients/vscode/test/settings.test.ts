import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CLIENT_DEFAULTS, expandPath, readPythonSetting, readServerSettings, SERVER_DEFAULTS } from "../src/settings";
import { readPackageJson, REPO_ROOT, splicePython } from "./helpers";

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

test("test_settings_package_json_defaults_match_the_extension", () => {
  const contributed = contributedSettings();
  const defaults = Object.fromEntries(Object.entries(contributed).map(([key, schema]) => [key, schema.default]));
  assert.deepEqual(defaults, { ...SERVER_DEFAULTS, ...CLIENT_DEFAULTS });
});

test("test_settings_package_json_defaults_match_the_server", (t) => {
  const python = splicePython();
  if (!python) {
    t.skip("no Python with splice installed (set SPLICE_TEST_PYTHON)");
    return;
  }
  const script =
    "import json; from splice.lsp.settings import setting_keys; print(json.dumps(setting_keys()))";
  const server = JSON.parse(execFileSync(python, ["-c", script], { encoding: "utf8" }));
  const contributed = contributedSettings();
  for (const [key, value] of Object.entries(server)) {
    assert.ok(key in contributed, `server setting ${key} is missing from package.json`);
    assert.deepEqual(contributed[key].default, value, `default of splice.${key}`);
  }
  const clientOnly = Object.keys(contributed).filter((key) => !(key in server));
  assert.deepEqual(clientOnly, Object.keys(CLIENT_DEFAULTS));
});

/** The settings table of docs/settings.md: key -> the default column, parsed as JSON. */
function documentedDefaults(text: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const line of text.split("\n")) {
    // Columns: setting, type, default, meaning; "\|" inside a cell is not a separator.
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const key = /^`(\w+)`$/.exec(cells[1] ?? "");
    const value = /^`(.+)`$/.exec(cells[3] ?? "");
    if (key && value) {
      defaults[key[1]] = JSON.parse(value[1]);
    }
  }
  return defaults;
}

test("test_settings_package_json_defaults_match_the_settings_docs", (t) => {
  const docs = path.join(REPO_ROOT, "docs", "settings.md");
  if (!fs.existsSync(docs)) {
    t.skip("docs/settings.md is not written yet");
    return;
  }
  const documented = documentedDefaults(fs.readFileSync(docs, "utf8"));
  const contributed = contributedSettings();
  const serverSettings = Object.fromEntries(
    Object.entries(contributed)
      .filter(([key]) => !(key in CLIENT_DEFAULTS))
      .map(([key, schema]) => [key, schema.default]),
  );
  assert.deepEqual(serverSettings, documented);
  for (const [key, schema] of Object.entries(contributed)) {
    for (const choice of schema.enum ?? []) {
      assert.match(fs.readFileSync(docs, "utf8"), new RegExp(`"${choice}"`), `docs/settings.md does not mention ${key}=${choice}`);
    }
  }
});

test("test_settings_read_server_settings_fills_missing_keys_with_defaults", () => {
  const configured: Record<string, unknown> = { autoAttach: "off", kernels: [42] };
  const settings = readServerSettings({ get: <T>(key: string) => configured[key] as T | undefined });
  assert.deepEqual(settings, { ...SERVER_DEFAULTS, autoAttach: "off", kernels: [42] });
});

test("test_settings_read_python_setting_expands_workspace_folder", () => {
  const config = { get: <T>() => " ${workspaceFolder}/.venv/bin/python " as T };
  assert.equal(readPythonSetting(config, "/home/me/project"), "/home/me/project/.venv/bin/python");
});

test("test_settings_expand_path_expands_home", () => {
  assert.equal(expandPath("~/venv/bin/python"), path.join(require("node:os").homedir(), "venv/bin/python"));
});
