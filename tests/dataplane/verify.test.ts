import * as assert from "node:assert/strict";
import type { Cluster } from "ioredis";
import { onNode } from "../../recovery/dataplane/connect";
import { markerKey, readMarkers, writeMarkers } from "../../recovery/dataplane/marker";
import { ShardInfo, readShards } from "../../recovery/dataplane/slots";
import { RestoreEvidence, acceptedRange, verifyRestoredData } from "../../recovery/dataplane/verify";
import { SeedResult, seedKeys } from "../../recovery/local/seed";
import { useLocalCluster } from "./local-cluster-fixture";

const SEEDED_KEYS = 30_000;
const WRITER = "verify-test";

function shardOf(evidence: RestoreEvidence, id: string) {
    const shard = evidence.shards.find((s) => s.id === id);
    assert.ok(shard, `no evidence for ${id}: ${JSON.stringify(evidence.shards.map((s) => s.id))}`);
    return shard;
}

// The tests run in order against one cluster and damage it step by step: stale marker, flushed shard,
// killed shard, frozen shard.
describe("verifyRestoredData (real local cluster)", function () {
    this.timeout(15_000);
    const fixture = useLocalCluster();
    let cluster: Cluster;
    let seeded: SeedResult;
    let shards: ShardInfo[];
    let markedAt: number;
    /** Seeded keys plus the marker each shard holds. */
    let expectedPerShard: Record<string, number>;

    before(async () => {
        cluster = await fixture.connect();
        // Its own connection with a long command timeout: on a busy machine this process may read the answers
        // to a pipeline of 1024 MSETs seconds after they came, past the default 2 s.
        seeded = await seedKeys(await fixture.connect({ commandTimeoutMs: 60_000 }), { count: SEEDED_KEYS });
        markedAt = Date.now();
        await writeMarkers(cluster, WRITER, markedAt);
        shards = await readShards(cluster);
        expectedPerShard = Object.fromEntries(Object.entries(seeded.perShard).map(([id, keys]) => [id, keys + 1]));
    });

    it("the seed spreads keys over every shard in proportion to its slots", () => {
        assert.equal(Object.values(seeded.perShard).reduce((a, b) => a + b, 0), SEEDED_KEYS);
        for (const keys of Object.values(seeded.perShard)) {
            assert.ok(Math.abs(keys - SEEDED_KEYS / 3) < SEEDED_KEYS * 0.02, `${keys} keys on one shard of three`);
        }
    });

    it("passes a complete restore: exact per-shard counts and fresh markers", async () => {
        const evidence = await verifyRestoredData(cluster, { keysPerShard: expectedPerShard, tolerancePercent: 0, markerNotBefore: markedAt, deadlineMs: 5000 });
        assert.deepEqual(evidence.problems, []);
        assert.equal(evidence.ok, true);
        assert.equal(evidence.dataLossMs, 0);
        for (const shard of evidence.shards) {
            assert.equal(shard.answered, true);
            assert.equal(shard.keys, expectedPerShard[shard.id]);
            assert.equal(shard.withinTolerance, true);
            assert.ok(shard.marker !== undefined && shard.marker !== "missing");
            assert.equal(shard.marker.writer, WRITER);
            assert.equal(shard.marker.atMs, markedAt);
        }
    });

    it("spreads totalKeys by slot count: within 5% passes, twice the data fails on every shard", async () => {
        const total = SEEDED_KEYS + shards.length;
        const close = await verifyRestoredData(cluster, { totalKeys: total, deadlineMs: 5000 });
        assert.deepEqual(close.problems, []);
        const share = shards[0].slots.reduce((n, [from, to]) => n + to - from + 1, 0) / 16384;
        assert.equal(close.shards[0].expected, Math.round(total * share));

        const doubled = await verifyRestoredData(cluster, { totalKeys: total * 2, tolerancePercent: 5, deadlineMs: 5000 });
        assert.equal(doubled.ok, false);
        assert.equal(doubled.problems.length, shards.length);
        const [low, high] = acceptedRange(total * 2 * share, 5);
        assert.ok(doubled.problems[0].includes(`${shards[0].id} (slots 0-5460): ${expectedPerShard["shard-1"].toLocaleString("en-US")} keys seen, ` +
            `accepted ${low.toLocaleString("en-US")}-${high.toLocaleString("en-US")}`), doubled.problems[0]);
    });

    it("fails expectations that name shards the cluster does not have, or leave one out", async () => {
        const evidence = await verifyRestoredData(cluster, {
            keysPerShard: { "shard-1": expectedPerShard["shard-1"], "shard-2": expectedPerShard["shard-2"], "0004": 10 }, deadlineMs: 5000,
        });
        assert.equal(evidence.ok, false);
        assert.deepEqual(evidence.problems, [
            `shard-3 (slots 10923-16383): ${expectedPerShard["shard-3"].toLocaleString("en-US")} keys seen, but keysPerShard gives no count ` +
            `for shard-3 (it names shard-1, shard-2, 0004); accepted: a count for every shard.`,
            "keysPerShard names 0004, which the cluster does not have (seen: shard-1, shard-2, shard-3); accepted: the shard ids readShards reports.",
        ]);
    });

    it("writeMarkers bumps each shard's seq; readMarkers reads them back from the primaries", async () => {
        const before = await readMarkers(cluster);
        await writeMarkers(cluster, WRITER, markedAt);
        const after = await readMarkers(cluster);
        assert.deepEqual(after.map((m) => m.shard.id), ["shard-1", "shard-2", "shard-3"]);
        after.forEach((reading, index) => {
            const was = before[index].marker;
            const now = reading.marker;
            assert.ok(was !== undefined && was !== "missing" && now !== undefined && now !== "missing", JSON.stringify(reading));
            assert.equal(now.seq, was.seq + 1);
            assert.equal(reading.key, `elasticache-global:recovery-point:${reading.key.slice(reading.key.indexOf("{"))}`);
        });
    });

    it("fails a stale marker on one shard and reports how much data may be lost", async () => {
        const stale = shards[1];
        const staleAt = markedAt - 30_000;
        await cluster.set(markerKey(stale), JSON.stringify({ at: new Date(staleAt).toISOString(), writer: "old-writer", seq: 7 }));
        const evidence = await verifyRestoredData(cluster, { keysPerShard: expectedPerShard, markerNotBefore: markedAt, deadlineMs: 5000 });
        assert.equal(evidence.ok, false);
        assert.equal(evidence.dataLossMs, 30_000);
        assert.equal(evidence.problems.length, 1);
        assert.match(evidence.problems[0], new RegExp(`^shard-2 \\(slots 5461-10922\\): recovery-point marker written at ${new Date(staleAt).toISOString()} ` +
            `by "old-writer" \\(seq 7\\) is 30\\.000 s older than accepted; accepted: a marker written at or after ${new Date(markedAt).toISOString()}`));
        assert.equal(shardOf(evidence, "shard-1").problem, undefined);
    });

    it("fails a shard whose data is gone, naming it with the count seen and the range accepted", async () => {
        const emptied = shards[1];
        await onNode(cluster, emptied.primary, 2000, (client) => client.flushall());
        const evidence = await verifyRestoredData(cluster, { keysPerShard: expectedPerShard, markerNotBefore: markedAt - 60_000, deadlineMs: 5000 });
        assert.equal(evidence.ok, false);
        const [low, high] = acceptedRange(expectedPerShard["shard-2"], 5);
        const fmt = (n: number) => n.toLocaleString("en-US");
        assert.deepEqual(evidence.problems, [
            `shard-2 (slots 5461-10922): 0 keys seen, accepted ${fmt(low)}-${fmt(high)} (expected ${fmt(expectedPerShard["shard-2"])} ± 5%).`,
            `shard-2 (slots 5461-10922): recovery-point marker ${markerKey(emptied)} is missing (seen: none); ` +
            `accepted: a marker written at or after ${new Date(markedAt - 60_000).toISOString()}.`,
        ]);
        const shard2 = shardOf(evidence, "shard-2");
        assert.equal(shard2.keys, 0);
        assert.equal(shard2.withinTolerance, false);
        assert.equal(shard2.marker, "missing");
        assert.equal(shardOf(evidence, "shard-1").withinTolerance, true);
    });

    it("reports a shard whose primary and replica are dead as not answering, within the deadline", async () => {
        const dead = shards[2];
        await Promise.all([dead.primary, ...dead.replicas].map((node) => fixture.local.kill(node.port)));
        const evidence = await verifyRestoredData(cluster, { keysPerShard: expectedPerShard, deadlineMs: 3000 });
        assert.ok(evidence.elapsedMs < 3000, `took ${evidence.elapsedMs} ms`);
        const shard3 = shardOf(evidence, "shard-3");
        assert.equal(shard3.answered, false);
        assert.equal(shard3.keys, undefined);
        assert.equal(shard3.withinTolerance, false);
        assert.match(shard3.problem ?? "", new RegExp(`^shard-3 \\(slots 10923-16383\\): primary 127\\.0\\.0\\.1:${dead.primary.port} ` +
            `\\(node ${dead.primary.nodeId}\\) did not answer DBSIZE: .+\\. Seen: no key count; accepted: an answer within the deadline\\.$`));
        assert.equal(shardOf(evidence, "shard-1").answered, true);
        assert.equal(shardOf(evidence, "shard-1").withinTolerance, true);
    });

    it("gives up on a frozen shard when the deadline passes, still reporting the others", async () => {
        const frozen = shards[0];
        const nodes = [frozen.primary, ...frozen.replicas];
        const pids = (await fixture.local.nodes()).filter((node) => nodes.some((n) => n.port === node.port)).map((node) => node.pid);
        assert.equal(pids.length, nodes.length);
        pids.forEach((pid) => process.kill(pid, "SIGSTOP"));
        try {
            const evidence = await verifyRestoredData(cluster, { keysPerShard: expectedPerShard, deadlineMs: 1500 });
            assert.ok(evidence.elapsedMs >= 1400 && evidence.elapsedMs < 2500, `took ${evidence.elapsedMs} ms for a 1500 ms deadline`);
            const shard1 = shardOf(evidence, "shard-1");
            assert.equal(shard1.answered, false);
            assert.match(shard1.problem ?? "", /did not answer within/);
            assert.equal(shardOf(evidence, "shard-2").answered, true);
        } finally {
            await Promise.all(nodes.map((node) => fixture.local.kill(node.port)));
        }
    });
});

