/**
 * Benchmark, not a test: `npx ts-node --transpile-only bench/policy-pack.ts [--runs 5] [--resources 1000]`.
 *
 * (a) Wall time of the offline plan of the prod stack (program under mocks plus the policy pack),
 *     median of --runs runs of the plan command in this process, its output discarded.
 * (b) Policy evaluation over gRPC: Analyze per resource on a generated stack of --resources resources
 *     (the prod program's resources cloned with distinct URNs and names, their regions rotated), then
 *     one AnalyzeStack over all of them; pack start-up is reported separately.
 * Numbers depend on the machine; report them with its description.
 */
import * as os from "os";
import { parseArgs } from "util";
import { main as plan } from "../offline/plan";
import { PROJECT, RecordedResource, runStack } from "../offline/run";
import { PolicyPackProcess } from "../offline/policy/host";
import { configurePack } from "../offline/policy/evaluate";
import { AnalyzedResource, defaultAwsProvider, fromRecorded } from "../offline/policy/wire";

const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"];

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timePlan(runs: number): Promise<number[]> {
    const times: number[] = [];
    const log = console.log;
    for (let i = 0; i < runs; i++) {
        console.log = () => undefined;
        const start = performance.now();
        try {
            const code = await plan(["--stack", "prod"]);
            if (code !== 0) {
                throw new Error(`the prod plan exited ${code}`);
            }
        } finally {
            console.log = log;
        }
        times.push(performance.now() - start);
    }
    return times;
}

/** `count` resources cycled from the program's own, each copy with its own URN, name and region. */
function generate(resources: RecordedResource[], count: number): RecordedResource[] {
    const out: RecordedResource[] = [];
    for (let i = 0; out.length < count; i++) {
        const r = resources[i % resources.length];
        const copy = Math.floor(i / resources.length);
        const region = REGIONS[(i + copy) % REGIONS.length];
        const name = `${r.name}-copy${copy}`;
        out.push({
            ...r, name, urn: r.urn.replace(/::[^:]+$/, `::${name}`),
            inputs: { ...r.inputs, region }, state: { ...r.state, region },
        });
    }
    return out;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, resources: { type: "string", default: "1000" } } });
    const runs = Number(values.runs);
    const count = Number(values.resources);
    if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(count) || count < 1) {
        throw new Error(`--runs and --resources take positive whole numbers; got --runs ${values.runs} --resources ${values.resources}`);
    }

    const planTimes = await timePlan(runs);

    const prod = await runStack("prod");
    const stack = generate(prod.resources, count);
    const provider = defaultAwsProvider("prod", PROJECT, { region: prod.file.config["aws:region"] });
    const forAnalyze: AnalyzedResource[] = stack.map((r) => fromRecorded(r, "inputs", provider));
    const forStack: AnalyzedResource[] = stack.map((r) => fromRecorded(r, "state", provider));

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
        [`offline plan, prod (median of ${runs})`, `${median(planTimes).toFixed(0)} ms (min ${Math.min(...planTimes).toFixed(0)}, max ${Math.max(...planTimes).toFixed(0)})`],
        ["policy pack start (process to port)", `${startMs.toFixed(0)} ms`],
        [`Analyze, ${count} resources, one at a time`, `${analyzeMs.toFixed(0)} ms = ${(count / (analyzeMs / 1000)).toFixed(0)} resources/s`],
        [`AnalyzeStack, ${count} resources`, `${stackMs.toFixed(0)} ms`],
        ["violations reported", String(violations)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`);
    for (const [k, v] of rows) {
        console.log(`${k.padEnd(width)}  ${v}`);
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
});
