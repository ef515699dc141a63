import * as assert from "node:assert/strict";
import { test } from "node:test";
import { processItems } from "../src/processes";
import { readPackageJson } from "./helpers";

test("test_process_items_show_pid_command_line_and_python", () => {
  const [item] = processItems([{ pid: 41235, command: "python train.py --epochs 3", python: "3.11", kernel: false }]);
  assert.deepEqual(item, {
    label: "pid 41235",
    description: "python train.py --epochs 3",
    detail: "Python 3.11",
    pid: 41235,
  });
});

test("test_process_items_put_running_kernels_last_and_newest_first", () => {
  const items = processItems([
    { pid: 10, command: "a", python: "3.12", kernel: false },
    { pid: 30, command: "b", python: "3.12", kernel: true },
    { pid: 20, command: "c", python: "3.10", kernel: false },
  ]);
  assert.deepEqual(items.map((item) => item.pid), [20, 10, 30]);
  assert.equal(items[2].detail, "Python 3.12, already running splice");
});

test("test_manifest_contributes_attach_to_process", () => {
  const command = readPackageJson().contributes.commands.find(
    (entry: { command: string }) => entry.command === "splice.attachToProcess",
  );
  assert.equal(`${command?.category}: ${command?.title}`, "Splice: Attach to Process...");
});
