/**
 * `npm test`: the type check and every test, side by side.
 *
 * `tsc --noEmit` uses one core for its whole run; mocha runs the test files in parallel worker
 * processes (see defaultJobs) and transpiles without type-checking. Started together they keep every core
 * busy. The type check's output is held back and printed after the tests, so it does not cut into
 * mocha's; the exit code is non-zero when either fails.
 *
 * Workers take the files in the order given, so the slowest files of the last whole run go first (their
 * times are kept in node_modules/.cache; files without a time, new ones, go before all): the run does
 * not end with one worker busy on a long file while the others idle. Without times the order is by name.
 *
 * Arguments go to mocha: `npm test -- --grep canary`, `npm test -- tests/drill/*.test.ts` (files given
 * replace the default of every tests/**\/*.test.ts), `npm test -- --jobs 1` (serial workers).
 * `--no-typecheck` (first) runs the tests alone: `npm run test:only`.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type FileTimes from "./file-times-reporter";
import { PROGRAM_RUN_CACHE_ENV } from "../tests/helpers/program-runs-env";
// The hook `node -r ./scripts/transpile.js` loaded already: the same module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pruneTranspileCache } = require("./transpile.js") as { pruneTranspileCache(maxAgeDays?: number): void };

const ROOT = path.resolve(__dirname, "..");
const TESTS_DIR = "tests";
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache");
const TYPECHECK_CONFIG = path.join(CACHE_DIR, "tsconfig.typecheck.json");
const FILE_TIMES = path.join(CACHE_DIR, "test-file-times.json");

/**
 * Two workers more than cores: several files spend most of their time waiting (drills on a real local
 * cluster in real time, child processes starting), and the extra workers keep the cores busy meanwhile.
 * On this project's 2-core machine that measured 98 s against 111 s with one worker per core.
 */
function defaultJobs(): number {
    return (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length) + 2;
}

/**
 * Whether the mocha arguments name test files: a positional argument that is not the value of the
 * option before it (`--reporter x.ts`, `--grep y`). Mocha's own table says which options take one.
 */
function namesFiles(args: readonly string[]): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { types, aliases } = require("mocha/lib/cli/run-option-metadata.cjs") as { types: Record<string, string[]>; aliases: Record<string, string[]> };
    const valued = new Set(["array", "number", "string"].flatMap((t) => types[t] ?? []));
    for (const [name, names] of Object.entries(aliases)) {
        if (valued.has(name)) {
            names.forEach((alias) => valued.add(alias));
        }
    }
    return args.some((arg, i) => {
        const before = i > 0 ? args[i - 1] : "";
        const takesValue = /^--?[^=]+$/.test(before) && valued.has(before.replace(/^--?/, ""));
        return !arg.startsWith("-") && !takesValue;
    });
}

/** Every tests/**\/*.test.ts, slowest first by the last whole run's times, files without a time first of all. */
function allTestFiles(): string[] {
    const files = (fs.readdirSync(path.join(ROOT, TESTS_DIR), { recursive: true }) as string[])
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => path.join(TESTS_DIR, f).split(path.sep).join("/"))
        .sort();
    let times: Record<string, number> = {};
    try {
        const report = JSON.parse(fs.readFileSync(FILE_TIMES, "utf8")) as FileTimes.Report;
        times = Object.fromEntries(report.files.map((f) => [f.file, f.ms]));
    } catch {
        // No whole run yet: by name.
    }
    const known = (f: string) => typeof times[f] === "number";
    return [...files.filter((f) => !known(f)), ...files.filter(known).sort((a, b) => times[b] - times[a])];
}

/**
 * The type check's project: tsconfig.json with noEmit and an incremental state file, checked in build
 * mode (`tsc -b`). Build mode first asks whether anything changed since the state was written (every
 * source file, the config, the package.json files resolution read) and, when nothing did, reports the
 * last check's result without parsing the program again (TypeScript's getUpToDateStatusWorker in
 * src/compiler/tsbuildPublic.ts: root files, config and package.json lookups against the state file's
 * time; a state with errors is never up to date): about 1 s instead of 8 to 10 s for a whole
 * incremental check, which still parses every declaration file of the dependencies. The state file is
 * named after package-lock.json, so another set of installed dependencies never reuses it.
 *
 * Written only when its content changes: build mode counts a newer config as a change.
 */
