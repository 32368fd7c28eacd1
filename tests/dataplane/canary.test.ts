import * as assert from "node:assert/strict";
import Redis from "ioredis";
import { Canary, CanaryShard, describeUnacknowledged, refuseTheUser } from "../../recovery/dataplane/canary";
import { ShardInfo, hashTagFor, readShards } from "../../recovery/dataplane/slots";
import { VirtualClock } from "../recovery/fake/virtual-clock";
import { FakeCluster } from "./canary-fake";
import { leftoverServers, serverPids } from "./leftovers";
import { useLocalCluster } from "./local-cluster-fixture";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const SHARDS: CanaryShard[] = [
    { shard: "shard-1", label: "slots 0-8191", tag: "{shard-0}" },
    { shard: "shard-2", label: "slots 8192-16383", tag: "{shard-3}" },
];

describe("Canary (against an in-memory cluster)", () => {
    // Virtual time: the canary's schedule, its timeouts and these waits run in order on a clock that only
    // moves when nothing else can run, so the counts below hold however busy the machine is.
    let clock: VirtualClock;
    const wait = (ms: number) => clock.sleep(ms);
    let canary: Canary | undefined;
    beforeEach(() => {
        clock = new VirtualClock();
    });
    afterEach(async () => {
        await canary?.stop();
        canary = undefined;
    });

    it("writes numbered writes to one key per shard with the shard's hash tag, and records every acknowledgement", async () => {
        const fake = new FakeCluster(clock);
        canary = new Canary(fake, SHARDS, { ratePerShard: 100, runId: "t1", clock });
        canary.start();
        await wait(200);
        await canary.stop();
        for (const shard of SHARDS) {
            const acked: number[] = canary.acknowledged(shard.shard).map((w) => w.seq);
            assert.ok(acked.length >= 15 && acked.length <= 25, `about 20 writes in 200 ms at 100/s, got ${acked.length}`);
            assert.deepEqual(acked, acked.map((_, i) => i + 1), "sequence numbers start at 1 without gaps");
            assert.deepEqual([...fake.sets.get(canary.keys[shard.shard])!].sort((a, b) => a - b), acked);
        }
        const [record] = canary.records();
        assert.ok(record.writes.every((w) => w.ok && typeof w.latencyMs === "number"));
        assert.ok(record.reads.length > 0 && record.reads.every((r) => r.ok && !r.stale), "reads of a healthy shard are never stale");
        assert.deepEqual([...fake.expiries.values()], [3_600_000, 3_600_000], "stop() sets the default expiry on both keys");
        assert.deepEqual(canary.keys, { "shard-1": "canary:{shard-0}:t1", "shard-2": "canary:{shard-3}:t1" });
    });

    it("gives every key an expiry from its first write on, without stop(), so a killed canary leaves nothing for longer", async () => {
        const fake = new FakeCluster(clock);
        const expiriesSent: string[] = [];
        const client = { call: (command: string, ...args: (string | number)[]) => {
            if (command === "PEXPIRE") {
                expiriesSent.push(String(args[0]));
            }
            return fake.call(command, ...args);
        } };
        canary = new Canary(client, SHARDS, { ratePerShard: 100, maxDurationMs: 60_000, keyTtlMs: 3_600_000, runId: "ttl", clock });
        canary.start();
        await wait(150);
        assert.equal(canary.running, true, "still running: stop() was not called");
        assert.deepEqual(Object.fromEntries(fake.expiries), { "canary:{shard-0}:ttl": 3_660_000, "canary:{shard-3}:ttl": 3_660_000 },
            "max duration + key TTL: the keys outlive any run and expire on their own");
        assert.deepEqual(expiriesSent.sort(), ["canary:{shard-0}:ttl", "canary:{shard-3}:ttl"], "once per key, not with every write");

        // A failover that lost shard-1's key: writes fail, then the next one recreates the key, without an expiry.
        fake.behaviour = (command, key) => (command === "ZADD" && key.includes("{shard-0}") ? "error" : "ok");
        fake.sets.delete("canary:{shard-0}:ttl");
        fake.expiries.delete("canary:{shard-0}:ttl");
        await wait(50);
        fake.behaviour = () => "ok";
        await wait(100);
        assert.equal(fake.expiries.get("canary:{shard-0}:ttl"), 3_660_000, "armed again after the failed writes");
        assert.ok(fake.sets.get("canary:{shard-0}:ttl")!.size > 0, "the key was recreated by the writes after the loss");
    });

    it("keeps sending at the full rate to a shard that hangs, and records each attempt as failed at its timeout", async () => {
        const fake = new FakeCluster(clock);
        fake.behaviour = (command, key) => (key.includes("{shard-3}") && command !== "PEXPIRE" ? "hang" : "ok");
        canary = new Canary(fake, SHARDS, { ratePerShard: 100, attemptTimeoutMs: 50, clock });
        const startedAt = clock.now();
        canary.start();
        await wait(300);
        await canary.stop();
        assert.ok(clock.now() - startedAt < 300 + 50 + 100, "stop() waits at most about one timeout for the hung attempts");
        const [healthy, hung] = canary.records();
        assert.ok(Math.abs(healthy.writes.length - hung.writes.length) <= 1, `same rate: ${healthy.writes.length} vs ${hung.writes.length}`);
        assert.ok(hung.writes.every((w) => !w.ok && w.latencyMs === undefined && w.error === "no answer within 50 ms"));
        assert.deepEqual(canary.acknowledged("shard-2"), []);
    });

    it("records a server error with its first line and when it came back", async () => {
        const fake = new FakeCluster(clock);
        fake.behaviour = (command) => (command === "ZADD" ? "error" : "ok");
        canary = new Canary(fake, SHARDS.slice(0, 1), { ratePerShard: 50, readRatePerShard: 0, clock });
        canary.start();
        await wait(60);
        await canary.stop();
        const [record] = canary.records();
        assert.ok(record.writes.length > 0);
        assert.ok(record.writes.every((w) => !w.ok && w.error === "CLUSTERDOWN The cluster is down" && typeof w.latencyMs === "number"));
        assert.deepEqual(record.reads, [], "readRatePerShard 0 sends no reads");
    });

    it("names the shards without an acknowledgement with their last error, and tells a refused user from a passing failure", async () => {
        const fake = new FakeCluster(clock);
        let shard2: "hang" | "down" | "noperm" = "hang";
        const client = { call: (command: string, ...args: (string | number)[]) => {
            if (command === "ZADD" && String(args[0]).includes("{shard-3}")) {
                return shard2 === "hang" ? new Promise<never>(() => undefined)
                    : Promise.reject(new Error(shard2 === "down" ? "CLUSTERDOWN The cluster is down" : "NOPERM User canary has no permissions to run the 'zadd' command"));
            }
            return fake.call(command, ...args);
        } };
        canary = new Canary(client, SHARDS, { ratePerShard: 100, attemptTimeoutMs: 1000, clock });
        canary.start();
        await wait(50);
        assert.deepEqual(canary.unacknowledged(), [{ shard: "shard-2", failedWrites: 0, lastError: undefined }]);
        assert.equal(describeUnacknowledged(canary.unacknowledged()), "shard-2 (no write answered yet)");
        assert.equal(refuseTheUser(canary.unacknowledged()), false, "a shard that has not answered may still");
        shard2 = "down";
        await wait(50);
        const [down] = canary.unacknowledged();
        assert.equal(down.lastError, "CLUSTERDOWN The cluster is down");
        assert.equal(refuseTheUser([down]), false, "a cluster that is down may come back");
        shard2 = "noperm";
        await wait(50);
        const silent = canary.unacknowledged();
        assert.match(describeUnacknowledged(silent), /^shard-2 \(no write acknowledged, \d+ refused or unanswered; last error: NOPERM User canary has no permissions/);
        assert.equal(refuseTheUser(silent), true);
        assert.equal(refuseTheUser([...silent, { shard: "shard-9", failedWrites: 0 }]), false, "not while another silent shard has not answered");
        assert.equal(refuseTheUser([]), false, "nothing is refused when every shard acknowledges");
    });

    it("verify reports exactly the acknowledged writes a shard does not have, with the newest survivor before them", async () => {
        const fake = new FakeCluster(clock);
        let dropping = false;
        fake.behaviour = (command, key) => (dropping && command === "ZADD" && key.includes("{shard-0}") ? "ack-without-storing" : "ok");
        canary = new Canary(fake, SHARDS, { ratePerShard: 100, readRatePerShard: 0, clock });
        canary.start();
        await wait(100);
        dropping = true;
        await wait(60);
        dropping = false;
        await wait(60);
        await canary.stop();
        const stored = fake.sets.get(canary.keys["shard-1"])!;
        const expectedLost = canary.acknowledged("shard-1").filter((w) => !stored.has(w.seq)).map((w) => w.seq);
        assert.ok(expectedLost.length >= 3, `the fake dropped some acknowledged writes (${expectedLost.length})`);
        const verification = await canary.verify();
        assert.deepEqual(verification.shards["shard-1"].missing.map((w) => w.seq), expectedLost);
        assert.ok(verification.shards["shard-1"].missing.every((w) => w.recoveryPoint?.seq === expectedLost[0] - 1),
            "each lost write's recovery point is the last write stored before the fake began dropping");
        assert.deepEqual(verification.shards["shard-2"], { missing: [] });
        assert.deepEqual(verification.unreadable, []);
    });

    it("marks reads that return less than the highest sequence number acknowledged before them as stale", async () => {
        const fake = new FakeCluster(clock);
        canary = new Canary(fake, SHARDS.slice(0, 1), { ratePerShard: 100, clock });
        canary.start();
        await wait(80);
        const key = canary.keys["shard-1"];
        fake.readOverride.set(key, 1);
        await wait(60);
        fake.readOverride.delete(key);
        await wait(40);
        await canary.stop();
        const reads = canary.records()[0].reads;
        const stale = reads.filter((r) => r.stale);
        assert.ok(stale.length >= 3, `reads served seq 1 for 60 ms at 100/s: ${stale.length} stale`);
        assert.equal(reads[reads.length - 1].stale, false, "fresh again once the override is gone");
    });

    it("reports a shard it cannot read as unreadable, never as intact", async () => {
        const fake = new FakeCluster(clock);
        fake.behaviour = (command, key) => (command === "ZRANGE" && key.includes("{shard-3}") ? "error" : "ok");
        canary = new Canary(fake, SHARDS, { ratePerShard: 100, verifyAttempts: 2, clock });
        canary.start();
        await wait(50);
        const verification = await canary.verify();
        assert.deepEqual(verification.unreadable, ["shard-2"]);
        assert.equal(verification.shards["shard-2"], undefined);
        assert.ok(verification.shards["shard-1"]);
    });

    it("stops by itself after maxDurationMs and after maxWritesPerShard", async () => {
        const byTime = new Canary(new FakeCluster(clock), SHARDS, { ratePerShard: 100, maxDurationMs: 100, clock });
        byTime.start();
        await wait(250);
        assert.equal(byTime.running, false);
        assert.equal(byTime.stoppedBecause, "max duration reached (100 ms)");
        await byTime.stop();
        const sent = byTime.records()[0].writes.length;
        assert.ok(sent >= 8 && sent <= 12, `about 10 writes in 100 ms, got ${sent}`);

        canary = new Canary(new FakeCluster(clock), SHARDS, { ratePerShard: 200, maxWritesPerShard: 5, clock });
        canary.start();
        await wait(100);
        assert.equal(canary.running, false);
        assert.deepEqual(canary.records().map((r) => r.writes.length), [5, 5]);
    });

    it("rejects bad options and shards, naming the field, the value and what is accepted", () => {
        const fake = new FakeCluster(clock);
        assert.throws(() => new Canary(fake, SHARDS, { ratePerShard: 0 }), /ratePerShard is 0\. Accepted: a number from 1 to 1000 \(writes per second per shard\)/);
        assert.throws(() => new Canary(fake, SHARDS, { attemptTimeoutMs: 5 }), /attemptTimeoutMs is 5\. Accepted: a number from 10/);
        assert.throws(() => new Canary(fake, [{ ...SHARDS[0], tag: "shard-0" }]), /shards\[0\]\.tag is "shard-0"\. Accepted: a hash tag with braces/);
        assert.throws(() => new Canary(fake, [SHARDS[0], SHARDS[0]]), /shard names repeat \(shard-1, shard-1\)/);
        assert.throws(() => new Canary(fake, []), /shards is empty/);
        assert.throws(() => new Canary(fake, SHARDS, { keyPrefix: "a b" }), /keyPrefix is "a b"/);
        const once = new Canary(fake, SHARDS, { maxWritesPerShard: 1, clock });
        once.start();
        assert.throws(() => once.start(), /already run/);
        return once.stop();
    });
});

/** A plain connection to one node, outside the cluster client. */
function plain(port: number): Redis {
    const connection = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    connection.on("error", () => undefined);
    return connection;
}

describe("Canary against a real local cluster: a primary killed before it replicated", function () {
    this.timeout(60_000);
    const fixture = useLocalCluster({ nodeTimeoutMs: 1000 });
    let pids: number[] = [];
    // Registered after the fixture's own after hook, so it runs once the cluster is stopped.
    after(() => assert.deepEqual(leftoverServers(pids), [], "no redis-server of this test is left"));

    it("every canary key has an expiry on the cluster while the canary runs", async () => {
        const client = await fixture.connect();
        const shards = await readShards(client);
        const canary = new Canary(client, shards.map((s) => ({ shard: s.id, label: s.id, tag: hashTagFor(s) })), { ratePerShard: 50, maxDurationMs: 30_000 });
        try {
            canary.start();
            await sleep(300);
            for (const key of Object.values(canary.keys)) {
                const ttl = Number(await client.call("PTTL", key));
                // PTTL is -1 for a key without expiry, -2 for a missing one.
                assert.ok(ttl > 30_000 && ttl <= 30_000 + 3_600_000, `${key}: PTTL ${ttl} ms while running`);
            }
        } finally {
            await canary.stop();
        }
    });

    it("reports exactly the writes the primary acknowledged after its replica stopped receiving them", async () => {
        pids = await serverPids(fixture.local);
        assert.equal(pids.length, 6);
        const client = await fixture.connect();
        const shards = await readShards(client);
        const canary = new Canary(client, shards.map((s) => ({ shard: s.id, label: s.id, tag: hashTagFor(s) })), { ratePerShard: 100, maxDurationMs: 50_000 });
        const victim: ShardInfo = shards[1];
        const replica = plain(victim.replicas[0].port);
        const primary = plain(victim.primary.port);
        try {
            canary.start();
            await sleep(500);
            // Cut replication so the primary keeps acknowledging writes its replica never gets: the
            // replica is told a wrong primary password (so it cannot reconnect), then its link is closed.
            // Pausing the replica (DEBUG SLEEP, SIGSTOP) would not do: the stream waits in its socket buffer.
            await replica.call("CONFIG", "SET", "masterauth", "not-the-primary-password");
            await primary.call("CLIENT", "KILL", "TYPE", "replica");
            await sleep(300);
            assert.match(String(await replica.call("INFO", "replication")), /master_link_status:down/, "precondition: replication is cut");
            await replica.call("READONLY");
            const survived = new Set(((await replica.call("ZRANGE", canary.keys[victim.id], 0, -1)) as string[]).map(Number));
            const killedAt = Date.now();
            await fixture.local.kill(victim.primary.port, "SIGKILL");

            // Wait for the replica's promotion and for the canary to write there again.
            const deadline = Date.now() + 20_000;
            while ((canary.lastAckAt(victim.id) ?? 0) < killedAt + 500 && Date.now() < deadline) {
                await sleep(50);
            }
            assert.ok((canary.lastAckAt(victim.id) ?? 0) > killedAt + 500, "the promoted replica acknowledges writes again");

            // Independent bookkeeping: every write the old primary acknowledged that the frozen replica did
            // not have is lost; nothing else is. The old primary's acknowledgements are those before
            // killedAt + 500: a write sent the very millisecond of the kill may still have been answered by
            // it, and the replica cannot be promoted before the 1000 ms node timeout.
            const expected = canary.acknowledged(victim.id).filter((w) => w.ackedAt < killedAt + 500 && !survived.has(w.seq)).map((w) => w.seq);
            assert.ok(expected.length >= 10, `about 0.3 s of writes at 100/s were acknowledged after the cut (${expected.length})`);
            const verification = await canary.verify();
            assert.deepEqual(verification.unreadable, []);
            assert.deepEqual(verification.shards[victim.id].missing.map((w) => w.seq), expected);
            assert.ok(verification.shards[victim.id].missing.every((w) => survived.has(w.recoveryPoint!.seq)), "each recovery point is a write the replica had");
            for (const other of shards.filter((s) => s.id !== victim.id)) {
                assert.deepEqual(verification.shards[other.id].missing, [], `${other.id} lost nothing`);
            }
        } finally {
            await canary.stop();
            replica.disconnect();
            primary.disconnect();
        }
    });
});
