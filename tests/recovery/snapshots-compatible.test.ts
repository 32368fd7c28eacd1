/** Whether a snapshot fits the deployment the stack declares: one compliant snapshot, then one difference per case. */
import * as assert from "node:assert/strict";
import { Snapshot } from "@aws-sdk/client-elasticache";
import { IncompatibleSnapshotError, RestoreTarget, assertCompatible, checkCompatibility } from "../../recovery/lib/snapshots/compatible";

/** Pulumi.prod.yaml's deployment. */
const TARGET: RestoreTarget = { engine: "valkey", engineVersion: "8.0", nodeType: "cache.r7g.xlarge", shards: 3 };

function compliant(changes: Partial<Snapshot> = {}): Snapshot {
    return {
        SnapshotName: "nightly", ReplicationGroupId: "prod-us-east-1", SnapshotStatus: "available", Engine: "valkey", EngineVersion: "8.0.1",
        CacheNodeType: "cache.r7g.xlarge", NumNodeGroups: 3, AutomaticFailover: "enabled", CacheParameterGroupName: "default.valkey8.cluster.on",
        DataTiering: "disabled",
        NodeSnapshots: ["0001", "0002", "0003"].map((id) => ({ NodeGroupId: id, CacheSize: "900 MB", SnapshotCreateTime: new Date(Date.UTC(2025, 0, 15)) })),
        ...changes,
    };
}

const problems = (s: Snapshot, target: RestoreTarget = TARGET) => checkCompatibility(s, target).problems;

describe("checkCompatibility", () => {
    it("accepts a cluster-mode snapshot of the stack's engine, shard count and node type, of the same minor version", () => {
        assert.deepEqual(checkCompatibility(compliant(), TARGET), { problems: [], notes: [] });
        assert.deepEqual(problems(compliant({ EngineVersion: "7.2.4" })), [], "an older version restores into a newer engine");
    });

    it("refuses a cluster-mode-disabled snapshot, and one whose cluster mode nothing reports", () => {
        const disabled = compliant({ CacheParameterGroupName: "default.valkey8", NumNodeGroups: 1, NodeSnapshots: [{ NodeGroupId: "0001", SnapshotCreateTime: new Date() }] });
        assert.deepEqual(problems(disabled, { ...TARGET, shards: 1 }), ["snapshot nightly: cluster mode is disabled (parameter group default.valkey8); accepted: a snapshot " +
            "taken in cluster mode, as the stack's replication groups run; a cluster-mode-disabled backup would have to be resharded into the stack's shards on " +
            "restore, which recovery does not do"]);
        const silent = compliant({ CacheParameterGroupName: undefined, NumNodeGroups: 1, NodeSnapshots: [{ NodeGroupId: "0001" }] });
        assert.match(problems(silent, { ...TARGET, shards: 1 })[0], /^snapshot nightly: cluster mode is unknown \(no second node group, no \.cluster\.on parameter group, no hash slots\)/);
        const slots = compliant({ CacheParameterGroupName: undefined, NumNodeGroups: 1, NodeSnapshots: [{ NodeGroupId: "0001", NodeGroupConfiguration: { Slots: "0-16383" } }] });
        assert.deepEqual(problems(slots, { ...TARGET, shards: 1 }), [], "hash slots show cluster mode");
    });

    it("refuses another shard count, saying what to set or choose", () => {
        assert.deepEqual(problems(compliant({ NumNodeGroups: 4 })), ["snapshot nightly: NumNodeGroups is 4; accepted: 3, the stack's shards. Restoring into another " +
            "shard count moves hash slots between shards; set shards to 4 for the restore and change it afterwards, or choose a snapshot of 3 shards"]);
        const counted = compliant({ NumNodeGroups: undefined });
        assert.deepEqual(problems(counted), [], "without NumNodeGroups the node snapshots' node groups are counted");
    });

    it("refuses another engine; for Redis OSS data into Valkey it says how AWS documents the move", () => {
        assert.deepEqual(problems(compliant({ Engine: "redis", EngineVersion: "7.1.0", CacheParameterGroupName: "default.redis7.cluster.on" })),
            ["snapshot nightly: Engine is redis; accepted: valkey, the stack's engine. To move this data to Valkey, restore it with engine redis, then upgrade " +
                "that group to valkey in place, as AWS documents"]);
        assert.match(problems(compliant(), { ...TARGET, engine: "redis", engineVersion: "7.1" })[0],
            /^snapshot nightly: Engine is valkey; accepted: redis, the stack's engine\. A restore keeps the engine the data was taken with$/);
    });

    it("refuses a snapshot of a newer engine version than the target's, compared at the target's precision", () => {
        assert.deepEqual(problems(compliant({ EngineVersion: "8.1.0" })), ["snapshot nightly: EngineVersion is 8.1.0; accepted: 8.0 or older, the stack's " +
            "engineVersion: a restore cannot downgrade. Set engineVersion to 8.1 or newer for the restore"]);
        assert.deepEqual(problems(compliant({ EngineVersion: "8.0.2" }), { ...TARGET, engineVersion: "8.0.1" }).length, 1, "a patch-level target compares patches");
        assert.deepEqual(problems(compliant({ EngineVersion: "8.0.1" }), { ...TARGET, engineVersion: "8.0.1" }), []);
        assert.match(problems(compliant({ EngineVersion: undefined }))[0], /^snapshot nightly: EngineVersion is not reported; accepted: a version no newer than 8\.0/);
    });

    it("restores a data-tiering snapshot only to r6gd node types; a plain one may go to r6gd", () => {
        const tiered = compliant({ DataTiering: "enabled", CacheNodeType: "cache.r6gd.xlarge" });
        assert.deepEqual(problems(tiered), ["snapshot nightly: DataTiering is enabled (taken on cache.r6gd.xlarge); accepted: an r6gd node type for the " +
            "restore, which the stack's nodeType cache.r7g.xlarge is not: AWS restores backups of data-tiering clusters only to r6gd nodes"]);
        assert.deepEqual(problems(tiered, { ...TARGET, nodeType: "cache.r6gd.2xlarge" }), []);
        assert.deepEqual(problems(compliant(), { ...TARGET, nodeType: "cache.r6gd.xlarge" }), []);
    });

    it("notes another node type without refusing it, with the data size per shard", () => {
        const result = checkCompatibility(compliant({ CacheNodeType: "cache.r7g.2xlarge" }), TARGET);
        assert.deepEqual(result.problems, []);
        assert.deepEqual(result.notes, ["snapshot nightly was taken on cache.r7g.2xlarge; the restore runs on cache.r7g.xlarge: make sure each shard's data " +
            "(900 MB, 900 MB, 900 MB) fits its memory"]);
    });

    it("assertCompatible lists every problem at once", () => {
        const bad = compliant({ Engine: "redis", EngineVersion: "9.0", NumNodeGroups: 6 });
        assert.throws(() => assertCompatible(bad, TARGET), (e: Error) => {
            assert.ok(e instanceof IncompatibleSnapshotError);
            assert.deepEqual(e.problems.map((p) => /: (\w+) is/.exec(p)?.[1]), ["NumNodeGroups", "Engine", "EngineVersion"]);
            assert.match(e.message, /^snapshot nightly cannot seed this deployment:\n {2}- snapshot nightly: NumNodeGroups is 6/);
            return true;
        });
        assert.deepEqual(assertCompatible(compliant(), TARGET).problems, []);
    });
});