function typecheckProject(): string {
    const lock = fs.existsSync(path.join(ROOT, "package-lock.json"))
        ? crypto.createHash("sha256").update(fs.readFileSync(path.join(ROOT, "package-lock.json"))).digest("hex").slice(0, 16)
        : "no-lockfile";
    const state = `tsc-${lock}.tsbuildinfo`;
    const config = `${JSON.stringify({
        extends: path.relative(CACHE_DIR, path.join(ROOT, "tsconfig.json")),
        compilerOptions: { noEmit: true, incremental: true, tsBuildInfoFile: `./${state}` },
    }, null, 4)}\n`;
    if (!fs.existsSync(TYPECHECK_CONFIG) || fs.readFileSync(TYPECHECK_CONFIG, "utf8") !== config) {
        fs.writeFileSync(TYPECHECK_CONFIG, config);
    }
    // The states of other lockfiles, and of the plain incremental check this replaced, are of no further use.
    for (const old of fs.readdirSync(CACHE_DIR).filter((f) => f.endsWith(".tsbuildinfo") && f !== state)) {
        fs.rmSync(path.join(CACHE_DIR, old), { force: true });
    }
    return TYPECHECK_CONFIG;
}

function seconds(since: number): string {
    return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

const children = new Set<ChildProcess>();

/**
 * A larger young generation for mocha, its workers and every Node process they start (policy packs,
 * the plan): the program under mocks and the pack's decoding allocate short-lived objects fast, and with
 * V8's default semi-space a third of a program run's CPU went to scavenges. 64 MB cut a run of the prod
 * program from ~430 to ~250 ms of CPU on this machine. Appended, so a NODE_OPTIONS of the caller's stays.
 */
const NODE_OPTIONS = [process.env.NODE_OPTIONS, "--max-semi-space-size=64"].filter(Boolean).join(" ");

function run(command: string, args: string[], capture: boolean, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [command, ...args], {
            cwd: ROOT, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", env: { ...process.env, NODE_OPTIONS, ...env },
        });
        children.add(child);
        let output = "";
        child.stdout?.on("data", (d: Buffer) => { output += d.toString(); });
        child.stderr?.on("data", (d: Buffer) => { output += d.toString(); });
        child.once("exit", (code, signal) => {
            children.delete(child);
            resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1), output });
        });
    });
}

// Ctrl-C reaches every process of the group; a SIGTERM to this one alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        children.forEach((child) => child.kill(signal));
        process.exitCode = 128 + os.constants.signals[signal];
    });
}

async function main(): Promise<number> {
    const started = Date.now();
    const skipTypecheck = process.argv[2] === "--no-typecheck";
    const extra = process.argv.slice(skipTypecheck ? 3 : 2);
    const givesJobs = extra.some((a) => /^(--jobs|-j)(=|$)/.test(a));
    // A whole run with the default reporter records each file's time for the next run's order.
    const wholeRun = extra.length === 0;
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    pruneTranspileCache();
    const mochaArgs = [
        "--parallel", ...(givesJobs ? [] : ["--jobs", String(defaultJobs())]),
        ...(wholeRun ? ["--reporter", path.join(__dirname, "file-times-reporter.ts"), "--reporter-option", `output=${FILE_TIMES}`] : []),
        ...(namesFiles(extra) ? [] : allTestFiles()),
        ...extra,
    ];

    const typecheck = skipTypecheck ? undefined
        // Incremental, in build mode: the next run re-checks only what changed since, and nothing when nothing did.
        : run(require.resolve("typescript/bin/tsc"), ["--build", typecheckProject()], true)
            .then((r) => ({ ...r, took: seconds(started) }));
    // This run's mocha workers share the program runs under mocks there (tests/helpers/program.ts).
    const programRuns = fs.mkdtempSync(path.join(os.tmpdir(), "elasticache-global-program-runs-"));
    let tests: { code: number };
    try {
        tests = await run(require.resolve("mocha/bin/mocha.js"), mochaArgs, false, { [PROGRAM_RUN_CACHE_ENV]: programRuns });
    } finally {
        fs.rmSync(programRuns, { recursive: true, force: true });
    }
    const testsTook = seconds(started);

    let code = tests.code;
    if (typecheck) {
        const checked = await typecheck;
        if (checked.code !== 0) {
            process.stdout.write(`\n${checked.output}`);
            process.stdout.write(`type check (tsc --noEmit): FAILED (exit ${checked.code})\n`);
            code = code || checked.code;
        } else {
            process.stdout.write(`type check (tsc --noEmit): ok in ${checked.took}\n`);
        }
    }
    process.stdout.write(`tests: ${tests.code === 0 ? "ok" : `FAILED (exit ${tests.code})`} in ${testsTook}; npm test took ${seconds(started)}\n`);
    return code;
}

main().then((code) => {
    process.exitCode = process.exitCode || code;
}, (error) => {
    console.error(error);
    process.exitCode = 1;
});
