/**
 * Runs inside the policy pack's process: `node -r scripts/transpile.js launch-pack.ts <engine-address>
 * <pack-dir>`, with the pack directory as working directory, the arguments the Pulumi engine gives its
 * `pulumi-analyzer-policy` plugin.
 *
 * It hands over to the same `@pulumi/pulumi/cmd/run-policy-pack` entry point that plugin runs, with one
 * change: run-policy-pack registers ts-node with `typeCheck: true` (its run.js), which would type-check
 * the pack and everything it imports on every start and refuse to run on a type error anywhere in that
 * graph. `tsc --noEmit` already checks the pack, and the Sucrase hook this process was started with
 * (the tests' own, a fraction of the CPU of TypeScript's transpiler) already loads .ts files, so the
 * second registration becomes a no-op.
 *
 * run-policy-pack drops the engine address without dialling it (the pack logs to stderr), so nothing
 * needs to listen there.
 */
import * as path from "path";
import { standIn } from "./stand-in";

const [engineAddress, packDir] = process.argv.slice(2);
if (!engineAddress || !packDir) {
    console.error("usage: launch-pack <engine-address> <pack-dir>");
    process.exit(2);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
if (!require.extensions[".ts"]) {
    console.error("launch-pack must be started with a TypeScript hook: node -r scripts/transpile.js launch-pack.ts ...");
    process.exit(2);
}

// Resolve from the pack directory, as the engine's plugin does, so the pack runs on its own SDK copy.
const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [path.resolve(packDir)] });
const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [path.resolve(packDir)] }));

/** The file `name` resolves to from run-policy-pack, and its package's version. */
function resolveWithVersion(name: string): { file: string; version: string } {
    const paths = [path.dirname(runPolicyPack)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { file: require.resolve(name, { paths }), version: (require(require.resolve(`${name}/package.json`, { paths })) as { version: string }).version };
}

// run-policy-pack reads ts-node's VERSION and calls its register() (@pulumi/pulumi tsutils.js
// typeScriptRequireStrings, cmd/run-policy-pack/run.js). register stays a no-op: see the top of this file.
const tsNode = resolveWithVersion("ts-node");
standIn(tsNode.file, { register: () => undefined, VERSION: tsNode.version });

// run-policy-pack requires TypeScript (9 MB of JavaScript, ~0.4 s of CPU to compile) only to read its
// version for that registration. Anything more loads the real module.
const typescript = resolveWithVersion("typescript");
standIn(typescript.file, { version: typescript.version });

// The SDK's index (@pulumi/pulumi index.js) loads its Automation API (about 90 ms of CPU) to export it
// as `automation`, through TypeScript's __importStar, which keeps a module marked __esModule as it is. A pack has no use for it.
standIn(path.join(sdkDir, "automation", "index.js"), { __esModule: true });

process.argv = [process.argv[0], runPolicyPack, engineAddress, packDir];
require(runPolicyPack);
