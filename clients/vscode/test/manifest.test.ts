import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { EXTENSION_DIR, readPackageJson, REPO_ROOT } from "./helpers";

function minimumVersion(range: string): number[] {
  return range.replace(/^[\^~>=<\s]+/, "").split(".").map(Number);
}

function compare(a: number[], b: number[]): number {
  for (let index = 0; index < 3; index++) {
    if ((a[index] ?? 0) !== (b[index] ?? 0)) {
      return (a[index] ?? 0) - (b[index] ?? 0);
    }
  }
  return 0;
}

test("test_manifest_engine_installs_into_code_server_4_100", () => {
  const engine = minimumVersion(readPackageJson().engines.vscode);
  assert.ok(compare(engine, [1, 100, 3]) <= 0, `engines.vscode ${engine.join(".")} is newer than 1.100`);
});

test("test_manifest_vscode_types_are_not_newer_than_the_engine", () => {
  const manifest = readPackageJson();
  const types = minimumVersion(manifest.devDependencies["@types/vscode"]);
  assert.ok(compare(types, minimumVersion(manifest.engines.vscode)) <= 0);
});

test("test_manifest_python_extension_api_fits_the_engine_and_node_20", () => {
  // Its 1.0.6 needs VS Code 1.93 and Node 22; the extension promises VS Code 1.91 and Node 20.
  const api = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "node_modules", "@vscode", "python-extension", "package.json"), "utf8"));
  const engine = minimumVersion(readPackageJson().engines.vscode);
  assert.ok(compare(minimumVersion(api.engines.vscode), engine) <= 0, `@vscode/python-extension needs VS Code ${api.engines.vscode}`);
  assert.ok(compare(minimumVersion(api.engines.node), [20, 0, 0]) <= 0, `@vscode/python-extension needs Node ${api.engines.node}`);
});

test("test_manifest_palette_has_the_documented_commands", () => {
  const titles = readPackageJson().contributes.commands.map(
    (command: { category: string; title: string }) => `${command.category}: ${command.title}`,
  );
  for (const title of [
    "Splice: Run Current File with Kernel",
    "Splice: Start Kernel (REPL)",
    "Splice: Attach to Kernel...",
    "Splice: Detach",
    "Splice: Reload Function at Cursor",
    "Splice: Reload File",
    "Splice: Show Log",
    "Splice: Restart Server",
  ]) {
    assert.ok(titles.includes(title), `${title} is not contributed`);
  }
});

test("test_manifest_every_contributed_command_is_registered", () => {
  const sourceDir = path.join(EXTENSION_DIR, "src");
  const source = fs
    .readdirSync(sourceDir)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => fs.readFileSync(path.join(sourceDir, name), "utf8"))
    .join("\n");
  for (const { command } of readPackageJson().contributes.commands) {
    assert.ok(source.includes(`register("${command}"`), `${command} is contributed but never registered`);
  }
});

test("test_manifest_command_ids_do_not_clash_with_server_commands", () => {
  // vscode-languageclient registers the server's executeCommand ids itself;
  // a contributed command with the same id would fail to register.
  const server = ["splice.attach", "splice.detach", "splice.listKernels", "splice.reloadDefinition", "splice.reloadFile", "splice.runStatement",
    "splice.evaluate", "splice.cancelEvaluation", "splice.selectKernel", "splice.undoPatch"];
  for (const { command } of readPackageJson().contributes.commands) {
    assert.ok(!server.includes(command), `${command} is also a server command`);
  }
});

test("test_manifest_every_setting_is_documented_with_its_default", () => {
  const docs = fs.readFileSync(path.join(REPO_ROOT, "docs", "editors", "vscode.md"), "utf8");
  const properties = readPackageJson().contributes.configuration.properties as Record<string, { default: unknown }>;
  for (const [key, schema] of Object.entries(properties)) {
    const row = docs.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row, `docs/editors/vscode.md has no table row for ${key}`);
    assert.ok(row.includes(`| \`${JSON.stringify(schema.default)}\` |`), `${key}: documented default differs from ${JSON.stringify(schema.default)}`);
  }
});

test("test_manifest_every_command_is_documented", () => {
  const docs = fs.readFileSync(path.join(REPO_ROOT, "docs", "editors", "vscode.md"), "utf8");
  for (const { category, title } of readPackageJson().contributes.commands) {
    assert.ok(docs.includes(`**${category}: ${title}**`), `docs/editors/vscode.md does not describe ${category}: ${title}`);
  }
});
