import * as assert from "node:assert/strict";
import calculateSlot = require("cluster-key-slot");
import type { Cluster } from "ioredis";
import { onNode } from "../../recovery/dataplane/connect";
import { ShardInfo, hashTagFor, parseClusterShards, parseClusterSlots, readShards } from "../../recovery/dataplane/slots";
import { useLocalCluster } from "./local-cluster-fixture";

describe("shards and hash tags (real local cluster)", function () {
    this.timeout(10_000);
    const fixture = useLocalCluster();
    let cluster: Cluster;
    let shards: ShardInfo[];

    before(async () => {
        cluster = await fixture.connect();
        shards = await readShards(cluster);
    });

    it("reads every shard in slot order, covering each of the 16384 slots exactly once", () => {
        assert.deepEqual(shards.map((shard) => shard.id), ["shard-1", "shard-2", "shard-3"]);
        const covered = shards.flatMap((shard) => shard.slots).sort((a, b) => a[0] - b[0]);
        assert.equal(covered[0][0], 0);
        assert.equal(covered[covered.length - 1][1], 16383);
        for (let i = 1; i < covered.length; i++) {
            assert.equal(covered[i][0], covered[i - 1][1] + 1, `gap or overlap between ${covered[i - 1]} and ${covered[i]}`);
        }
    });

    it("names the primaries and replicas the launcher reports", async () => {
        const nodes = await fixture.local.nodes();
        for (const shard of shards) {
            const primary = nodes.find((node) => node.nodeId === shard.primary.nodeId);
            assert.equal(primary?.role, "primary");
            assert.equal(primary?.port, shard.primary.port);
            assert.deepEqual(shard.replicas.map((replica) => replica.nodeId),
                nodes.filter((node) => node.primaryId === shard.primary.nodeId).map((node) => node.nodeId));
        }
    });

    it("a key with the shard's hash tag lands on that shard's primary, as the server computes it", async () => {
        for (const shard of shards) {
            const key = `probe:${hashTagFor(shard)}:value`;
            const slot = Number(await cluster.call("CLUSTER", "KEYSLOT", key));
            assert.ok(shard.slots.some(([from, to]) => slot >= from && slot <= to), `${key} -> slot ${slot}, outside ${shard.id} ${JSON.stringify(shard.slots)}`);
            await cluster.set(key, shard.id);
            // Read from the primary itself: a node that does not own the slot answers MOVED instead.
            const stored = await onNode(cluster, shard.primary, 2000, (client) => client.get(key));
            assert.equal(stored, shard.id);
        }
    });

    it("CLUSTER SLOTS (servers before 7.0) gives the same shards as CLUSTER SHARDS", async () => {
        const fromSlots = parseClusterSlots((await cluster.call("CLUSTER", "SLOTS")) as unknown[])
            .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
        assert.deepEqual(fromSlots.map((shard) => ({ slots: shard.slots, primary: shard.primary })),
            shards.map((shard) => ({ slots: shard.slots, primary: shard.primary })));
        // CLUSTER SLOTS leaves out replicas the server does not consider synced yet (CLUSTER SHARDS
        // lists them as "loading"), so its replicas are a subset.
        fromSlots.forEach((shard, index) => {
            const known = new Set(shards[index].replicas.map((replica) => replica.nodeId));
            assert.deepEqual(shard.replicas.filter((replica) => !known.has(replica.nodeId)), []);
        });
    });
});

describe("hashTagFor", () => {
    it("is deterministic, honours the prefix, and hashes into the given slots", () => {
        const shard = { slots: [[5461, 10922]] as [number, number][] };
        assert.equal(hashTagFor(shard), hashTagFor(shard));
        const tag = hashTagFor(shard, "canary-");
        assert.match(tag, /^\{canary-\d+\}$/);
        const slot = calculateSlot(tag.slice(1, -1));
        assert.ok(slot >= 5461 && slot <= 10922);
    });

    it("finds a tag for a one-slot shard and for a shard of scattered ranges", () => {
        for (const slots of [[[16383, 16383]], [[7, 7], [9000, 9001]]] as [number, number][][]) {
            const slot = calculateSlot(hashTagFor({ slots }).slice(1, -1));
            assert.ok(slots.some(([from, to]) => slot >= from && slot <= to), `slot ${slot} outside ${JSON.stringify(slots)}`);
        }
    });

    it("rejects slots outside 0-16383, empty slot lists and braces in the prefix", () => {
        assert.throws(() => hashTagFor({ slots: [] }), /slots is \[\]\. Accepted: at least one \[from, to\] range/);
        assert.throws(() => hashTagFor({ slots: [[0, 16384]] }), /slots is \[\[0,16384\]\]/);
        assert.throws(() => hashTagFor({ slots: [[10, 5]] }), /slots is \[\[10,5\]\]/);
        assert.throws(() => hashTagFor({ slots: [[0, 1]] }, "a{b"), /prefix is "a\{b"/);
    });
});

describe("parseClusterShards", () => {
    /** One CLUSTER SHARDS node entry as RESP2 delivers it: a flat list of field names and values. */
    const node = (id: string, role: string, health: string, endpoint: string) =>
        ["id", id, "port", 6379, "tls-port", 6380, "ip", `10.0.0.${id.length}`, "endpoint", endpoint, "role", role, "health", health];
    const reply = [
        ["slots", [0, 99, 200, 299], "nodes", [
            node("p1", "master", "online", "node-a.example"),
            node("r1", "replica", "loading", "node-b.example"),
            node("r22", "replica", "fail", "?"),
        ]],
        ["slots", [], "nodes", [node("old", "master", "fail", "node-c.example")]],
    ];

    it("takes the endpoint (the ip when it is \"?\"), the TLS port for TLS clients, and leaves out failed replicas", () => {
        const [shard, empty] = parseClusterShards(reply, true);
        assert.deepEqual(shard.slots, [[0, 99], [200, 299]]);
        assert.deepEqual(shard.primary, { host: "node-a.example", port: 6380, nodeId: "p1" });
        assert.deepEqual(shard.replicas, [{ host: "node-b.example", port: 6380, nodeId: "r1" }]);
        assert.deepEqual(empty.slots, []);
        assert.equal(parseClusterShards(reply, false)[0].primary?.port, 6379);
        const unknownEndpoint = parseClusterShards([["slots", [0, 1], "nodes", [node("p1", "master", "online", "?")]]]);
        assert.equal(unknownEndpoint[0].primary?.host, "10.0.0.2");
    });
});
