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
const tsNodeModule = require.resolve("ts-node", { paths: [path.dirname(runPolicyPack)] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsNode = require(tsNodeModule) as { register: (options?: unknown) => unknown };
tsNode.register = () => undefined;

/**
 * run-policy-pack requires TypeScript (9 MB of JavaScript, ~0.4 s of CPU to compile) only to read its
 * version for the ts-node registration stubbed above (@pulumi/pulumi tsutils.js typeScriptRequireStrings
 * and cmd/run-policy-pack/run.js). Until something reads more than the version, the module is a stand-in
 * that answers it from TypeScript's package.json; any other use loads the real module and forwards to it.
 */
function deferTypeScript(fromDir: string): void {
    const file = require.resolve("typescript", { paths: [fromDir] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require(path.join(path.dirname(file), "..", "package.json")) as { version: string };
    let real: object | undefined;
    const load = (): object => {
        if (!real) {
            delete require.cache[file];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            real = require(file) as object;
        }
        return real;
    };
    const standIn = new Proxy({}, {
        get: (_, key) => (key === "version" && !real ? version : Reflect.get(load(), key)),
        has: (_, key) => Reflect.has(load(), key),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_, key) => {
            const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
            // A proxy may only report configurable properties its (empty) target does not have.
            return descriptor && { ...descriptor, configurable: true };
        },
    });
    const module = new (require("module") as typeof import("module"))(file);
    module.filename = file;
    module.loaded = true;
    module.exports = standIn;
    require.cache[file] = module;
}
deferTypeScript(path.dirname(runPolicyPack));

process.argv = [process.argv[0], runPolicyPack, engineAddress, packDir];
require(runPolicyPack);
