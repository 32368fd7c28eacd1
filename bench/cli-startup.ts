/**
 * Benchmark, not a test: `npx ts-node --transpile-only bench/cli-startup.ts [--runs 7] [--dir <project>]`.
 *
 * How soon the recovery CLI is there, each figure a whole process spawned from here, beside `node -e 0`:
 * - `--help`, as npm runs it (`npm run recovery -- --help`, what an operator types) and as node runs the
 *   compiled file directly;
 * - `retarget-primary --mode outage --dry-run`: from the spawn to the first AWS request. Every AWS
 *   endpoint is a loopback HTTP server here (AWS_ENDPOINT_URL, dummy credentials); the process is
 *   killed when the request arrives. PATH holds only node's folder and /usr/bin:/bin, so without a
 *   Pulumi CLI there the stack cannot be opened and the run goes on from Pulumi.prod.yaml, as on an
 *   on-call machine without the CLI (with one, opening the stack comes first, bounded in an outage).
 *
 * Medians of --runs runs after one warm-up run of each (which also compiles, when the build is stale).
 * Wall time is what a person waits; CPU time (user + system of the whole process tree: npm, its shell,
 * node) hardly moves when the machine is busy, so read it beside the wall time on a shared machine.
 * Linux only (/proc). `--dir` measures another checkout of the project, for example an older commit:
 * its `npm run recovery` and, when it has one, its dist/recovery/cli.js.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../components/config/project";

const HELP_TARGET_MS = 500;
const FIRST_CALL_TARGET_MS = 1000;
const OUTAGE_ARGS = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage", "--force", "--dry-run"];
/** A first AWS request that has not come after this long counts as a failed run. */
const GIVE_UP_MS = 60_000;
const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

interface Sample {
    wallMs: number;
    cpuMs: number;
}

interface Case {
    label: string;
    command: string[];
    /** Undefined: the process runs to its exit. */
    until?: "first-aws-request";
    targetMs?: number;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU used so far by every process of the group `pgid`, with the children they already reaped. */
function groupCpuMs(pgid: number): number {
    let ticks = 0;
    for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        } catch {
            continue; // gone meanwhile
        }
        // Fields after the command name, which may hold spaces: state ppid pgrp ... utime(14) stime cutime cstime.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) === pgid) {
            ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
        }
    }
    return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Runs a command to its exit through bash, whose `times` reports the CPU of everything it waited for. */
function untilExit(command: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Sample> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        // stdin closed: with an open pipe there, node spends a good part of a second of CPU on it.
        const child = spawn("/bin/bash", ["-c", '"$@" >/dev/null 2>&1; status=$?; times; exit $status', "bench", ...command],
            { env, cwd, stdio: ["ignore", "pipe", "ignore"] });
        let out = "";
        child.stdout.on("data", (chunk) => (out += chunk));
        child.on("error", reject);
        child.on("close", (code) => {
            const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
            // `times`: the shell's own user and system time, then its children's: "0m0.123s 0m0.045s".
            const children = out.trim().split("\n").pop()!.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
            if (code !== 0 || !children) {
                reject(new Error(`${command.join(" ")} exited with ${code}`));
                return;
            }
            const seconds = (m: string, s: string) => Number(m) * 60 + Number(s);
            resolve({ wallMs, cpuMs: (seconds(children[1], children[2]) + seconds(children[3], children[4])) * 1000 });
        });
    });
}

