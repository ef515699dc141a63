import * as assert from "node:assert/strict";
import { test } from "node:test";
import { channelText, hoverMarkdown, inlineText } from "../src/evaluateView";

test("inline text shows the value, and the pid only when several kernels run the file", () => {
  assert.equal(inlineText({ ok: true, line: 3, value: "42", inline: "42", kernels: 1, pid: 7 }), " ⇒ 42");
  assert.equal(inlineText({ ok: true, line: 3, value: "42", inline: "42", kernels: 2, pid: 7 }), " ⇒ 42  (pid 7)");
});

test("inline text of a failure names the exception; of a cancel says so", () => {
  assert.equal(inlineText({ ok: false, line: 0, inline: "ZeroDivisionError: division by zero" }), " ⇒ ✗ ZeroDivisionError: division by zero");
  assert.equal(inlineText({ ok: false, cancelled: true, line: 0 }), " ⇒ cancelled");
});

test("hover carries the full value, its type, what it printed and the kernel", () => {
  const text = hoverMarkdown({ ok: true, line: 0, value: "[1, 2]", type: "list", output: "hi\n", kernel: "pid 7 (app.py)" });
  assert.match(text, /\*\*list\*\*/);
  assert.match(text, /\[1, 2\]/);
  assert.match(text, /printed:/);
  assert.match(text, /in pid 7 \(app\.py\)/);
});

test("the output channel gets the code, the output and the traceback", () => {
  const text = channelText({ ok: false, line: 0, code: "1/0", traceback: "Traceback ...\nZeroDivisionError\n", output: "before\n" });
  assert.equal(text, ">>> 1/0\nbefore\nTraceback ...\nZeroDivisionError");
});
