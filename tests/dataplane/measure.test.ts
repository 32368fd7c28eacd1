import * as assert from "node:assert/strict";
import {
    AckedWrite, DrillEvent, ReadSample, ShardRecord, Verification, describeLoss, downIntervals, drillTotals, findLoss, measureEvents, rpoOf, toTimeline,
} from "../../recovery/dataplane/measure";
import { WriteSample } from "../../recovery/dataplane/timeline";

const T0 = Date.UTC(2025, 4, 1, 3, 0, 0);
const PERIOD = 20;
const TIMEOUT = 250;
const OPTIONS = { attemptTimeoutMs: TIMEOUT, stallThresholdMs: 100, start: T0 };

type Fate = { ok: true; latencyMs: number } | { ok: false; latencyMs?: number };

/** One write every PERIOD ms over [from, to), answered in 1 ms unless `fate` says otherwise for its send time. */
function writes(from: number, to: number, fate: (sentAt: number) => Fate | undefined = () => undefined): WriteSample[] {
    const samples: WriteSample[] = [];
    for (let at = from; at < to; at += PERIOD) {
        const f = fate(at) ?? { ok: true, latencyMs: 1 };
        samples.push(f.latencyMs === undefined ? { at, ok: f.ok } : { at, ok: f.ok, latencyMs: f.latencyMs });
    }
    return samples;
}

function record(shard: string, samples: WriteSample[], reads: ReadSample[] = []): ShardRecord {
    return { shard, label: `slots of ${shard}`, writes: samples, reads };
}

function clean(at: number): Verification {
    return { at, shards: {}, unreadable: [] };
}

function event(partial: Partial<DrillEvent> & Pick<DrillEvent, "shard" | "startedAt" | "endedAt">): DrillEvent {
    return { kind: "kill", verification: clean(partial.endedAt), ...partial };
}

