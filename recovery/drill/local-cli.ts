/**
 * `npm run drill:local`: the failover drill on a local Redis Cluster, with the canary's measurements
 * printed and filed as a report. Ctrl-C stops the canary and the cluster before exiting (130); a second
 * Ctrl-C exits at once (the servers' watchdogs still remove them).
 */
import { FlagValues, UsageError, commandHelp, flagName, parseFlags } from "../lib/flags";
import { Output, formatDuration, humanPrinter, jsonLinesPrinter } from "../lib/printer";
import { DEFAULT_REPORT_DIRECTORY } from "../lib/report";
import { RedisServerNotFoundError, resolveRedisServer } from "../local/process";
import { LOOPBACK_LOSS, STALL_MEANS, WHOLE_CLUSTER_REFUSES, eventSummary, outagesText, refusedElsewhere, stalledElsewhere, windowPrecision } from "./figures";
import { Spread } from "./spread";
import { FAILOVER_KINDS, FailoverKind, LocalDrillResult, UNREPLICATED_MS, runLocalDrill } from "./local";
import { reportDocument, writeDrillReport } from "./report";

export const PROGRAM = "npm run drill:local --";
/** The environment variable that names the redis-server binary when --redis-server is not given. */
export const REDIS_SERVER_ENV = "REDIS_SERVER";

const FLAGS = [
    { key: "runs", kind: "number", default: 1, min: 1, max: 100, unit: "runs", description: "How many times to run the whole drill, each time on a fresh cluster." },
    { key: "rate", kind: "number", default: 50, min: 1, max: 1000, unit: "writes per second per shard", description: "Canary write rate (reads run at the same rate)." },
    {
        key: "kinds", kind: "string", default: FAILOVER_KINDS.join(","), accepted: `a comma-separated list of ${FAILOVER_KINDS.join(", ")}`,
        description: "Failovers per run, in order, each on the next shard: CLUSTER FAILOVER on a replica; SIGKILL of a primary; and SIGKILL of a " +
            `primary whose replication was cut ${UNREPLICATED_MS} ms before, so the writes it acknowledged alone are lost (on loopback a plain kill loses none).`,
    },
    {
        key: "redisServer", kind: "string", accepted: "the path of a redis-server (or valkey-server) binary, or its name on PATH",
        description: `The server binary the local cluster runs. Default: the environment variable ${REDIS_SERVER_ENV}, else redis-server on PATH.`,
    },
    { key: "reportDir", kind: "string", default: DEFAULT_REPORT_DIRECTORY, accepted: "a directory (created when missing)", description: "Where the JSON, Markdown and SVG report go." },
    { key: "json", kind: "boolean", description: "Print events and the final result as JSON lines instead of human-readable lines." },
    { key: "debug", kind: "boolean", description: "Print stack traces of errors." },
] as const;

export const DRILL_LOCAL_COMMAND = {
    name: "drill:local",
    summary: "Fail over primaries of a local Redis Cluster under canary traffic and measure write unavailability, lost writes and stale reads.",
    examples: ["drill:local", "drill:local -- --runs 5", "drill:local -- --kinds kill --rate 100 --json"],
    flags: FLAGS,
    exitCodes: [
        { code: 0, meaning: "the drill ran; the results (including any lost writes) are in the output and the report" },
        { code: 1, meaning: "the drill could not run or broke off (no redis-server, a cluster that would not form, ...)" },
        { code: 2, meaning: "bad command-line input; nothing was started" },
        { code: 130, meaning: "interrupted (Ctrl-C); the canary and the cluster were stopped" },
    ],
};

export type DrillFlags = FlagValues<typeof FLAGS>;

/** "cluster-failover,kill" -> the kinds, or a UsageError naming the flag, the value and what is accepted. */
export function parseKinds(text: string): FailoverKind[] {
    const kinds = text.split(",").map((k) => k.trim());
    const bad = kinds.filter((k) => !(FAILOVER_KINDS as readonly string[]).includes(k));
    if (bad.length > 0 || new Set(kinds).size !== kinds.length) {
        throw new UsageError(`${flagName("kinds")} ${JSON.stringify(text)} is not valid${bad.length > 0 ? ` (${bad.map((b) => JSON.stringify(b)).join(", ")} unknown)` : " (a kind repeats)"}. ` +
            `Accepted: a comma-separated list of ${FAILOVER_KINDS.join(", ")}, each at most once.`, DRILL_LOCAL_COMMAND.name);
    }
    return kinds as FailoverKind[];
}