/** Runs a command until the stand-in AWS endpoint receives its first request, then kills it. */
function untilFirstRequest(command: string[], env: NodeJS.ProcessEnv, cwd: string, server: FirstRequest): Promise<Sample> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        // Its own process group, so npm, its shell and node are measured and killed together.
        const child = spawn(command[0], command.slice(1), { env, cwd, detached: true, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        let done = false;
        child.stderr.on("data", (chunk) => (stderr += chunk));
        const finish = (outcome: () => void) => {
            if (done) {
                return; // this run's process exiting after it was killed, or a late request
            }
            done = true;
            clearTimeout(timer);
            if (server.waiting === onRequest) {
                server.waiting = undefined;
            }
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
            outcome();
        };
        const onRequest = () => {
            const sample = { wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: groupCpuMs(child.pid!) };
            finish(() => resolve(sample));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no AWS request within ${GIVE_UP_MS} ms from ${command.join(" ")}`))), GIVE_UP_MS);
        server.waiting = onRequest;
        child.on("exit", (code) => finish(() => reject(new Error(`${command.join(" ")} exited with ${code} before any AWS request:\n${stderr.slice(-2000)}`))));
    });
}

interface FirstRequest {
    url: string;
    close(): void;
    waiting?: () => void;
}

/** Every AWS endpoint: answers 503 (nothing is meant to succeed) and tells the waiting run. */
async function standInEndpoint(): Promise<FirstRequest> {
    const state: FirstRequest = { url: "", close: () => undefined };
    const server = http.createServer((req, res) => {
        state.waiting?.();
        req.resume();
        res.writeHead(503, { "content-type": "text/plain" }).end("benchmark stand-in for AWS");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    state.close = () => server.close();
    return state;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, dir: { type: "string" } } });
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
        throw new Error(`--runs ${JSON.stringify(values.runs)} is not valid. Accepted: a whole number from 1 to 100.`);
    }
    const dir = path.resolve(values.dir ?? PROJECT_DIR);
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        throw new Error(`--dir ${dir} is not a checkout of the project (no Pulumi.yaml there).`);
    }
    const server = await standInEndpoint();
    const env: NodeJS.ProcessEnv = {
        HOME: process.env.HOME, TERM: process.env.TERM, LANG: process.env.LANG,
        PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
        AWS_ENDPOINT_URL: server.url, AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_EC2_METADATA_DISABLED: "true",
        npm_config_update_notifier: "false",
    };
    const compiled = path.join(dir, "dist", "recovery", "cli.js");
    const hasCompiled = fs.existsSync(compiled);
    const cases: Case[] = [
        { label: "node -e 0", command: [process.execPath, "-e", "0"] },
        ...(hasCompiled ? [{ label: "node dist/recovery/cli.js --help", command: [process.execPath, compiled, "--help"], targetMs: HELP_TARGET_MS }] : []),
        { label: "npm run recovery -- --help", command: ["npm", "run", "--silent", "recovery", "--", "--help"], targetMs: HELP_TARGET_MS },
        ...(hasCompiled ? [{ label: "node dist/recovery/cli.js retarget-primary --mode outage: first AWS request", command: [process.execPath, compiled, ...OUTAGE_ARGS],
            until: "first-aws-request" as const, targetMs: FIRST_CALL_TARGET_MS }] : []),
        { label: "npm run recovery -- retarget-primary --mode outage: first AWS request", command: ["npm", "run", "--silent", "recovery", "--", ...OUTAGE_ARGS],
            until: "first-aws-request", targetMs: FIRST_CALL_TARGET_MS },
    ];
    const measure = (c: Case) => (c.until ? untilFirstRequest(c.command, env, dir, server) : untilExit(c.command, env, dir));
    const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
    const loadBefore = os.loadavg()[0];
    try {
        for (const c of cases) {
            await measure(c); // warm-up: file cache, and a build when the sources changed
        }
        // Round by round, so a change in the machine's load touches every case alike.
        for (let round = 0; round < runs; round++) {
            for (const c of cases) {
                samples.get(c)!.push(await measure(c));
            }
        }
    } finally {
        server.close();
    }
    const width = Math.max(...cases.map((c) => c.label.length));
    console.log(`Recovery CLI start-up: ${runs} runs each, medians (node ${process.version}, ${os.cpus().length} cores, ` +
        `load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after)`);
    console.log(`${"".padEnd(width)}    wall ms    CPU ms   target`);
    for (const c of cases) {
        const s = samples.get(c)!;
        const wall = median(s.map((x) => x.wallMs));
        const verdict = c.targetMs === undefined ? "" : `< ${c.targetMs} ms wall: ${wall < c.targetMs ? "met" : "NOT met"}`;
        console.log(`${c.label.padEnd(width)}  ${wall.toFixed(0).padStart(8)}  ${median(s.map((x) => x.cpuMs)).toFixed(0).padStart(8)}   ${verdict}`);
    }
    if (!hasCompiled) {
        console.log(`(${dir} has no dist/recovery/cli.js: only the npm rows are measured)`);
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