describe("measure: per-event results from canary samples", () => {
    it("measures a killed primary: window from the last acknowledgement before to the first after, detection at the first timeout", () => {
        const start = T0 + 2000;
        // Writes sent from T0+2010 up to T0+5000 never answer; the one sent at T0+5000 is acknowledged at T0+5001.
        const killed = writes(T0, T0 + 6000, (at) => (at > start && at < T0 + 5000 ? { ok: false } : undefined));
        const healthy = writes(T0 + 7, T0 + 6000);
        const [result] = measureEvents([record("shard-1", killed), record("shard-2", healthy)],
            [event({ shard: "shard-1", startedAt: start, recoveredAt: T0 + 5000, endedAt: T0 + 6000 })], OPTIONS);

        assert.equal(result.windowMs, 3000);
        assert.equal(result.firstFailureAfterStartMs, 20 + TIMEOUT, "the write sent 20 ms after the kill is given up after the timeout");
        assert.equal(result.recoveryAfterStartMs, 3001);
        assert.equal(result.recovered, true);
        const [own, other] = result.shards;
        assert.deepEqual({ outage: own.outage, lastAckBefore: own.lastAckBefore, firstAckAfter: own.firstAckAfter, failedWrites: own.failedWrites },
            { outage: true, lastAckBefore: start + 1, firstAckAfter: T0 + 5001, failedWrites: 149 });
        assert.deepEqual({ outage: other.outage, windowMs: other.windowMs, failedWrites: other.failedWrites }, { outage: false, windowMs: 0, failedWrites: 0 });
    });

    it("counts errors answered by the server at their answer, not at the timeout", () => {
        const start = T0 + 1000;
        const samples = writes(T0, T0 + 3000, (at) => (at > start && at < T0 + 1500 ? { ok: false, latencyMs: 3 } : undefined));
        const [result] = measureEvents([record("shard-1", samples)], [event({ shard: "shard-1", startedAt: start, endedAt: T0 + 3000 })], OPTIONS);
        assert.equal(result.firstFailureAfterStartMs, 23);
        assert.equal(result.windowMs, 500);
    });

    it("sees a coordinated failover that holds writes and answers them late as an outage without failures", () => {
        const start = T0 + 2000;
        // Writes sent during the pause are all acknowledged together when the new primary takes over.
        const samples = writes(T0, T0 + 4000, (at) => (at >= start && at < T0 + 2310 ? { ok: true, latencyMs: T0 + 2310 - at } : undefined));
        const [result] = measureEvents([record("shard-1", samples)], [event({ kind: "cluster-failover", shard: "shard-1", startedAt: start, endedAt: T0 + 4000 })], OPTIONS);
        assert.equal(result.firstFailureAfterStartMs, null, "no write failed");
        assert.equal(result.windowMs, 2310 - 1981);
        assert.equal(result.shards[0].outage, true);
        assert.equal(result.recoveryAfterStartMs, 310);
    });

    it("reports the failed-over shard's longest gap even below the stall threshold, and 0 for other shards without an outage", () => {
        // One write answered in 70 ms: acknowledgements at ...1181, 1221, 1241, 1261, 1270, 1281...: longest gap 40 ms.
        const jittery = writes(T0, T0 + 2000, (at) => (at === T0 + 1200 ? { ok: true, latencyMs: 70 } : undefined));
        const [result] = measureEvents([record("shard-1", jittery), record("shard-2", jittery)],
            [event({ kind: "cluster-failover", shard: "shard-1", startedAt: T0 + 1000, endedAt: T0 + 2000 })], OPTIONS);
        const [own, other] = result.shards;
        assert.deepEqual({ outage: own.outage, windowMs: own.windowMs, lastAckBefore: own.lastAckBefore }, { outage: false, windowMs: 40, lastAckBefore: T0 + 1181 });
        assert.deepEqual({ outage: other.outage, windowMs: other.windowMs }, { outage: false, windowMs: 0 });
        assert.equal(result.windowMs, 40);
        assert.equal(result.firstFailureAfterStartMs, null);
    });

    it("leaves the window open when the shard still fails at the end of the span", () => {
        const start = T0 + 1000;
        const samples = writes(T0, T0 + 3000, (at) => (at > start ? { ok: false, latencyMs: 2 } : undefined));
        const [result] = measureEvents([record("shard-1", samples)], [event({ shard: "shard-1", startedAt: start, endedAt: T0 + 3000 })], OPTIONS);
        assert.equal(result.recovered, false);
        assert.equal(result.recoveryAfterStartMs, null);
        assert.equal(result.shards[0].firstAckAfter, undefined);
        assert.equal(result.windowMs, 3000 - 1001, "from the last acknowledgement to the end of the span");
        assert.equal(drillTotals([record("shard-1", samples)], [result]).eventsNotRecovered, 1);
    });

    it("still counts a shard as recovered when only one or two writes at the very end of a healthy settle period answer late", () => {
        const start = T0 + 1000;
        const end = T0 + 4000;
        // The failover: writes fail from T0+1000 to T0+2000; then healthy; the last write (sent at T0+3980) times out.
        const lateLast = writes(T0, end, (at) => (at > start && at < T0 + 2000 ? { ok: false, latencyMs: 2 } : at === end - PERIOD ? { ok: false } : undefined));
        const [late] = measureEvents([record("shard-1", lateLast)], [event({ shard: "shard-1", startedAt: start, endedAt: end })], OPTIONS);
        assert.equal(late.recovered, true, "one late answer after many acknowledged writes is not an outage that never ended");
        assert.equal(late.windowMs, 1000, "the window is the failover's, not stretched to the end of the span");
        assert.equal(drillTotals([record("shard-1", lateLast)], [late]).eventsNotRecovered, 0);

        const twoLate = writes(T0, end, (at) => (at > start && at < T0 + 2000 ? { ok: false, latencyMs: 2 } : at >= end - 2 * PERIOD ? { ok: false } : undefined));
        assert.equal(measureEvents([record("shard-1", twoLate)], [event({ shard: "shard-1", startedAt: start, endedAt: end })], OPTIONS)[0].recovered, true);

        // Three failed at the end (RECOVERED_AFTER_ACKS) is the start of another outage: not recovered.
        const threeLate = writes(T0, end, (at) => (at > start && at < T0 + 2000 ? { ok: false, latencyMs: 2 } : at >= end - 3 * PERIOD ? { ok: false } : undefined));
        assert.equal(measureEvents([record("shard-1", threeLate)], [event({ shard: "shard-1", startedAt: start, endedAt: end })], OPTIONS)[0].recovered, false);

        // A failure at the end right after a single acknowledgement (flapping) is not recovered either.
        const flapping = writes(T0, end, (at) => (at > start && at < end - 2 * PERIOD) || at === end - PERIOD ? { ok: false, latencyMs: 2 } : undefined);
        assert.equal(measureEvents([record("shard-1", flapping)], [event({ shard: "shard-1", startedAt: start, endedAt: end })], OPTIONS)[0].recovered, false);
    });

    it("measures detection from the last acknowledgement before the first failed write, apart from the delay between the API call and the outage", () => {
        // The API call at T0+1000; AWS starts the failover a minute later: writes fail from T0+61000 to T0+62000.
        const call = T0 + 1000;
        const samples = writes(T0, T0 + 64_000, (at) => (at > T0 + 61_000 && at < T0 + 62_000 ? { ok: false } : undefined));
        const [result] = measureEvents([record("shard-1", samples)], [event({ kind: "test-failover", shard: "shard-1", startedAt: call, endedAt: T0 + 64_000 })], OPTIONS);
        assert.equal(result.windowMs, 1000, "the RTO window does not depend on when the event is taken to start");
        assert.equal(result.firstFailureAfterStartMs, 60_020 + TIMEOUT, "from the API call: mostly AWS's own delay");
        assert.equal(result.firstFailureAfterLastAckMs, 20 + TIMEOUT - 1, "from the last acknowledgement (sent at T0+61000, answered 1 ms later) to the first timeout");
        assert.equal(result.recoveryAfterStartMs, 61_001);
    });

    it("finds the last acknowledgement before the failure in the previous event's span when events run back to back", () => {
        // The first event ends at T0+2000; the second starts at once and its writes fail from the first one sent.
        const samples = writes(T0, T0 + 6000, (at) => (at > T0 + 2000 && at < T0 + 4000 ? { ok: false } : undefined));
        const [, second] = measureEvents([record("shard-1", samples)], [
            event({ shard: "shard-1", startedAt: T0 + 500, endedAt: T0 + 2000 }),
            event({ shard: "shard-1", startedAt: T0 + 2000, endedAt: T0 + 6000 }),
        ], OPTIONS);
        assert.equal(second.firstFailureAfterLastAckMs, 20 + TIMEOUT - 1, "from the acknowledgement of the write sent at T0+2000 to the first timeout");
    });

    it("says the loss is unknown, naming the shards the reader could not read, never \"0 lost\"", () => {
        const samples = writes(T0, T0 + 2000);
        const unread: Verification = { at: T0 + 2000, unreadable: ["shard-2"], shards: { "shard-1": { missing: [] } } };
        const [result] = measureEvents([record("shard-1", samples), record("shard-2", samples)],
            [event({ shard: "shard-1", startedAt: T0 + 100, endedAt: T0 + 2000, verification: unread })], OPTIONS);
        assert.match(describeLoss(result), /^acknowledged writes lost UNKNOWN: the reader could not read shard-2 after the event \(0 found lost on the shards it read\)$/);
        assert.doesNotMatch(describeLoss(result), /^0 acknowledged/);
        const [read] = measureEvents([record("shard-1", samples)], [event({ shard: "shard-1", startedAt: T0 + 100, endedAt: T0 + 2000 })], OPTIONS);
        assert.equal(describeLoss(read), "0 acknowledged writes lost (RPO 0 ms)");
    });

    it("measures each event only on its own span, so one outage does not leak into the next event", () => {
        const first = T0 + 1000;
        const second = T0 + 4000;
        const samples = writes(T0, T0 + 6000, (at) =>
            (at > first && at < T0 + 2000) || (at > second && at < T0 + 4400) ? { ok: false, latencyMs: 1 } : undefined);
        const results = measureEvents([record("shard-1", samples)], [
            event({ shard: "shard-1", startedAt: first, endedAt: T0 + 3000 }),
            event({ kind: "cluster-failover", shard: "shard-1", startedAt: second, endedAt: T0 + 6000 }),
        ], OPTIONS);
        assert.deepEqual(results.map((r) => r.windowMs), [1000, 400]);
        assert.deepEqual(results.map((r) => r.kind), ["kill", "cluster-failover"]);
    });

    it("attributes each lost write to the first event after which the reader missed it, with its RPO", () => {
        const acked = (seq: number): AckedWrite => ({ seq, sentAt: T0 + seq * PERIOD, ackedAt: T0 + seq * PERIOD + 1 });
        const samples = writes(T0, T0 + 4000);
        const lost = (seq: number, survivor: number) => ({ ...acked(seq), recoveryPoint: acked(survivor) });
        const afterFirst: Verification = { at: T0 + 2000, unreadable: [], shards: { "shard-1": { missing: [lost(5, 4), lost(6, 4)] } } };
        const afterSecond: Verification = { at: T0 + 4000, unreadable: ["shard-2"], shards: { "shard-1": { missing: [lost(5, 4), lost(6, 4), lost(90, 88)] } } };
        const results = measureEvents([record("shard-1", samples), record("shard-2", writes(T0, T0 + 4000))], [
            event({ shard: "shard-1", startedAt: T0 + 100, endedAt: T0 + 2000, verification: afterFirst }),
            event({ shard: "shard-2", startedAt: T0 + 2500, endedAt: T0 + 4000, verification: afterSecond }),
        ], OPTIONS);
        assert.deepEqual(results.map((r) => r.shards[0].lostSeqs), [[5, 6], [90]]);
        assert.equal(results[0].lostAckedWrites, 2);
        assert.equal(results[0].rpoMs, acked(6).ackedAt - acked(4).ackedAt);
        assert.equal(results[1].shards[0].rpoMs, acked(90).ackedAt - acked(88).ackedAt, "the second loss is measured from its own recovery point");
        assert.deepEqual(results.map((r) => r.unverified), [[], ["shard-2"]]);
        // shard-2 was not read after the second event: its loss, and so the event's, is unknown, with what was found kept apart.
        assert.deepEqual([results[1].lostAckedWrites, results[1].rpoMs, results[1].lostAckedWritesFound], [null, null, 1]);
        assert.deepEqual([results[1].shards[1].verified, results[1].shards[1].lostSeqs, results[1].shards[1].rpoMs], [false, null, null]);
        assert.equal(drillTotals([record("shard-1", samples)], results).lostAckedWrites, null);
        assert.equal(drillTotals([record("shard-1", samples)], results.slice(0, 1)).lostAckedWrites, 2);
    });

    it("counts stale and failed reads in the event's span", () => {
        const reads: ReadSample[] = [
            { at: T0 + 50, ok: true, latencyMs: 1, stale: true },
            { at: T0 + 1500, ok: true, latencyMs: 1, stale: true },
            { at: T0 + 1600, ok: true, latencyMs: 1, stale: false },
            { at: T0 + 1700, ok: false, stale: false },
        ];
        const [, second] = measureEvents([record("shard-1", writes(T0, T0 + 3000), reads)], [
            event({ shard: "shard-1", startedAt: T0 + 100, endedAt: T0 + 1000 }),
            event({ shard: "shard-1", startedAt: T0 + 1200, endedAt: T0 + 3000 }),
        ], OPTIONS);
        assert.deepEqual({ stale: second.staleReads, failed: second.shards[0].failedReads }, { stale: 1, failed: 1 });
    });

    it("rejects an event on a shard the canary did not record, naming it and the recorded shards", () => {
        assert.throws(() => measureEvents([record("shard-1", [])], [event({ shard: "shard-9", startedAt: T0, endedAt: T0 + 1 })], OPTIONS),
            /shard "shard-9".*shard-1/);
    });
});

