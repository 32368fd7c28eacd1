/** FakeAws snapshots: seeding, DescribeSnapshots, CreateSnapshot, creating a group from a snapshot, and the final snapshot of a deletion. */
import * as assert from "node:assert/strict";
import {
    CreateReplicationGroupCommand, CreateSnapshotCommand, DeleteReplicationGroupCommand, DescribeReplicationGroupsCommand, DescribeSnapshotsCommand,
    DescribeSnapshotsCommandInput, InvalidParameterCombinationException, InvalidParameterValueException, InvalidReplicationGroupStateFault,
    InvalidSnapshotStateFault, ReplicationGroupAlreadyExistsFault, Snapshot, SnapshotAlreadyExistsFault, SnapshotNotFoundFault,
} from "@aws-sdk/client-elasticache";
import { FakeAws, NODE_SNAPSHOT_SPACING_MS, PROD_SEED } from "../fake";
import { elastiCacheIn, rejection } from "./clients";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RG = "prod-us-east-1";
const east = () => elastiCacheIn("us-east-1");

/** Every page of DescribeSnapshots, following Marker, and how many pages it took. */
async function describeAll(input: DescribeSnapshotsCommandInput, region = "us-east-1"): Promise<{ snapshots: Snapshot[]; pages: number }> {
    const snapshots: Snapshot[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
        const out = await elastiCacheIn(region).send(new DescribeSnapshotsCommand({ ...input, Marker: marker }));
        snapshots.push(...out.Snapshots!);
        marker = out.Marker;
        pages += 1;
    } while (marker);
    return { snapshots, pages };
}

const restoreInput = (id: string, snapshot: string, extra: Record<string, unknown> = {}) => ({
    ReplicationGroupId: id, ReplicationGroupDescription: `restore of ${snapshot}`, SnapshotName: snapshot, ...extra,
});

