/**
 * Benchmark, not a test: `npm run bench:test-suite [-- --runs 3]`.
 *
 * Runs the whole suite as `npm test` does (type check beside the test files in parallel workers),
 * --runs times in a row, and prints:
 * - each run's wall time (from spawn to exit, type check included), its CPU time (user + system of
 *   every process of the run, where /proc tells it), its passing/failing/pending counts and, under it,
 *   each failed test or hook with its file and the first line of its error;
 * - the median wall time;
 * - the ten slowest test files, each with its median over the runs. A file's time is the sum of what
 *   mocha measured for its tests and hooks (scripts/file-times-reporter.ts); loading its modules is not
 *   in it. Files run side by side in parallel mode, so these times add up to more than the wall time.
 * Numbers depend on the machine and on what else runs on it; report them with both.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type FileTimes from "../scripts/file-times-reporter";
import { NPM_TEST_ARGV } from "../scripts/npm-test-command";

const ROOT = path.resolve(__dirname, "..");

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU seconds used by the children this process has waited for (Linux /proc), or undefined elsewhere. */
function childrenCpuSeconds(): number | undefined {
    try {
        // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17 of the whole line.
        const fields = fs.readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /s, "").split(" ");
        const ticks = Number(fields[13]) + Number(fields[14]);
        return ticks / 100; // USER_HZ is 100 on Linux
    } catch {
        return undefined;
    }
}

interface Run {
    wallS: number;
    cpuS?: number;
    exitCode: number;
    report?: FileTimes.Report;
}

function runSuite(index: number, dir: string): Promise<Run> {
    const output = path.join(dir, `run-${index}.json`);
    const cpuBefore = childrenCpuSeconds();
    const started = Date.now();
    const child = spawn(process.execPath, [
        ...NPM_TEST_ARGV,
        "--reporter", path.join(ROOT, "scripts/file-times-reporter.ts"), "--reporter-option", `output=${output}`,
    ], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    return new Promise((resolve) => {
        child.once("exit", (code) => {
            const wallS = (Date.now() - started) / 1000;
            const cpuAfter = childrenCpuSeconds();
            resolve({
                wallS,
                cpuS: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
                exitCode: code ?? 1,
                report: fs.existsSync(output) ? JSON.parse(fs.readFileSync(output, "utf8")) as FileTimes.Report : undefined,
            });
        });
    });
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        throw new Error(`--runs is ${JSON.stringify(values.runs)}. Accepted: a whole number from 1 to 20.`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-test-suite-"));
    const results: Run[] = [];
    try {
        for (let i = 1; i <= runs; i++) {
            process.stdout.write(`\n=== run ${i} of ${runs} ===\n`);
            results.push(await runSuite(i, dir));
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }

    const cpus = os.cpus();
    console.log(`\nnpm test, ${runs} run(s), node ${process.version}, ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, load average now ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    for (const [i, r] of results.entries()) {
        const counts = r.report ? `${r.report.passes} passing, ${r.report.failures} failing, ${r.report.pending} pending` : "no report";
        console.log(`  run ${i + 1}: ${r.wallS.toFixed(1)} s wall, ${r.cpuS !== undefined ? `${r.cpuS.toFixed(1)} s CPU` : "CPU unknown"}, exit ${r.exitCode}, ${counts}`);
        // The run's own output has the whole failure, but it scrolls away under the next runs.
        for (const f of r.report?.failed ?? []) {
            console.log(`    failed: ${f.file}: ${f.title}: ${f.error}`);
        }
    }
    console.log(`median wall time: ${median(results.map((r) => r.wallS)).toFixed(1)} s`);

    const perFile = new Map<string, number[]>();
    for (const r of results) {
        for (const f of r.report?.files ?? []) {
            perFile.set(f.file, [...(perFile.get(f.file) ?? []), f.ms]);
        }
    }
    const slowest = [...perFile].map(([file, ms]) => ({ file, ms: median(ms) })).sort((a, b) => b.ms - a.ms).slice(0, 10);
    console.log("ten slowest test files (median of the runs; tests plus hooks, as mocha timed them):");
    for (const f of slowest) {
        console.log(`  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.file}`);
    }
    if (results.some((r) => r.exitCode !== 0)) {
        process.exitCode = 1;
    }
}

main().catch((error) => {
    console.error((error as Error).message);
    process.exitCode = 2;
});
