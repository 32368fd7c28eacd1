/**
 * The local drill's summary and Markdown report when the reader could not read a shard after a
 * failover: the loss of that event is unknown and said so, naming the shard, never printed as 0; and
 * the times are labelled by what they are measured from.
 */
import * as assert from "node:assert/strict";
import { DrillEvent, ShardRecord, drillTotals, measureEvents, toTimeline } from "../../recovery/dataplane/measure";
import { WriteSample } from "../../recovery/dataplane/timeline";
import { summaryLines } from "../../recovery/drill/local-cli";
import { LocalDrillResult, LocalRunResult, aggregateByKind } from "../../recovery/drill/local";
import { renderDrillMarkdown } from "../../recovery/drill/report";

const T0 = Date.UTC(2025, 4, 1, 3, 0, 0);
const COST = { processCpuMs: 10, wallMs: 1000, processPercent: 1 };

/** Writes every 20 ms over [from, to), failing (timed out) inside `down`. */
function writes(from: number, to: number, down?: [number, number]): WriteSample[] {
    const samples: WriteSample[] = [];
    for (let at = from; at < to; at += 20) {
        samples.push(down && at > down[0] && at < down[1] ? { at, ok: false } : { at, ok: true, latencyMs: 1 });
    }
    return samples;
}

function result(): LocalDrillResult {
    const records: ShardRecord[] = [
        { shard: "shard-1", label: "slots 0-8191", writes: writes(T0, T0 + 6000, [T0 + 1000, T0 + 1500]), reads: [] },
        { shard: "shard-2", label: "slots 8192-16383", writes: writes(T0, T0 + 6000, [T0 + 4000, T0 + 4500]), reads: [] },
    ];
    const events: DrillEvent[] = [
        { kind: "cluster-failover", shard: "shard-1", startedAt: T0 + 1000, recoveredAt: T0 + 1500, endedAt: T0 + 3000,
            verification: { at: T0 + 3000, shards: { "shard-1": { missing: [] }, "shard-2": { missing: [] } }, unreadable: [] } },
        // Both nodes of shard-2 gone when the reader came: its loss is not known.
        { kind: "kill", shard: "shard-2", startedAt: T0 + 4000, recoveredAt: T0 + 4500, endedAt: T0 + 6000,
            verification: { at: T0 + 6000, shards: { "shard-1": { missing: [] } }, unreadable: ["shard-2"] } },
    ];
    const results = measureEvents(records, events, { attemptTimeoutMs: 250, stallThresholdMs: 100, start: T0 });
    const run: LocalRunResult = {
        run: 1, startedAt: T0, endedAt: T0 + 6000, events: results, totals: drillTotals(records, results),
        timeline: toTimeline("run 1", records, results, { from: T0, to: T0 + 6000 }, 250),
        cpu: COST, cpuSteadyState: COST, skippedTicks: 0, skippedKinds: [],
    };
    return {
        startedAt: T0, finishedAt: T0 + 6000, runs: [run], aggregate: aggregateByKind([run], ["cluster-failover", "kill"]),
        settings: { runs: 1, ratePerShard: 50, readRatePerShard: 50, primaries: 2, replicasPerPrimary: 1, kinds: ["cluster-failover", "kill"],
            nodeTimeoutMs: 2000, settleMs: 1000, recoveryDeadlineMs: 30_000, attemptTimeoutMs: 250, redisServer: "redis-server" },
    };
}

describe("local drill summary and report with a shard the reader could not read", () => {
    it("the summary says the loss of that event is unknown, naming the shard, and never prints it as 0", () => {
        const lines = summaryLines(result());
        const kill = lines.find((l) => /run 1 kill/.test(l))!;
        assert.match(kill, /acknowledged writes lost UNKNOWN: the reader could not read shard-2 after the event \(0 found lost on the shards it read\)/);
        assert.doesNotMatch(kill, /\b0 acknowledged writes? lost|lost 0/);
        assert.match(lines.find((l) => /run 1 cluster-failover/.test(l))!, /0 acknowledged writes lost \(RPO 0 ms\)/, "a verified event keeps its figure");
        assert.ok(lines.includes("Data loss UNKNOWN (the reader could not read every shard) after: run 1 kill (shard-2 not read). Lost writes are not counted as 0 there."),
            lines.join("\n"));
        assert.match(lines.find((l) => /^kill \(1 event\)/.test(l))!, /acknowledged writes lost - over the 0 events whose loss is known/);
    });

    it("the Markdown report marks the loss and RPO unknown, and labels times by what they are measured from", () => {
        const markdown = renderDrillMarkdown(result(), ["run1.svg"]);
        const row = markdown.split("\n").find((l) => l.startsWith("| kill | shard-2 |"))!;
        assert.match(row, /\| \*\*unknown\*\* \(0 found on the shards read\) \| \*\*unknown\*\* \|/);
        assert.match(markdown, /acknowledged writes lost: \*\*unknown\*\* \(the reader could not read every shard after 1 event\(s\)\)/);
        assert.match(markdown, /\| kill \| 1 \| .*\(\*\*unknown for 1 of 1\*\*: a shard could not be read\)/);
        // Named for what it is: the client's first failed write, not when the cluster detected anything.
        assert.match(markdown, /time to the first failed write \(from the last acknowledgement\)/);
        assert.doesNotMatch(markdown, /time to detect/i);
        assert.match(markdown, /first acknowledged write after the failover command/);
    });
});