describe("FakeAws snapshots", () => {
    let aws: FakeAws;
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());
    /** The model's group as it is now (the model applies due transitions only when asked). */
    const group = (region: string, id: string) => {
        aws.model.settle();
        return aws.model.replicationGroup(region, id);
    };

    describe("seeded snapshots and DescribeSnapshots", () => {
        it("lists a group's automated and manual snapshots over pages of 50, and filters by source and name", async () => {
            const start = aws.clock.now() - 70 * HOUR;
            for (let i = 0; i < 60; i++) {
                aws.addSnapshot("us-east-1", { replicationGroupId: RG, takenAt: start + i * HOUR });
            }
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, source: "manual", name: "Before-Upgrade", takenAt: start });
            aws.addSnapshot("us-east-1", { replicationGroupId: "someone-else", takenAt: start });

            const all = await describeAll({ ReplicationGroupId: RG });
            assert.equal(all.snapshots.length, 61);
            assert.equal(all.pages, 2, "50 per page by default, as AWS");
            assert.ok(all.snapshots.every((s) => s.ReplicationGroupId === RG));
            assert.equal((await describeAll({ ReplicationGroupId: RG, SnapshotSource: "system" })).snapshots.length, 60);
            const manual = (await describeAll({ ReplicationGroupId: RG, SnapshotSource: "user" })).snapshots;
            assert.deepEqual(manual.map((s) => [s.SnapshotName, s.SnapshotSource]), [["before-upgrade", "manual"]], "names are stored in lowercase");
            const first = all.snapshots.find((s) => s.SnapshotSource === "automated")!;
            assert.equal(first.SnapshotName, "automatic.prod-us-east-1-2025-01-12-12-00", "AWS's form for automated names");
            const byName = await east().send(new DescribeSnapshotsCommand({ SnapshotName: "BEFORE-upgrade" }));
            assert.equal(byName.Snapshots![0].SnapshotName, "before-upgrade");
            assert.equal((await describeAll({ ReplicationGroupId: RG, MaxRecords: 20 })).pages, 4);
        });

        it("reports the group's shape and one node snapshot per node group, each with its own time and size", async () => {
            const takenAt = aws.clock.now() - HOUR;
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, takenAt, cacheSizeMb: 900 });
            const [plain] = (await describeAll({ ReplicationGroupId: RG })).snapshots;
            assert.deepEqual([plain.Engine, plain.EngineVersion, plain.CacheNodeType, plain.NumNodeGroups, plain.AutomaticFailover, plain.DataTiering, plain.SnapshotStatus],
                ["valkey", "8.0", "cache.r7g.xlarge", 3, "enabled", "disabled", "available"]);
            assert.equal(plain.CacheParameterGroupName, "default.valkey8.cluster.on");
            assert.deepEqual(plain.NodeSnapshots!.map((n) => [n.NodeGroupId, n.SnapshotCreateTime!.getTime() - takenAt, n.CacheSize]),
                [["0001", 0, "900 MB"], ["0002", NODE_SNAPSHOT_SPACING_MS, "900 MB"], ["0003", 2 * NODE_SNAPSHOT_SPACING_MS, "900 MB"]]);
            assert.equal(plain.NodeSnapshots![0].NodeGroupConfiguration, undefined, "only with ShowNodeGroupConfig");
            const [withConfig] = (await describeAll({ ReplicationGroupId: RG, ShowNodeGroupConfig: true })).snapshots;
            assert.deepEqual(withConfig.NodeSnapshots!.map((n) => [n.NodeGroupConfiguration!.Slots, n.NodeGroupConfiguration!.ReplicaCount]),
                [["0-5460", 2], ["5461-10921", 2], ["10922-16383", 2]]);
        });

        it("takes explicit node times and shapes, including a data-tiering one for a group that no longer exists", async () => {
            const times = [Date.UTC(2025, 0, 15, 9, 0, 0), Date.UTC(2025, 0, 15, 9, 0, 42)];
            aws.addSnapshot("us-east-1", { replicationGroupId: "gone", nodeSnapshotTimes: times, shape: { nodeType: "cache.r6gd.xlarge", engine: "redis", engineVersion: "7.1" } });
            const [s] = (await describeAll({ ReplicationGroupId: "gone" })).snapshots;
            assert.deepEqual([s.NumNodeGroups, s.DataTiering, s.Engine, s.CacheParameterGroupName], [2, "enabled", "redis", "default.redis7.cluster.on"]);
            assert.deepEqual(s.NodeSnapshots!.map((n) => n.SnapshotCreateTime!.getTime()), times);
            assert.throws(() => aws.addSnapshot("us-east-1", { replicationGroupId: "gone", nodeSnapshotTimes: times, shape: { shards: 3 } }), /lists 2 node groups, shape\.shards says 3/);
            assert.throws(() => aws.addSnapshot("us-east-1", { replicationGroupId: "gone" }), /give takenAt or nodeSnapshotTimes/);
        });

        it("refuses what AWS refuses: an unknown name, a page size outside 20..50, an unknown source", async () => {
            assert.ok(await rejection(east().send(new DescribeSnapshotsCommand({ SnapshotName: "nope" }))) instanceof SnapshotNotFoundFault);
            assert.deepEqual((await describeAll({ ReplicationGroupId: "no-such-group" })).snapshots, [], "a group without snapshots lists none");
            const big = await rejection(east().send(new DescribeSnapshotsCommand({ MaxRecords: 51 })));
            assert.ok(big instanceof InvalidParameterValueException && /from 20 to 50, got 51/.test(big.message));
            assert.match((await rejection(east().send(new DescribeSnapshotsCommand({ SnapshotSource: "automated" })))).message, /system or user, got automated/);
            assert.deepEqual((await describeAll({}, "us-west-2")).snapshots, [], "snapshots are regional");
        });
    });

    describe("CreateSnapshot", () => {
        const take = (name: string, extra: Record<string, unknown> = {}) => east().send(new CreateSnapshotCommand({ ReplicationGroupId: RG, SnapshotName: name, ...extra }));
        const groupStatus = async () => (await east().send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: RG }))).ReplicationGroups![0].Status;

        it("snapshots the whole group: creating while the group is snapshotting, node times as each is captured, then available with its tags", async () => {
            const startedAt = aws.clock.now();
            const out = await take("prod-us-east-1-manual-20250115-100000", { Tags: [{ Key: "reason", Value: "deploy abc: engine upgrade" }] });
            assert.deepEqual([out.Snapshot!.SnapshotStatus, out.Snapshot!.SnapshotSource], ["creating", "manual"]);
            assert.deepEqual(out.Snapshot!.NodeSnapshots!.map((n) => n.SnapshotCreateTime), [undefined, undefined, undefined], "nothing captured yet");
            assert.equal(await groupStatus(), "snapshotting");
            aws.clock.advance(NODE_SNAPSHOT_SPACING_MS);
            const partway = (await describeAll({ SnapshotName: "prod-us-east-1-manual-20250115-100000" })).snapshots[0];
            assert.deepEqual(partway.NodeSnapshots!.map((n) => n.SnapshotCreateTime?.getTime()), [startedAt + NODE_SNAPSHOT_SPACING_MS, undefined, undefined]);
            aws.clock.advance(aws.durations.snapshot);
            const done = aws.snapshot("us-east-1", "prod-us-east-1-manual-20250115-100000");
            assert.deepEqual([done.status, done.tags], ["available", { reason: "deploy abc: engine upgrade" }]);
            assert.ok(done.nodeSnapshots!.every((n) => n.takenAt > startedAt && n.takenAt < startedAt + aws.durations.snapshot));
            assert.equal(await groupStatus(), "available");
        });

        it("refuses a second snapshot of the group while one runs, a name already taken (whatever its case), a single cluster, and tags AWS rejects", async () => {
            await take("first");
            const busy = await rejection(take("second"));
            assert.ok(busy instanceof InvalidReplicationGroupStateFault);
            assert.match(busy.message, /prod-us-east-1 is snapshotting; a snapshot needs it available/);
            aws.clock.advance(aws.durations.snapshot);
            assert.ok(await rejection(take("FIRST")) instanceof SnapshotAlreadyExistsFault);
            assert.ok(await rejection(east().send(new CreateSnapshotCommand({ CacheClusterId: "prod-us-east-1-0001-001", SnapshotName: "x" })))
                instanceof InvalidParameterCombinationException);
            assert.match((await rejection(take("third", { Tags: [{ Key: "reason", Value: "semicolons; are not allowed" }] }))).message, /is not a valid tag/);
            assert.equal(aws.snapshotsIn("us-east-1").length, 1, "nothing was created by the refused calls");
        });

        it("ends failed with the snapshotFails fault, and stays creating when CreateSnapshot never finishes", async () => {
            aws.faults.snapshotFails({ replicationGroupId: RG });
            await take("doomed");
            aws.clock.advance(aws.durations.snapshot);
            assert.equal(aws.snapshot("us-east-1", "doomed").status, "failed");
            assert.equal(await groupStatus(), "available", "the group is usable again");
            aws.faults.clear();
            aws.faults.neverFinish("CreateSnapshot");
            await take("stuck");
            aws.clock.advance(6 * HOUR);
            assert.deepEqual([aws.snapshot("us-east-1", "stuck").status, await groupStatus()], ["creating", "snapshotting"]);
        });
    });

    describe("CreateReplicationGroup with SnapshotName", () => {
        const snapshotAt = () => aws.clock.now() - HOUR;

        it("is creating while the snapshot is restoring, then available, shaped like the snapshot where the call leaves it out", async () => {
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "nightly", takenAt: snapshotAt(), shape: { shards: 4, engineVersion: "7.2" } });
            const created = await aws.createReplicationGroup("us-east-1", restoreInput("prod-g2-us-east-1", "nightly", { ReplicasPerNodeGroup: 1 }));
            assert.equal(created.Status, "creating");
            assert.equal(aws.snapshot("us-east-1", "nightly").status, "restoring");
            aws.clock.advance(aws.durations.restore - 1);
            assert.equal(group("us-east-1", "prod-g2-us-east-1")!.status, "creating");
            aws.clock.advance(1);
            const rg = group("us-east-1", "prod-g2-us-east-1")!;
            assert.deepEqual([rg.status, rg.restoredFrom, rg.nodeGroups.length, rg.nodeGroups[0].nodes.length, rg.engineVersion, rg.nodeType],
                ["available", "nightly", 4, 2, "7.2", "cache.r7g.xlarge"]);
            assert.equal(aws.snapshot("us-east-1", "nightly").status, "available");
        });

        it("accepts every input the program sends and ignores what the fake does not model", async () => {
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "nightly", takenAt: snapshotAt() });
            await east().send(new CreateReplicationGroupCommand({
                ...restoreInput("prod-g2-us-east-1", "nightly"), NumNodeGroups: 3, ReplicasPerNodeGroup: 2, CacheNodeType: "cache.r7g.xlarge",
                Engine: "valkey", EngineVersion: "8.0", CacheParameterGroupName: "default.valkey8.cluster.on", CacheSubnetGroupName: "prod-us-east-1",
                SecurityGroupIds: ["sg-0123"], Port: 6379, AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, KmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/x",
                AutomaticFailoverEnabled: true, MultiAZEnabled: true, ClusterMode: "enabled", SnapshotRetentionLimit: 7, SnapshotWindow: "03:00-04:00",
                PreferredMaintenanceWindow: "sun:05:00-sun:06:00", UserGroupIds: ["prod-users"], Tags: [{ Key: "stack", Value: "prod" }],
                LogDeliveryConfigurations: [{ LogType: "slow-log", DestinationType: "cloudwatch-logs", LogFormat: "json" }],
            }));
            aws.clock.advance(aws.durations.restore);
            assert.equal(group("us-east-1", "prod-g2-us-east-1")!.status, "available");
        });

        it("ends in create-failed with the restoreFails fault, the snapshot available again", async () => {
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "nightly", takenAt: snapshotAt() });
            aws.faults.restoreFails({ region: "us-east-1", replicationGroupId: "prod-g2-us-east-1" });
            await aws.createReplicationGroup("us-east-1", restoreInput("prod-g2-us-east-1", "nightly"));
            aws.clock.advance(aws.durations.restore);
            const out = await east().send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "prod-g2-us-east-1" }));
            assert.equal(out.ReplicationGroups![0].Status, "create-failed");
            assert.equal(aws.snapshot("us-east-1", "nightly").status, "available");
            assert.deepEqual(aws.log.calls({ command: "CreateReplicationGroup" }).map((c) => c.outcome), ["ok"], "accepted, then failed later");
        });

        it("refuses a snapshot that is missing, in another region or not available, an existing id, and what a restore cannot change", async () => {
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "nightly", takenAt: snapshotAt(), shape: { engineVersion: "8.0" } });
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "busy", takenAt: snapshotAt(), status: "creating" });
            aws.addSnapshot("us-east-1", { replicationGroupId: RG, name: "tiered", takenAt: snapshotAt(), shape: { nodeType: "cache.r6gd.xlarge" } });
            const refusal = (id: string, snapshot: string, extra: Record<string, unknown> = {}, region = "us-east-1") =>
                rejection(elastiCacheIn(region).send(new CreateReplicationGroupCommand(restoreInput(id, snapshot, extra))));
            assert.ok(await refusal("g2", "nope") instanceof SnapshotNotFoundFault);
            assert.ok(await refusal("g2", "nightly", {}, "us-west-2") instanceof SnapshotNotFoundFault, "snapshots are regional");
            const busy = await refusal("g2", "busy");
            assert.ok(busy instanceof InvalidSnapshotStateFault && /busy is creating/.test(busy.message));
            assert.ok(await refusal(RG, "nightly") instanceof ReplicationGroupAlreadyExistsFault);
            assert.match((await refusal("g2", "nightly", { EngineVersion: "7.2" })).message, /older than 8\.0, .*cannot downgrade/);
            assert.match((await refusal("g2", "tiered", { CacheNodeType: "cache.r7g.xlarge" })).message, /data-tiering cluster and restores only to r6gd/);
            assert.match((await refusal("g2", "nightly", { Engine: "redis" })).message, /holds valkey data/);
            assert.match((await refusal("g2", "nightly", { ClusterMode: "disabled" })).message, /cannot turn off/);
            assert.equal(group("us-east-1", "g2"), undefined, "no group was created");
            await aws.createReplicationGroup("us-east-1", restoreInput("g2", "nightly", { EngineVersion: "8.0" }));
            assert.equal(group("us-east-1", "g2")!.status, "creating", "the same minor version (8.0 = any 8.0.x) is fine");
        });
    });

    it("DeleteReplicationGroup's final snapshot has the deleted group's node snapshots and shape, creating then available, and outlives it", async () => {
        const standalone = { ...aws.model.requireReplicationGroup("us-west-2", "prod-us-west-2"), id: "old", region: "eu-west-1", global: undefined, status: "available" as const };
        aws.model.addReplicationGroup(standalone);
        const at = aws.clock.now();
        await elastiCacheIn("eu-west-1").send(new DeleteReplicationGroupCommand({ ReplicationGroupId: "old", FinalSnapshotIdentifier: "old-final-rejoin-1" }));
        assert.equal(aws.snapshot("eu-west-1", "old-final-rejoin-1").status, "creating");
        aws.clock.advance(aws.durations.finalSnapshot + 10 * MINUTE);
        assert.equal(group("eu-west-1", "old"), undefined, "the group is gone");
        const [s] = (await describeAll({ ReplicationGroupId: "old" }, "eu-west-1")).snapshots;
        assert.deepEqual([s.SnapshotStatus, s.SnapshotSource, s.NumNodeGroups, s.Engine], ["available", "manual", 3, "valkey"]);
        assert.deepEqual(s.NodeSnapshots!.map((n) => n.SnapshotCreateTime!.getTime() - at), [1, 2, 3].map((i) => i * NODE_SNAPSHOT_SPACING_MS));
    });
});
