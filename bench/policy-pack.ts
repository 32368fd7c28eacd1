/**
 * Benchmark, not a test: `npx ts-node --transpile-only bench/policy-pack.ts [--runs 5] [--resources 1000]`.
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
 *     Analyze per resource, then one AnalyzeStack over all of them; pack start-up is reported apart.
 * Numbers depend on the machine; report them with its description.
 */
import { spawn } from "child_process";
import * as os from "os";
import { parseArgs } from "util";
import { main as plan } from "../offline/plan";
import { PROJECT, PROJECT_DIR, RecordedResource, loadStackFile, runProgram } from "../offline/run";
import { PolicyPackProcess } from "../offline/policy/host";
import { configurePack } from "../offline/policy/evaluate";
import { AnalyzedResource, defaultAwsProvider, fromRecorded } from "../offline/policy/wire";
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

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, resources: { type: "string", default: "1000" } } });
    const runs = Number(values.runs);
    const count = Number(values.resources);
    if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(count) || count < 1) {
        throw new Error(`--runs and --resources take positive whole numbers; got --runs ${values.runs} --resources ${values.resources}`);
    }

    const processTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
        processTimes.push(await timePlanProcess());
    }
    const inProcessTimes = await timePlanInProcess(runs);

    const generated = await generate(count);
    const provider = defaultAwsProvider("prod", PROJECT, { region: loadStackFile("prod").config["aws:region"] });
    const forAnalyze: AnalyzedResource[] = generated.resources.map((r) => fromRecorded(r, "inputs", provider));
    const forStack: AnalyzedResource[] = generated.resources.map((r) => fromRecorded(r, "state", provider));
    const total = generated.resources.length;

    const startAt = performance.now();
    const pack = await PolicyPackProcess.start();
    const startMs = performance.now() - startAt;
    let analyzeMs: number;
    let stackMs: number;
    let violations = 0;
    try {
        await configurePack(pack);
        const analyzeAt = performance.now();
        for (const r of forAnalyze) {
            violations += (await pack.analyze(r)).length;
        }
        analyzeMs = performance.now() - analyzeAt;
        const stackAt = performance.now();
        violations += (await pack.analyzeStack(forStack)).length;
        stackMs = performance.now() - stackAt;
    } finally {
        await pack.close();
    }

    const rows: Array<[string, string]> = [
        [`npm run plan -- ${PLAN_ARGS.join(" ")}, own process, wall time (median of ${runs})`, summary(processTimes)],
        [`the same plan in-process, after one warm-up run (median of ${runs})`, summary(inProcessTimes)],
        ["policy pack start (process to port)", `${startMs.toFixed(0)} ms`],
        [`Analyze, ${total} resources, one at a time`, `${analyzeMs.toFixed(0)} ms = ${(total / (analyzeMs / 1000)).toFixed(0)} resources/s`],
        [`AnalyzeStack, ${total} resources`, `${stackMs.toFixed(0)} ms`],
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
