// End-to-end tests in a real VS Code (code-server 4.100.3, chromium through
// playwright-core): `node e2e/run.mjs [SCENARIO...]`, all scenarios without one.
// Each scenario has its own fresh profile, workspace and temporary folder
// (harness.mjs); the checks ask the running program, not the editor.
//
// Environment: SPLICE_E2E_PYTHON (a Python with splice: the kernel of "patch",
// and what asks the programs for values), SPLICE_CODE_SERVER, SPLICE_E2E_TOOLS,
// SPLICE_CHROMIUM, SPLICE_VSIX, SPLICE_E2E_SCREENSHOTS (the folder the
// screenshots go to, default docs/editors), SPLICE_E2E_KEEP=1 (keep the temporary folders).
import { bundledScenario } from "./bundled.mjs";
import { evaluateScenario } from "./evaluate.mjs";
import { checkPrerequisites, elapsed, Failure, log } from "./harness.mjs";
import { patchScenario } from "./patch.mjs";

const SCENARIOS = { patch: patchScenario, bundled: bundledScenario, evaluate: evaluateScenario };
const TOTAL_TIMEOUT_MS = 240_000;

const timer = setTimeout(() => {
  console.error(`e2e: timed out after ${TOTAL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

const names = process.argv.slice(2);
try {
  for (const name of names) {
    if (!(name in SCENARIOS)) {
      throw new Failure(`no scenario ${name}; there are: ${Object.keys(SCENARIOS).join(", ")}`);
    }
  }
  checkPrerequisites();
  for (const name of names.length ? names : Object.keys(SCENARIOS)) {
    log(`scenario ${name}`);
    await SCENARIOS[name]();
    log(`scenario ${name} passed`);
  }
  console.log(`e2e: passed in ${elapsed()}s`);
  clearTimeout(timer);
} catch (error) {
  clearTimeout(timer);
  console.error(`e2e: FAILED: ${error instanceof Failure ? error.message : error.stack}`);
  process.exitCode = 1;
}
