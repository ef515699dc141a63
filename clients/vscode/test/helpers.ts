import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

// Compiled to out/test/, so the extension folder is two levels up.
export const EXTENSION_DIR = path.resolve(__dirname, "..", "..");
export const REPO_ROOT = path.resolve(EXTENSION_DIR, "..", "..");

export function readPackageJson(): any {
  return JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8"));
}

/** The Python with splice installed: $SPLICE_TEST_PYTHON, else the repository's venv. */
export function splicePython(): string | undefined {
  const candidates = [process.env.SPLICE_TEST_PYTHON, path.join(REPO_ROOT, ".venv", "bin", "python")];
  for (const candidate of candidates) {
    if (!candidate) {
      continue;
    }
    try {
      execFileSync(candidate, ["-c", "import splice"], { stdio: "ignore" });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
