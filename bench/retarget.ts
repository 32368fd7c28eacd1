/**
 * Benchmark (not a test): how soon retarget-primary notices that a planned promotion has completed,
 * next to what the SDK's default waiter cadence would give on the same timeline.
 *
 * Everything runs against the fake control plane on its virtual clock: the promotion takes the
 * simulated durations below (a Global Datastore promotion takes about a minute), so the figures are
 * simulated, not measured against AWS. Run: npx ts-node --transpile-only bench/retarget.ts
 */
import { maxIntervalMs, sdkWaiterDelayMs } from "../recovery/lib/wait";
import { harness } from "../tests/recovery/commands/harness";

/** Simulated promotion durations, seconds. */
const FAILOVER_SECONDS = [45, 52, 60, 68, 75, 90];
/** Draws of the SDK waiter's jitter per duration. */
const SDK_DRAWS = 2000;
/** End-to-end runs of the real command per duration (its polling jitter is not seeded). */
const OUR_RUNS = 5;

/** A small deterministic PRNG, so two runs of the benchmark print the same SDK figures. */
function mulberry32(seed: number): () => number {
    let a = seed;
    return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** The SDK waiter polls at once, then sleeps sdkWaiterDelayMs between polls: when does it first see `doneAtMs`? */
function sdkDetectionLagMs(doneAtMs: number, random: () => number): number {
    let at = 0;
    for (let attempt = 1; at < doneAtMs; attempt++) {
        at += sdkWaiterDelayMs(attempt, { random });
    }
    return at - doneAtMs;
}

interface Row {
    failoverS: number;
    polls: number;
    oursMeanS: number;
    oursMaxS: number;
    boundS: number;
    sdkMeanS: number;
    sdkMaxS: number;
}

interface Run {
    polls: number;
    lagS: number;
}

/** One end-to-end planned promotion through the CLI entry, against the fake, on the virtual clock. */
async function runOnce(failoverS: number): Promise<Run> {
    const h = await harness({ durations: { failover: failoverS * 1000 } });
    try {
        const code = await h.run("retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes", "--json");
        if (code !== 0) {
            throw new Error(`the promotion failed (exit ${code}): ${h.stderr.text}`);
        }
        const call = h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" })[0];
        const completedAt = call.at + failoverS * 1000;
        const report = h.lastReport();
        if (report.recoveryTime === "not reached") {
            throw new Error("the report has no recovery time");
        }
        const noticedAt = Date.parse(report.recoveryTime.writesAcceptedAt);
        const polls = h.aws.log.calls({ command: "DescribeGlobalReplicationGroups" }).filter((c) => c.at >= call.at).length;
        return { polls, lagS: (noticedAt - completedAt) / 1000 };
    } finally {
        h.cleanup();
    }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function measure(failoverS: number, random: () => number): Promise<Row> {
    const ours: Run[] = [];
    for (let i = 0; i < OUR_RUNS; i++) {
        ours.push(await runOnce(failoverS));
    }
    const sdk = Array.from({ length: SDK_DRAWS }, () => sdkDetectionLagMs(failoverS * 1000, random) / 1000);
    return {
        failoverS, polls: Math.round(mean(ours.map((r) => r.polls))),
        oursMeanS: mean(ours.map((r) => r.lagS)), oursMaxS: Math.max(...ours.map((r) => r.lagS)),
        boundS: maxIntervalMs(failoverS * 1000) / 1000,
        sdkMeanS: mean(sdk), sdkMaxS: Math.max(...sdk),
    };
}

async function main(): Promise<void> {
    const random = mulberry32(20250115);
    const rows: Row[] = [];
    for (const seconds of FAILOVER_SECONDS) {
        rows.push(await measure(seconds, random));
    }
    const header = ["promotion (simulated)", "our polls", "our lag, mean", "our lag, worst", "bound max(2 s, 5%)", "SDK waiter lag, mean", "SDK waiter lag, worst"];
    const cells = rows.map((r) => [`${r.failoverS} s`, String(r.polls), `${r.oursMeanS.toFixed(2)} s`, `${r.oursMaxS.toFixed(2)} s`,
        `${r.boundS.toFixed(2)} s`, `${r.sdkMeanS.toFixed(1)} s`, `${r.sdkMaxS.toFixed(1)} s`]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
    console.log("Detection lag of a planned promotion: time from the fake's completion to the run noticing it (virtual clock).");
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    cells.forEach((c) => console.log(line(c)));
    console.log(`Ours: ${OUR_RUNS} runs of the real command per duration. SDK waiter: default cadence (15 s min, 120 s max delay, jittered), ` +
        `${SDK_DRAWS} draws per duration on the same timeline.`);
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
