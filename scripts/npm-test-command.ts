/**
 * `npm test` as a command line: node with the project's TypeScript hook, running scripts/test.ts (the
 * package.json script), for the scripts that run the suite as a whole process (test-under-load.ts,
 * bench/test-suite.ts). Arguments after it go to scripts/test.ts.
 */
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

export const NPM_TEST_ARGV: readonly string[] = ["-r", path.join(ROOT, "scripts/transpile.js"), path.join(ROOT, "scripts/test.ts")];
