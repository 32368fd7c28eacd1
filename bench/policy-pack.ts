/**
 * Benchmark, not a test: `node -r ./scripts/transpile.js bench/policy-pack.ts [--runs 5] [--resources 1000] [--skip-plan]`.
 *
 * (a) The offline plan of the prod stack (program under mocks plus the policy pack):
 *     - as a user sees it: wall time of `npm run plan -- --stack prod` as its own process, from spawn to
 *       exit, median of --runs runs, output discarded;
 *     - in this process, after one warm-up run: the program's modules are loaded already, the pack
 *       still starts as its own process every run. Lower than what anyone waits for; shown for
 *       comparison with earlier numbers.
 * (b) Policy evaluation over gRPC on a generated stack of at least --resources resources: copies of the
 *     prod stack, each run through the program with its own namePrefix and stack name, so every copy
 *     is a valid Global Datastore layout (three regions, distinct replication group and datastore ids).
 *     Analyze per resource, one at a time and then ANALYZE_IN_FLIGHT at once as the offline evaluator
 *     sends them (offline/policy/evaluate.ts), then one AnalyzeStack over all of them; pack start-up is
 *     reported apart.
 *     Besides wall time, the CPU time of the pack's process (Linux /proc/<pid>/stat, all its threads,
 *     garbage collection included) and of this one (the client: building and sending each request):
 *     on a machine other work shares, wall time mostly measures waiting, CPU time the work itself.
 * (c) The same Analyze calls as the Pulumi engine sends them, one resource at a time, from a stand-in
 *     that costs as little as it can (bench/engine-stand-in.ts: requests encoded before the clock
 *     starts, raw gRPC messages on one HTTP/2 connection), to a pack process of its own that nothing
 *     has warmed: the first pass over the stack includes the pack's JIT warm-up, the second does not.
 *     Its verdicts must equal (b)'s, resource by resource, or the benchmark fails.
 *     --skip-plan leaves out (a).
 * Numbers depend on the machine; report them with its description.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { parseArgs } from "util";
import { main as plan } from "../offline/plan";
import { PROJECT, PROJECT_DIR, RecordedResource, loadStackFile, runProgram } from "../offline/run";
import { ANALYZE_IN_FLIGHT, analyzeEach, configurePack } from "../offline/policy/evaluate";
import { AnalyzedResource, defaultAwsProvider, fromRecorded } from "../offline/policy/wire";
import { PolicyPackProcess, Violation, analysis } from "../offline/policy/host";
import { EngineStandIn, decodeAnalyzeResponse, encodeAnalyzeRequests } from "./engine-stand-in";
import { NAMESPACE } from "../components/config/keys";

const PLAN_ARGS = ["--stack", "prod"];

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summary(times: number[]): string {
    return `${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`;
}

/** Wall time of one `npm run plan -- --stack prod`, as a shell would run it. */
function timePlanProcess(): Promise<number> {
    return new Promise((resolve, reject) => {
        const start = performance.now();
        const child = spawn("npm", ["run", "--silent", "plan", "--", ...PLAN_ARGS], { cwd: PROJECT_DIR, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => {
            const ms = performance.now() - start;
            if (code === 0) {
                resolve(ms);
            } else {
                reject(new Error(`npm run plan -- ${PLAN_ARGS.join(" ")} exited ${code}:\n${stderr}`));
            }
        });
    });
}

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where there is none. */
function processCpuMs(pid: number | undefined): number | undefined {
    try {
        // Fields 14 and 15 (utime, stime) in clock ticks, after the command name in parentheses (proc(5)).
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_SECOND;
    } catch {
        return undefined;
    }
}

/** USER_HZ, 100 on every Linux architecture Node supports (sysconf(_SC_CLK_TCK); proc(5)). */
const CLOCK_TICKS_PER_SECOND = 100;

function ownCpuMs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
}