describe("verifyRestoredData arguments", () => {
    // Arguments are checked before the cluster is touched, so no cluster is needed.
    const noCluster = undefined as unknown as Cluster;

    it("rejects a missing deadline, a bad tolerance, both expectations at once, and bad counts", async () => {
        await assert.rejects(verifyRestoredData(noCluster, {} as never), /deadlineMs is undefined\. Accepted: a positive number of milliseconds/);
        await assert.rejects(verifyRestoredData(noCluster, { deadlineMs: 1000, tolerancePercent: 150 }), /tolerancePercent is 150\. Accepted: a number from 0 to 100/);
        await assert.rejects(verifyRestoredData(noCluster, { deadlineMs: 1000, totalKeys: 10, keysPerShard: { "shard-1": 5 } }),
            /keysPerShard and totalKeys is "both"\. Accepted: one of them/);
        await assert.rejects(verifyRestoredData(noCluster, { deadlineMs: 1000, keysPerShard: { "shard-1": -1 } }), /keysPerShard\["shard-1"\] is -1/);
    });

    it("acceptedRange rounds outwards so a fractional share always has a whole count that fits", () => {
        assert.deepEqual(acceptedRange(1000, 5), [950, 1050]);
        assert.deepEqual(acceptedRange(0.5, 5), [0, 1]);
        assert.deepEqual(acceptedRange(0, 5), [0, 0]);
        // A tolerance wide enough for expired keys still refuses an empty shard that should hold some.
        assert.deepEqual(acceptedRange(1000, 100), [1, 2000]);
    });
});
