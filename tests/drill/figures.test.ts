/**
 * What the local drill's figures say: each named for what it measures, the promotion beside the
 * window, other shards' refused writes during a kill shown and explained, counts in whole numbers,
 * and the limits of a loopback drill said.
 */
import * as assert from "node:assert/strict";
import { DrillEvent, LostWrite, ShardRecord, drillTotals, measureEvents, toTimeline } from "../../recovery/dataplane/measure";
import { WriteSample } from "../../recovery/dataplane/timeline";
import { otherShardsNote } from "../../recovery/drill/figures";
import { summaryLines } from "../../recovery/drill/local-cli";
import { LocalDrillResult, LocalRunResult, aggregateByKind } from "../../recovery/drill/local";
import { renderDrillMarkdown } from "../../recovery/drill/report";
import { renderTimelineSvg } from "../../recovery/report/timeline-svg";

const T0 = Date.UTC(2025, 4, 1, 3, 0, 0);
const COST = { processCpuMs: 10, wallMs: 1000, processPercent: 1 };
const SETTINGS: LocalDrillResult["settings"] = {
    runs: 2, ratePerShard: 50, readRatePerShard: 50, primaries: 3, replicasPerPrimary: 1, kinds: ["kill"],
    nodeTimeoutMs: 2000, settleMs: 1000, recoveryDeadlineMs: 30_000, attemptTimeoutMs: 250, redisServer: "redis-server",
};

/** Writes every 20 ms over [from, to), timing out inside `down`. */
function writes(from: number, to: number, down?: [number, number]): WriteSample[] {
    const samples: WriteSample[] = [];
    for (let at = from; at < to; at += 20) {
        samples.push(down && at > down[0] && at < down[1] ? { at, ok: false } : { at, ok: true, latencyMs: 1 });
    }
    return samples;
}

/**
 * One run with a kill of shard-2 at T0+2000: its writes fail until T0+4500 (the window: 2500 ms), the cluster promoted at
 * T0+4300; shard-1 and shard-3 refuse writes from T0+3500 to T0+4400 (the whole cluster is down until the
 * promotion); `lost` acknowledged writes of shard-2 are missing afterwards.
 */
function run(number: number, lost: number): LocalRunResult {
    const records: ShardRecord[] = [
        { shard: "shard-1", label: "slots 0-5460", writes: writes(T0, T0 + 6000, [T0 + 3500, T0 + 4400]), reads: [] },
        { shard: "shard-2", label: "slots 5461-10922", writes: writes(T0, T0 + 6000, [T0 + 2000, T0 + 4500]), reads: [] },
        { shard: "shard-3", label: "slots 10923-16383", writes: writes(T0, T0 + 6000, [T0 + 3500, T0 + 4400]), reads: [] },
    ];
    const missing: LostWrite[] = Array.from({ length: lost }, (_, i) => ({ seq: 1000 + i, sentAt: T0 + 1000 + i, ackedAt: T0 + 1001 + i }));
    const events: DrillEvent[] = [{
        kind: "kill", shard: "shard-2", startedAt: T0 + 2000, promotedAt: T0 + 4300, recoveredAt: T0 + 4501, endedAt: T0 + 6000,
        verification: { at: T0 + 6000, shards: { "shard-1": { missing: [] }, "shard-2": { missing }, "shard-3": { missing: [] } }, unreadable: [] },
    }];
    const results = measureEvents(records, events, { attemptTimeoutMs: 250, stallThresholdMs: 100, start: T0 });
    return {
        run: number, startedAt: T0, endedAt: T0 + 6000, events: results, totals: drillTotals(records, results),
        timeline: toTimeline(`run ${number}`, records, results, { from: T0, to: T0 + 6000 }, 250, [otherShardsNote(results)!]),
        cpu: COST, cpuSteadyState: COST, skippedTicks: 0, skippedKinds: [],
    };
}

function drill(...lost: number[]): LocalDrillResult {
    const runs = lost.map((l, i) => run(i + 1, l));
    return { startedAt: T0, finishedAt: T0 + 6000, runs, aggregate: aggregateByKind(runs, ["kill"]), settings: { ...SETTINGS, runs: runs.length } };
}

