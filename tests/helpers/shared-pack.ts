/**
 * One policy pack process per pack directory and stack for the tests of a describe block, instead of
 * one per `npm run plan` they run: each start costs seconds of CPU (a Node process that loads the
 * Pulumi SDK and transpiles the pack).
 *
 * Call sharePolicyPackProcesses() inside a describe. In its tests, PolicyPackProcess.start returns the
 * block's process for that pack directory and start options (started on first use), and close() on it
 * does nothing; the block's after hook stops them all. Every use configures the pack anew
 * (offline/policy/evaluate.ts sends a Configure with every policy's level each time), which is all
 * the state a pack keeps between previews.
 *
 * Only for tests about what the pack says: a test about starting or stopping a pack needs its own
 * process (tests/offline/policy-host.test.ts starts them directly).
 */
import * as path from "node:path";
import { DEFAULT_PACK_DIR, PolicyPackProcess, StartOptions } from "../../offline/policy/host";

/** The process with close() turned into a no-op, so a caller's cleanup leaves it running for the next test. */
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

export function sharePolicyPackProcesses(): void {
    const original = PolicyPackProcess.start;
    const started = new Map<string, Promise<PolicyPackProcess>>();

    before(() => {
        PolicyPackProcess.start = async (packDir: string = DEFAULT_PACK_DIR, options: StartOptions = {}) => {
            // Timeouts do not change the process; everything else it is started with does.
            const key = JSON.stringify([path.resolve(packDir), options.launcher ?? "transpile-only", options.stack ?? null]);
            let pack = started.get(key);
            if (!pack) {
                pack = original.call(PolicyPackProcess, packDir, options);
                started.set(key, pack);
                // A pack that failed to start is not kept: the next test starts it again and sees its own error.
                pack.catch(() => started.delete(key));
            }
            return keptOpen(await pack);
        };
    });

    after(async function () {
        this.timeout(30_000);
        PolicyPackProcess.start = original;
        const packs = [...started.values()];
        started.clear();
        await Promise.all(packs.map((pack) => pack.then((p) => p.close(), () => undefined)));
    });
}