function wholeNumber(key: "runs" | "rate", value: number): number {
    if (!Number.isInteger(value)) {
        const spec = FLAGS.find((f) => f.key === key) as { min: number; max: number; unit: string };
        throw new UsageError(`${flagName(key)} "${value}" is not valid. Accepted: a whole number from ${spec.min} to ${spec.max} (${spec.unit}).`, DRILL_LOCAL_COMMAND.name);
    }
    return value;
}

/** "95 ms", or "min 80 ms, median 95 ms, max 140 ms" over several events; whole numbers. */
function spreadText(s: Spread | undefined, unit = " ms"): string {
    if (!s) {
        return "-";
    }
    const r = (v: number) => `${Math.round(v)}${unit}`;
    return s.n === 1 ? r(s.median) : `min ${r(s.min)}, median ${r(s.median)}, max ${r(s.max)}`;
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The human summary printed after the progress lines. */
export function summaryLines(result: LocalDrillResult): string[] {
    const s = result.settings;
    const lines = ["", `Drill finished: ${plural(result.runs.length, "run")}, ${s.ratePerShard} writes/s per shard.`];
    const unknownLoss: string[] = [];
    const othersDown: string[] = [];
    const othersStalled: string[] = [];
    for (const run of result.runs) {
        for (const e of run.events) {
            lines.push(`  run ${run.run} ${e.kind} on ${e.shard}: ${eventSummary(e)}${e.recovered ? "" : "; NOT RECOVERED"}`);
            if (e.lostAckedWrites === null) {
                unknownLoss.push(`run ${run.run} ${e.kind} (${e.unverified.join(", ")} not read)`);
            }
            const [refused, stalled] = [refusedElsewhere(e), stalledElsewhere(e)];
            if (refused.length > 0) {
                othersDown.push(`run ${run.run} ${e.kind} of ${e.shard}: ${outagesText(refused)}`);
            }
            if (stalled.length > 0) {
                othersStalled.push(`run ${run.run} ${e.kind} of ${e.shard}: ${outagesText(stalled)}`);
            }
        }
    }
    for (const kind of FAILOVER_KINDS) {
        const a = result.aggregate[kind];
        if (a) {
            const known = a.eventsWithUnknownLoss > 0 ? ` over the ${plural(a.events - a.eventsWithUnknownLoss, "event")} whose loss is known` : "";
            lines.push(`${kind} (${plural(a.events, "event")}): write-unavailability window ${spreadText(a.windowMs)}; ` +
                `promoted (roles settled) ${spreadText(a.promotedAfterStartMs)} after the ${kind}; ` +
                `first failed write ${spreadText(a.firstFailureAfterLastAckMs)} after the last acknowledgement; ` +
                `acknowledged writes lost ${spreadText(a.lostAckedWrites, "")}${known}, RPO ${spreadText(a.rpoMs)}`);
        }
    }
    if (othersDown.length > 0) {
        lines.push(`Other shards refused writes during: ${othersDown.join("; ")}. Why: ${WHOLE_CLUSTER_REFUSES}.`);
    }
    if (othersStalled.length > 0) {
        lines.push(`Other shards stalled during: ${othersStalled.join("; ")}: ${STALL_MEANS}.`);
    }
    if (unknownLoss.length > 0) {
        lines.push(`Data loss UNKNOWN (the reader could not read every shard) after: ${unknownLoss.join("; ")}. Lost writes are not counted as 0 there.`);
    }
    lines.push(windowPrecision(Math.round(1000 / s.ratePerShard)),
        "The first failed write is the client's view: the canary's attempt timeout " +
        `(${s.attemptTimeoutMs} ms) and the client's retries after the last acknowledgement, not when the cluster noticed the failure.`,
        LOOPBACK_LOSS);
    const { cpu, cpuSteadyState: steady } = result;
    if (cpu && steady) {
        const servers = (c: typeof cpu) => (c.serversPercent !== undefined ? `, redis-server ${c.serversPercent} %` : "");
        lines.push(`Measurement CPU (% of one core): whole drill ${cpu.processPercent} %${servers(cpu)} over ${formatDuration(cpu.wallMs)}; ` +
            `healthy cluster, no failover ${steady.processPercent} %${servers(steady)}.`);
    }
    return lines;
}

export interface CliIo {
    stdout: Output;
    stderr: Output;
    /** Environment variables (REDIS_SERVER). Default: process.env. */
    env?: Readonly<Record<string, string | undefined>>;
    /** Subscribes to interrupts (Ctrl-C); returns the unsubscribe. Default: SIGINT and SIGTERM of this process. */
    onInterrupt?: (handler: () => void) => () => void;
}

function processInterrupts(handler: () => void): () => void {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
    };
}

