/**
 * `npm run drill:local`: the failover drill on a local Redis Cluster, with the canary's measurements
 * printed and filed as a report. Ctrl-C stops the canary and the cluster before exiting (130); a second
 * Ctrl-C exits at once (the servers' watchdogs still remove them).
 */
import { FlagValues, UsageError, commandHelp, flagName, parseFlags } from "../lib/flags";
import { Output, formatDuration, humanPrinter, jsonLinesPrinter } from "../lib/printer";
import { DEFAULT_REPORT_DIRECTORY } from "../lib/report";
import { describeLoss } from "../dataplane/measure";
import { Spread } from "./spread";
import { FAILOVER_KINDS, FailoverKind, LocalDrillResult, runLocalDrill } from "./local";
import { reportDocument, writeDrillReport } from "./report";

export const PROGRAM = "npm run drill:local --";

const FLAGS = [
    { key: "runs", kind: "number", default: 1, min: 1, max: 100, unit: "runs", description: "How many times to run the whole drill, each time on a fresh cluster." },
    { key: "rate", kind: "number", default: 50, min: 1, max: 1000, unit: "writes per second per shard", description: "Canary write rate (reads run at the same rate)." },
    {
        key: "kinds", kind: "string", default: FAILOVER_KINDS.join(","), accepted: `a comma-separated list of ${FAILOVER_KINDS.join(", ")}`,
        description: "Failovers per run, in order: CLUSTER FAILOVER on a replica, and SIGKILL of a primary.",
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

function spreadText(s: Spread | undefined, unit = " ms"): string {
    if (!s) {
        return "-";
    }
    const r = (v: number) => `${Math.round(v)}${unit}`;
    return s.n === 1 ? r(s.median) : `median ${r(s.median)}, min ${r(s.min)}, max ${r(s.max)}`;
}

/** The human summary printed after the progress lines. */
export function summaryLines(result: LocalDrillResult): string[] {
    const lines = ["", `Drill finished: ${result.runs.length} run(s), ${result.settings.ratePerShard} writes/s per shard.`];
    const unknownLoss: string[] = [];
    for (const run of result.runs) {
        for (const e of run.events) {
            lines.push(`  run ${run.run} ${e.kind.padEnd(16)} ${e.shard}: window (RTO) ${e.windowMs} ms, first failed write ` +
                `${e.detectAfterLastAckMs === null ? "-" : `${e.detectAfterLastAckMs} ms after the last acknowledgement`}, ${describeLoss(e)}, ` +
                `stale reads ${e.staleReads}${e.recovered ? "" : ", NOT RECOVERED"}`);
            if (e.lostAckedWrites === null) {
                unknownLoss.push(`run ${run.run} ${e.kind} (${e.unverified.join(", ")} not read)`);
            }
        }
    }
    for (const kind of FAILOVER_KINDS) {
        const a = result.aggregate[kind];
        if (a) {
            const known = a.eventsWithUnknownLoss > 0 ? ` over the ${a.events - a.eventsWithUnknownLoss} event(s) whose loss is known` : "";
            lines.push(`${kind} (${a.events} events): RTO (write-unavailability window) ${spreadText(a.windowMs)}; ` +
                `RPO ${spreadText(a.rpoMs)}, acknowledged writes lost ${spreadText(a.lostAckedWrites, "")}${known}; ` +
                `time to detect ${spreadText(a.detectAfterLastAckMs)} after the last acknowledgement (${spreadText(a.detectAfterStartMs)} after the ${kind})`);
        }
    }
    if (unknownLoss.length > 0) {
        lines.push(`Data loss UNKNOWN (the reader could not read every shard) after: ${unknownLoss.join("; ")}. Lost writes are not counted as 0 there.`);
    }
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
        const result = await runLocalDrill({ runs: flags.runs, ratePerShard: flags.rate, kinds, emit, signal: controller.signal });
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