describe("measure: loss and timeline", () => {
    const w = (seq: number, ackedAt: number): AckedWrite => ({ seq, sentAt: ackedAt - 1, ackedAt });

    it("findLoss reports acknowledged writes the read does not show, each with the newest survivor acknowledged before it", () => {
        const acked = [w(1, 10), w(2, 20), w(3, 30), w(4, 40), w(5, 50), w(6, 60)];
        const loss = findLoss(acked, new Set([1, 2, 5]));
        assert.deepEqual(loss.missing.map((x) => [x.seq, x.recoveryPoint?.seq]), [[3, 2], [4, 2], [6, 5]]);
        assert.deepEqual(findLoss([w(2, 20), w(1, 10)], new Set([1, 2])), { missing: [] });
        assert.deepEqual(findLoss([w(1, 10)], new Set()), { missing: [w(1, 10)] }, "no survivor, no recovery point");
    });

    it("rpoOf measures from the recovery point of the first lost write, or from its send without one", () => {
        assert.equal(rpoOf([{ ...w(3, 30), recoveryPoint: w(2, 20) }, { ...w(4, 40), recoveryPoint: w(2, 20) }]), 20);
        assert.equal(rpoOf([w(4, 40), w(3, 30)]), 40 - 29);
        assert.equal(rpoOf([]), 0);
    });

    it("downIntervals runs from the first failure to the next acknowledgement, or to the end", () => {
        const samples: WriteSample[] = [
            { at: 0, ok: true, latencyMs: 1 }, { at: 20, ok: false }, { at: 40, ok: false, latencyMs: 2 },
            { at: 60, ok: true, latencyMs: 5 }, { at: 80, ok: false }, { at: 100, ok: false },
        ];
        assert.deepEqual(downIntervals(samples, TIMEOUT, 500), [{ from: 20, to: 65 }, { from: 80, to: 500 }]);
    });

    it("downIntervals never overlap: a failure sent before a slow acknowledgement arrived extends the run it closed", () => {
        const samples: WriteSample[] = [
            { at: 0, ok: true, latencyMs: 1 }, { at: 20, ok: false },
            // Sent at 40, acknowledged at 140; the writes sent at 60 and 80 fail meanwhile, and the one at 100 is acknowledged at 101.
            { at: 40, ok: true, latencyMs: 100 }, { at: 60, ok: false }, { at: 80, ok: false, latencyMs: 3 }, { at: 100, ok: true, latencyMs: 1 },
            { at: 200, ok: false }, { at: 220, ok: true, latencyMs: 2 },
        ];
        const down = downIntervals(samples, TIMEOUT, 500);
        assert.deepEqual(down, [{ from: 20, to: 140 }, { from: 200, to: 222 }]);
        for (let i = 1; i < down.length; i++) {
            assert.ok(down[i].from > down[i - 1].to, `${JSON.stringify(down[i - 1])} and ${JSON.stringify(down[i])} overlap`);
        }
    });

    it("reports when the cluster promoted, from the event's start, and marks it on the timeline", () => {
        const samples = writes(T0, T0 + 3000, (at) => (at > T0 + 1000 && at < T0 + 1500 ? { ok: false, latencyMs: 3 } : undefined));
        const records = [record("shard-1", samples)];
        const [result] = measureEvents(records, [event({ shard: "shard-1", startedAt: T0 + 1000, promotedAt: T0 + 1400, endedAt: T0 + 3000 })], OPTIONS);
        assert.equal(result.promotedAfterStartMs, 400);
        const timeline = toTimeline("run 1", records, [result], { from: T0, to: T0 + 3000 }, TIMEOUT, ["why other shards are red"]);
        assert.ok(timeline.events.some((e) => e.at === T0 + 1400 && e.label === "promoted (roles settled)"));
        assert.deepEqual(timeline.notes, ["why other shards are red"]);
        const [unpolled] = measureEvents(records, [event({ shard: "shard-1", startedAt: T0 + 1000, endedAt: T0 + 3000 })], OPTIONS);
        assert.equal(unpolled.promotedAfterStartMs, null, "not seen is null, never 0");
    });

    it("toTimeline carries every shard's samples and marks start, detection and recovery of each event", () => {
        const samples = writes(T0, T0 + 3000, (at) => (at > T0 + 1000 && at < T0 + 1500 ? { ok: false, latencyMs: 3 } : undefined));
        const records = [record("shard-1", samples)];
        const results = measureEvents(records, [event({ shard: "shard-1", startedAt: T0 + 1000, endedAt: T0 + 3000 })], OPTIONS);
        const timeline = toTimeline("local drill run 1", records, results, { from: T0, to: T0 + 3000 }, TIMEOUT);
        assert.equal(timeline.shards[0].samples.length, samples.length);
        assert.deepEqual(timeline.shards[0].down, [{ from: T0 + 1020, to: T0 + 1501 }]);
        assert.deepEqual(timeline.events.map((e) => [e.at - T0, e.label]),
            [[1000, "kill started"], [1023, "first failed write"], [1501, "writes acknowledged again"]]);
    });

});