/** Runs the command; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
    let flags: DrillFlags;
    let kinds: FailoverKind[];
    try {
        const parsed = parseFlags(DRILL_LOCAL_COMMAND, argv);
        if (parsed.help) {
            io.stdout.write(commandHelp(DRILL_LOCAL_COMMAND, "npm run"));
            return 0;
        }
        flags = parsed.values;
        wholeNumber("runs", flags.runs);
        wholeNumber("rate", flags.rate);
        kinds = parseKinds(flags.kinds);
    } catch (error) {
        if (error instanceof UsageError) {
            io.stderr.write(`${error.message}\nRun ${PROGRAM} --help for the flags.\n`);
            return error.exitCode;
        }
        throw error;
    }
    const redisServer = flags.redisServer ?? (io.env ?? process.env)[REDIS_SERVER_ENV] ?? "redis-server";
    try {
        await resolveRedisServer(redisServer);
    } catch (error) {
        if (!(error instanceof RedisServerNotFoundError)) {
            throw error;
        }
        const given = flags.redisServer !== undefined ? flagName("redisServer") : (io.env ?? process.env)[REDIS_SERVER_ENV] !== undefined ? REDIS_SERVER_ENV : undefined;
        io.stderr.write(`Drill failed: no redis-server to run the local cluster with: no executable ${JSON.stringify(redisServer)} found ` +
            `${redisServer.includes("/") ? "there" : "on PATH"}.\n` +
            `${given ? `(from ${given}) ` : ""}Install it (Debian/Ubuntu: apt-get install redis-server), or name the binary: ` +
            `${PROGRAM} ${flagName("redisServer")} <path>, or the environment variable ${REDIS_SERVER_ENV}=<path>. Nothing was started.\n`);
        return 1;
    }
    const controller = new AbortController();
    let interrupts = 0;
    const unsubscribe = (io.onInterrupt ?? processInterrupts)(() => {
        interrupts += 1;
        if (interrupts > 1) {
            io.stderr.write("Interrupted again: exiting now; the servers' watchdogs remove them.\n");
            process.exit(130);
        }
        io.stderr.write("Interrupted: stopping the canary and the local cluster (Ctrl-C again to exit at once).\n");
        controller.abort(new Error("interrupted by the user"));
    });
    try {
        const emit = flags.json ? jsonLinesPrinter(io.stdout) : humanPrinter(io.stdout);
        const result = await runLocalDrill({ runs: flags.runs, ratePerShard: flags.rate, kinds, redisServer, emit, signal: controller.signal });
        const files = await writeDrillReport(result, flags.reportDir);
        if (flags.json) {
            io.stdout.write(`${JSON.stringify({ type: "result", ...(reportDocument(result) as object), files })}\n`);
        } else {
            io.stdout.write(`${[...summaryLines(result), `Report: ${files.markdown} (also ${files.json}, ${files.svgs.join(", ")})`].join("\n")}\n`);
        }
        return 0;
    } catch (error) {
        if (controller.signal.aborted) {
            io.stderr.write("Drill interrupted; the canary and the cluster are stopped. No report was written.\n");
            return 130;
        }
        const e = error as Error;
        io.stderr.write(`Drill failed: ${e?.message ?? String(error)}\n`);
        if (e?.cause) {
            io.stderr.write(`Cause: ${(e.cause as Error)?.message ?? String(e.cause)}\n`);
        }
        if (flags.debug && e?.stack) {
            io.stderr.write(`${e.stack}\n`);
        }
        return 1;
    } finally {
        unsubscribe();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(1);
    });
}