describe("local drill figures", () => {
    it("shows when the cluster promoted beside the window, and names the first failed write for what it is", () => {
        const lines = summaryLines(drill(0));
        const event = lines.find((l) => /^ {2}run 1 kill on shard-2: /.test(l))!;
        assert.match(event, /writes unavailable for 2500 ms \(the window a client saw\); promoted \(roles settled\) 2300 ms after the kill; writes acknowledged again 2501 ms after the kill; first failed write 269 ms after the last acknowledgement/);
        assert.doesNotMatch(lines.join("\n"), /time to detect/i);
        assert.ok(lines.some((l) => /The first failed write is the client's view: the canary's attempt timeout \(250 ms\) and the client's retries/.test(l)), lines.join("\n"));
        const markdown = renderDrillMarkdown(drill(0), ["run1.svg"]);
        assert.match(markdown.split("\n").find((l) => l.startsWith("| kill | shard-2 |"))!, /\| 2500 ms \| 2300 ms \| 2501 ms \| 269 ms \|/);
    });

    it("says what the window includes and that a loopback drill loses no acknowledged write unless replication is cut", () => {
        const text = summaryLines(drill(0)).join("\n");
        assert.match(text, /Windows are what a client sees, .*they include the client finding the new primary/);
        assert.match(text, /Their resolution is one write period \(20 ms\)/);
        assert.match(text, /On loopback replicas receive every write within a millisecond, so cluster-failover and kill lose no acknowledged write here, whatever the real risk/);
        assert.match(text, /kill-unreplicated cuts replication before the kill/);
        const markdown = renderDrillMarkdown(drill(0), ["run1.svg"]);
        assert.doesNotMatch(markdown, /measured to one write period/, "the window is not claimed to be exact to a write period");
        assert.match(markdown, /they include the client finding the new primary/);
    });

    it("shows other shards that refused writes during the kill in the console summary, and explains them", () => {
        const lines = summaryLines(drill(0));
        assert.match(lines.find((l) => /run 1 kill on shard-2/.test(l))!, /other shards refused writes too: shard-1 900 ms, shard-3 900 ms$/);
        const why = lines.find((l) => l.startsWith("Other shards refused writes during: "))!;
        assert.match(why, /run 1 kill of shard-2: shard-1 900 ms, shard-3 900 ms\. Why: while the killed primary's slots have no primary, the whole cluster refuses writes/);
        assert.match(renderDrillMarkdown(drill(0), ["run1.svg"]), /\| shard-1 900 ms, shard-3 900 ms \|$/m);
    });

    it("tells a stall of other shards (acknowledgements paused, no write failed) from a refusal, and draws no note for it", () => {
        const records: ShardRecord[] = [
            { shard: "shard-1", label: "", writes: writes(T0, T0 + 4000, [T0 + 1000, T0 + 1200]), reads: [] },
            // No write of shard-2 fails, but none is sent (or answered) for 300 ms: a stall above the 100 ms threshold.
            { shard: "shard-2", label: "", writes: writes(T0, T0 + 4000).filter((w) => w.at < T0 + 1100 || w.at > T0 + 1400), reads: [] },
        ];
        const results = measureEvents(records, [{ kind: "cluster-failover", shard: "shard-1", startedAt: T0 + 1000, promotedAt: T0 + 1150, endedAt: T0 + 4000,
            verification: { at: T0 + 4000, shards: {}, unreadable: [] } }], { attemptTimeoutMs: 250, stallThresholdMs: 100, start: T0 });
        const runResult: LocalRunResult = { ...run(1, 0), events: results };
        const lines = summaryLines({ ...drill(0), runs: [runResult], aggregate: aggregateByKind([runResult], ["cluster-failover"]) });
        const event = lines.find((l) => /run 1 cluster-failover on shard-1/.test(l))!;
        assert.match(event, /other shards stalled without a failed write: shard-2 340 ms$/);
        assert.doesNotMatch(event, /refused/);
        assert.match(lines.find((l) => l.startsWith("Other shards stalled during: "))!, /no write failed, so the cluster did not refuse them/);
        assert.ok(!lines.some((l) => l.startsWith("Other shards refused writes")));
        assert.equal(otherShardsNote(results), undefined, "nothing red to explain on the chart");
    });

    it("explains the other shards' red bars on the chart", () => {
        const svg = renderTimelineSvg(drill(0).runs[0].timeline);
        assert.match(svg, />Red on other shards during the kill of shard-2: while the killed primary&#39;s slots have no primary/);
        assert.equal(otherShardsNote(drill(0).runs[0].events.map((e) => ({ ...e, shards: e.shards.filter((s) => s.shard === "shard-2") }))), undefined,
            "no note when only the failed-over shard was down");
    });

    it("gives counts as whole numbers, min, median and max: 0 and 75 lost writes never print as 37.5", () => {
        const result = drill(0, 75);
        assert.deepEqual(result.aggregate.kill?.lostAckedWrites, { n: 2, median: 75, min: 0, max: 75 });
        const line = summaryLines(result).find((l) => l.startsWith("kill (2 events)"))!;
        assert.match(line, /acknowledged writes lost min 0, median 75, max 75/);
        assert.match(line, /write-unavailability window min 2500 ms, median 2500 ms, max 2500 ms/);
        assert.doesNotMatch(summaryLines(result).join("\n") + renderDrillMarkdown(result, ["a.svg", "b.svg"]), /37\.5/);
        assert.match(renderDrillMarkdown(result, ["a.svg", "b.svg"]), /\| kill \| 2 \| 2500 ms \/ 2500 ms \/ 2500 ms \|.*\| 0 \/ 75 \/ 75 \|/);
    });
});
