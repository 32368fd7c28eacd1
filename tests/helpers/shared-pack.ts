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
 * A shared process also remembers its answers: the same Analyze or AnalyzeStack request under the same
 * configuration is sent to the pack once, and every later asker gets a copy of that answer. In a whole
 * run two of every three Analyze calls repeated one the same process had answered (11,716 calls, 4,186 distinct
 * per process and configuration): the mutation tests, the plans and the recovery fakes send the same
 * stacks again and again; a run sent 72 AnalyzeStack requests, 16 of them repeats in the same process,
 * each over 100 ms of the pack's CPU. It is sound because the answer depends on nothing else: the
 * policy SDK's handlers keep their diagnostics in locals, and its module state is only what Configure
 * and ConfigureStack set (@pulumi/policy server.js, makeAnalyzeRpcFun and makeAnalyzeStackRpcFun,
 * which reads the level from policyPackConfig); ConfigureStack is part of the
 * process's key. The request is identified by its bytes on the wire, so an unknown, a secret or a
 * missing value each count as what they are.
 *
 * Only for tests about what the pack says: a test about starting or stopping a pack needs its own
 * process (tests/offline/policy-host.test.ts starts them directly).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { Analysis, DEFAULT_PACK_DIR, PolicyPackProcess, StartOptions } from "../../offline/policy/host";
import { AnalyzedResource, analyzeRequest, analyzeStackRequest } from "../../offline/policy/wire";
import { PolicyPackConfig } from "../../offline/policy/config";
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

/** Answers kept per process; past this many, the oldest go first. */
const MAX_REMEMBERED = 20_000;

/**
 * The process with Analyze and AnalyzeStack answered from memory when the same request was answered
 * under the same configuration before (see the top of this file). Its own methods are replaced, so
 * `analyze` and `analyzeStack`, which call the ...WithApplicability ones, go through the memory too.
 */
function rememberingAnswers(pack: PolicyPackProcess): PolicyPackProcess {
    const answers = new Map<string, Analysis>();
    // The configuration last sent; "" while none is known (before the first Configure, or during one).
    let configuration = "";
    const configure = pack.configure.bind(pack);
    const analyze = pack.analyzeWithApplicability.bind(pack);
    const analyzeStack = pack.analyzeStackWithApplicability.bind(pack);
    pack.configure = async (config: PolicyPackConfig) => {
        // Whatever the pack holds if this call fails, nothing remembered under another configuration applies.
        configuration = "";
        await configure(config);
        configuration = JSON.stringify(config);
    };
    /** The answer to `request` (its bytes on the wire), from memory or from `ask`. */
    const answer = async (call: "Analyze" | "AnalyzeStack", request: { serializeBinary(): Uint8Array }, ask: () => Promise<Analysis>): Promise<Analysis> => {
        const asked = configuration;
        const key = `${call}\0${asked}\0${crypto.createHash("sha256").update(request.serializeBinary()).digest("base64")}`;
        let answered = asked === "" ? undefined : answers.get(key);
        if (answered === undefined) {
            answered = await ask();
            if (asked !== "" && configuration === asked) {
                answers.set(key, answered);
                if (answers.size > MAX_REMEMBERED) {
                    answers.delete(answers.keys().next().value!);
                }
            }
        }
        return structuredClone(answered);
    };
    pack.analyzeWithApplicability = (resource: AnalyzedResource) => answer("Analyze", analyzeRequest(resource), () => analyze(resource));
    pack.analyzeStackWithApplicability = (resources: AnalyzedResource[]) => answer("AnalyzeStack", analyzeStackRequest(resources), () => analyzeStack(resources));
    return pack;
}

/** The shared process for `packDir` started with `options` (timeouts aside), configured to the pack's defaults. */
export async function sharedPolicyPack(packDir: string = DEFAULT_PACK_DIR, options: StartOptions = {}): Promise<PolicyPackProcess> {
    // Timeouts do not change the process; everything else it is started with does.
    const key = JSON.stringify([path.resolve(packDir), options.launcher ?? "transpile-only", options.stack ?? null]);
    let pack = started.get(key);
    if (!pack) {
        pack = originalStart(packDir, options).then(rememberingAnswers);
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