async function timePlanInProcess(runs: number): Promise<number[]> {
    const times: number[] = [];
    const log = console.log;
    for (let i = 0; i <= runs; i++) {
        console.log = () => undefined;
        const start = performance.now();
        try {
            const code = await plan(PLAN_ARGS);
            if (code !== 0) {
                throw new Error(`the prod plan exited ${code}`);
            }
        } finally {
            console.log = log;
        }
        if (i > 0) {
            times.push(performance.now() - start); // run 0 is the warm-up
        }
    }
    return times;
}

/** Copies of the prod stack, each with its own namePrefix and stack name, until there are `count` resources. */
async function generate(count: number): Promise<{ copies: number; resources: RecordedResource[]; stacks: string[] }> {
    const prod = loadStackFile("prod");
    const resources: RecordedResource[] = [];
    const stacks: string[] = [];
    while (resources.length < count) {
        const stack = `bench${String(stacks.length + 1).padStart(2, "0")}`;
        const config = { ...prod.config, [`${NAMESPACE}:namePrefix`]: stack };
        resources.push(...(await runProgram(stack, config, prod.secretKeys)).resources);
        stacks.push(stack);
    }
    return { copies: stacks.length, resources, stacks };
}

interface Pass { wallMs: number; packCpuMs?: number; clientCpuMs: number }

/** Runs `work`, timing it by the wall clock and by the CPU of the pack's process and of this one. */
async function timed<T>(pack: PolicyPackProcess, work: () => Promise<T>): Promise<{ pass: Pass; result: T }> {
    const packCpuAt = processCpuMs(pack.pid);
    const clientCpuAt = ownCpuMs();
    const at = performance.now();
    const result = await work();
    const wallMs = performance.now() - at;
    const packCpuNow = processCpuMs(pack.pid);
    return {
        result,
        pass: { wallMs, clientCpuMs: ownCpuMs() - clientCpuAt, packCpuMs: packCpuAt === undefined || packCpuNow === undefined ? undefined : packCpuNow - packCpuAt },
    };
}

