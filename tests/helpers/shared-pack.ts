/**
 * One policy pack process per pack directory, launcher and stack for the whole test process, instead
 * of one per test file, describe block or `npm run plan` run in-process: each start costs more than a
 * second of CPU (a Node process that loads the Pulumi SDK and transpiles the pack), and a mocha worker
 * runs many files that ask for the same prod pack.
 *
 * - sharedPolicyPack(dir, options): the shared process, started on first use.
 * - sharePolicyPackProcesses() inside a describe: in its tests, PolicyPackProcess.start returns the
 *   shared process (for code such as `npm run plan`'s main() that starts its own pack).
 *
 * A shared process's close() does nothing, so a caller's cleanup leaves it for the next one. Each
 * hand-out configures it back to the pack's defaults (an empty Configure), so it is in the state a
 * fresh process starts in: the policy configuration is all the state @pulumi/policy's server keeps
 * between previews besides the stack facts, which are part of the key (its server.js `configure`
 * replaces the whole configuration).
 *
 * The processes end with the test process: in mocha's parallel workers when the worker exits (the
 * watchdog of recovery/local/watchdog.ts kills them as the worker's pipe closes); in a serial run,
 * where live children would keep mocha from exiting, at the run's end (root-hooks.ts).
 *
 * Only for tests about what the pack says: a test about starting or stopping a pack needs its own
 * process (tests/offline/policy-host.test.ts starts them directly).
 */
import * as path from "node:path";
import { DEFAULT_PACK_DIR, PolicyPackProcess, StartOptions } from "../../offline/policy/host";
import { atRunEnd } from "./root-hooks";

const originalStart = PolicyPackProcess.start.bind(PolicyPackProcess);
const started = new Map<string, Promise<PolicyPackProcess>>();

/** The process with close() turned into a no-op, so a caller's cleanup leaves it running for the next one. */
function keptOpen(pack: PolicyPackProcess): PolicyPackProcess {
    return new Proxy(pack, {
        get(target, property) {
            if (property === "close") {
                return async () => undefined;
            }
            const value = Reflect.get(target, property, target);
            return typeof value === "function" ? value.bind(target) : value;
        },
    });
}

/** The shared process for `packDir` started with `options` (timeouts aside), configured to the pack's defaults. */
export async function sharedPolicyPack(packDir: string = DEFAULT_PACK_DIR, options: StartOptions = {}): Promise<PolicyPackProcess> {
    // Timeouts do not change the process; everything else it is started with does.
    const key = JSON.stringify([path.resolve(packDir), options.launcher ?? "transpile-only", options.stack ?? null]);
    let pack = started.get(key);
    if (!pack) {
        pack = originalStart(packDir, options);
        started.set(key, pack);
        // A pack that failed to start is not kept: the next caller starts it again and sees its own error.
        pack.catch(() => started.delete(key));
    }
    const shared = await pack;
    await shared.configure({});
    return keptOpen(shared);
}

/** In the describe block's tests, PolicyPackProcess.start hands out shared processes. */
export function sharePolicyPackProcesses(): void {
    before(() => {
        PolicyPackProcess.start = sharedPolicyPack;
    });
    after(() => {
        PolicyPackProcess.start = originalStart;
    });
}

atRunEnd(async () => {
    const packs = [...started.values()];
    started.clear();
    await Promise.all(packs.map((pack) => pack.then((p) => p.close(), () => undefined)));
});