/** (c): two passes of the engine stand-in on a fresh pack; each resource's violations from the first. */
async function asTheEngineSends(resources: AnalyzedResource[]): Promise<{ encodeMs: number; passes: Pass[]; violations: Violation[][] }> {
    const encodeAt = performance.now();
    const requests = encodeAnalyzeRequests(resources);
    const encodeMs = performance.now() - encodeAt;
    const pack = await PolicyPackProcess.start();
    try {
        await configurePack(pack);
        const engine = await EngineStandIn.connect(pack.port);
        try {
            const passes: Pass[] = [];
            let first: Buffer[] | undefined;
            for (let i = 0; i < 2; i++) {
                const { pass, result } = await timed(pack, async () => {
                    const bodies: Buffer[] = [];
                    for (const request of requests) {
                        bodies.push(await engine.analyzeRaw(request));
                    }
                    return bodies;
                });
                passes.push(pass);
                first ??= result;
            }
            const violations = first!.map((body, i) => analysis(decodeAnalyzeResponse(body), resources[i].urn).violations);
            return { encodeMs, passes, violations };
        } finally {
            engine.close();
        }
    } finally {
        await pack.close();
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, resources: { type: "string", default: "1000" }, "skip-plan": { type: "boolean" } } });
    const runs = Number(values.runs);
    const count = Number(values.resources);
    if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(count) || count < 1) {
        throw new Error(`--runs and --resources take positive whole numbers; got --runs ${values.runs} --resources ${values.resources}`);
    }

    const processTimes: number[] = [];
    let inProcessTimes: number[] = [];
    if (!values["skip-plan"]) {
        for (let i = 0; i < runs; i++) {
            processTimes.push(await timePlanProcess());
        }
        inProcessTimes = await timePlanInProcess(runs);
    }

    const generated = await generate(count);
    const provider = defaultAwsProvider("prod", PROJECT, { region: loadStackFile("prod").config["aws:region"] });
    const forAnalyze: AnalyzedResource[] = generated.resources.map((r) => fromRecorded(r, "inputs", provider));
    const forStack: AnalyzedResource[] = generated.resources.map((r) => fromRecorded(r, "state", provider));
    const total = generated.resources.length;

    const startAt = performance.now();
    const pack = await PolicyPackProcess.start();
    const startMs = performance.now() - startAt;
    const analyzes: Array<Pass & { inFlight: number }> = [];
    let oneAtATime: Violation[][] = [];
    let stackMs: number;
    let violations = 0;
    try {
        await configurePack(pack);
        // One at a time first (the pack's first calls include its JIT warm-up), then as the offline
        // evaluator sends them, ANALYZE_IN_FLIGHT at once.
        for (const inFlight of [1, ANALYZE_IN_FLIGHT]) {
            const { pass, result } = await timed(pack, () => analyzeEach(pack, forAnalyze, inFlight));
            analyzes.push({ ...pass, inFlight });
            if (inFlight === 1) {
                oneAtATime = result;
            }
        }
        violations += oneAtATime.flat().length;
        const stackAt = performance.now();
        violations += (await pack.analyzeStack(forStack)).length;
        stackMs = performance.now() - stackAt;
    } finally {
        await pack.close();
    }

    const engine = await asTheEngineSends(forAnalyze);
    const differs = engine.violations.findIndex((v, i) => JSON.stringify(v) !== JSON.stringify(oneAtATime[i]));
    if (differs >= 0) {
        throw new Error(`the engine stand-in's verdicts differ from the offline evaluator's on ${forAnalyze[differs].urn}:\n` +
            `${JSON.stringify(engine.violations[differs])}\nagainst\n${JSON.stringify(oneAtATime[differs])}`);
    }

    const perSecond = (ms: number) => `${ms.toFixed(0)} ms = ${(total / (ms / 1000)).toFixed(0)} resources/s`;
    const rows: Array<[string, string]> = [
        ...(values["skip-plan"] ? [] : [
            [`npm run plan -- ${PLAN_ARGS.join(" ")}, own process, wall time (median of ${runs})`, summary(processTimes)],
            [`the same plan in-process, after one warm-up run (median of ${runs})`, summary(inProcessTimes)],
        ] as Array<[string, string]>),
        ["policy pack start (process to port)", `${startMs.toFixed(0)} ms`],
        ...analyzes.flatMap(({ inFlight, wallMs, packCpuMs, clientCpuMs }): Array<[string, string]> => [
            [`Analyze, ${total} resources, ${inFlight === 1 ? "one at a time" : `${inFlight} in flight`}, wall time`, perSecond(wallMs)],
            [`Analyze, the same, CPU time of the pack's process`, packCpuMs === undefined ? "not measured (no /proc)" : perSecond(packCpuMs)],
            [`Analyze, the same, CPU time of this process (the client)`, perSecond(clientCpuMs)],
        ]),
        [`AnalyzeStack, ${total} resources`, `${stackMs.toFixed(0)} ms`],
        [`as the engine sends them: ${total} requests encoded beforehand`, `${engine.encodeMs.toFixed(0)} ms`],
        ...engine.passes.flatMap(({ wallMs, packCpuMs, clientCpuMs }, i): Array<[string, string]> => [
            [`as the engine sends them, one at a time, ${i === 0 ? "first pass (fresh pack)" : "second pass"}, wall time`, perSecond(wallMs)],
            [`as the engine sends them, the same, CPU time of the pack's process`, packCpuMs === undefined ? "not measured (no /proc)" : perSecond(packCpuMs)],
            [`as the engine sends them, the same, CPU time of this process (the stand-in)`, perSecond(clientCpuMs)],
        ]),
        ["violations reported (pack defaults)", String(violations)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`);
    console.log(`Generated stack: ${generated.copies} copies of the prod stack (namePrefix and stack ${generated.stacks[0]}..${generated.stacks.at(-1)}), ` +
        `each a Global Datastore across the regions of Pulumi.prod.yaml with its own ids: ${total} resources.`);
    for (const [k, v] of rows) {
        console.log(`${k.padEnd(width)}  ${v}`);
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
});
