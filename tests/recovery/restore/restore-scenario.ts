/**
 * Test-only: a restore scenario. The fake control plane holds the stack's snapshots and CloudWatch
 * CurrItems; the fake stack's `up` creates, in the fake control plane, the replication groups it
 * declares from a snapshot (as the provider's CreateReplicationGroup would); the data plane is a real
 * local Redis cluster standing in for the new generation, seeded with known keys and markers.
 */
import { CreateGlobalReplicationGroupCommand, CreateReplicationGroupCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import type { Cluster } from "ioredis";
import { markerKey, writeMarkers } from "../../../recovery/dataplane/marker";
import { ShardInfo, readShards } from "../../../recovery/dataplane/slots";
import { seedKeys } from "../../../recovery/local/seed";
import { ClusterFixture } from "../../dataplane/local-cluster-fixture";
import { Harness, HarnessOptions, harness } from "../commands/harness";

export const PASSWORD = "restore-test-password-1";
export const SOURCE = "prod-us-east-1";
export const HOUR = 3_600_000;
export const KEYS = 30_000;
const RG = "aws:elasticache/replicationGroup:ReplicationGroup";

/** Virtual now is 2025-01-15T10:00:00Z; automated snapshots at 03:00 on each of the five days before, plus a manual one at 09:00. */
export function addSnapshots(h: Harness): { daily: string[]; manual: string } {
    const day0 = Date.parse("2025-01-11T03:00:00Z");
    const daily = [0, 1, 2, 3, 4].map((d) => h.aws.addSnapshot("us-east-1", { replicationGroupId: SOURCE, takenAt: day0 + d * 24 * HOUR }).name);
    const manual = h.aws.addSnapshot("us-east-1", { replicationGroupId: SOURCE, takenAt: Date.parse("2025-01-15T09:00:00Z"), source: "manual", name: "prod-us-east-1-before-release" }).name;
    h.aws.addSnapshot("us-east-1", { replicationGroupId: SOURCE, takenAt: Date.parse("2025-01-15T09:50:00Z"), source: "manual", name: "prod-us-east-1-still-running", status: "creating" });
    return { daily, manual };
}

/**
 * What the provider does during `up` for a new generation, against the fake control plane: the
 * founding group created from its snapshot, then the datastore around it, then each joining member,
 * each awaited until available (failing on create-failed) before the next, as the provider's
 * dependency order and waits make it. Only generations the fake lacks are created, and only the
 * members the program declares: a founder-only generation gets its founder and datastore.
 */
export function upCreatesSeededGroups(h: Harness, afterUp?: (count: number) => void): void {
    const up = h.driver.up.bind(h.driver);
    let count = 0;
    h.driver.up = async (options) => {
        const result = await up(options);
        for (const founder of h.driver.deployedResources.filter((d) => d.type === RG && typeof d.inputs.snapshotName === "string")) {
            await createGeneration(h, founder.inputs);
        }
        afterUp?.(++count);
        return result;
    };
}

async function awaitStatus(h: Harness, what: string, status: () => string | undefined): Promise<void> {
    const settled = () => {
        h.aws.model.settle();
        return status();
    };
    while (["creating", "associating", "modifying"].includes(settled() ?? "")) {
        await h.aws.clock.sleep(30_000);
    }
    // The provider's wait (replication_group.go, waitReplicationGroupAvailable) ends on any state outside
    // its pending and target lists with StateChangeConf's "unexpected state '<s>'" error.
    if (settled() === "create-failed") {
        throw new Error(`creating ${what}: waiting for completion: unexpected state 'create-failed'`);
    }
}

async function createGeneration(h: Harness, founder: Record<string, unknown>): Promise<void> {
    const region = String(founder.region);
    const id = String(founder.replicationGroupId);
    const prefix = id.slice(0, id.length - region.length - 1);
    // The provider waits for a group in Create, and in Update only around a modification it sends
    // (replication_group.go, resourceReplicationGroupUpdate); an update that finds a group that failed
    // to create earlier (a retire unprotecting it: protection is the engine's, no provider call) creates
    // nothing and waits for nothing.
    if (h.aws.model.replicationGroup(region, id)?.status === "create-failed") {
        return;
    }
    if (!h.aws.model.replicationGroup(region, id)) {
        await new ElastiCacheClient({ region }).send(new CreateReplicationGroupCommand({
            ReplicationGroupId: id, ReplicationGroupDescription: String(founder.description), SnapshotName: String(founder.snapshotName),
            NumNodeGroups: Number(founder.numNodeGroups), ReplicasPerNodeGroup: Number(founder.replicasPerNodeGroup),
            Engine: String(founder.engine), EngineVersion: String(founder.engineVersion), CacheNodeType: String(founder.nodeType),
        }));
    }
    await awaitStatus(h, `ElastiCache Replication Group (${id})`, () => h.aws.model.replicationGroup(region, id)?.status);
    const existing = [...h.aws.model.datastores.values()].find((ds) => ds.id.endsWith(`-${prefix}`));
    const datastoreId = existing?.id ?? (await new ElastiCacheClient({ region }).send(new CreateGlobalReplicationGroupCommand({
        GlobalReplicationGroupIdSuffix: prefix, PrimaryReplicationGroupId: id,
    }))).GlobalReplicationGroup!.GlobalReplicationGroupId!;
    const datastore = () => h.aws.model.datastores.get(datastoreId);
    await awaitStatus(h, `ElastiCache Global Replication Group (${datastoreId})`, () => datastore() && h.aws.model.datastoreStatus(datastore()!));
    for (const joiner of h.driver.deployedResources.filter((d) => d.type === RG && String(d.inputs.replicationGroupId).startsWith(`${prefix}-`) && d.inputs.replicationGroupId !== id)) {
        const joinRegion = String(joiner.inputs.region);
        const joinId = String(joiner.inputs.replicationGroupId);
        if (!h.aws.model.replicationGroup(joinRegion, joinId)) {
            await new ElastiCacheClient({ region: joinRegion }).send(new CreateReplicationGroupCommand({
                ReplicationGroupId: joinId, ReplicationGroupDescription: String(joiner.inputs.description), GlobalReplicationGroupId: datastoreId,
            }));
        }
        await awaitStatus(h, `ElastiCache Replication Group (${joinId})`, () => h.aws.model.replicationGroup(joinRegion, joinId)?.status);
        await awaitStatus(h, `ElastiCache Global Replication Group (${datastoreId})`, () => h.aws.model.datastoreStatus(datastore()!));
    }
}

/**
 * A connection for seeding: pipelines of 1024 MSETs whose answers, on a busy machine, this process may
 * read seconds after they came (the client's default command timeout of 2 s failed such a seed). The
 * connections the commands under test open keep their own timeouts.
 */
export function seedingConnection(fixture: ClusterFixture): Promise<Cluster> {
    return fixture.connect({ commandTimeoutMs: 60_000 });
}

/**
 * What the last seeding left: the keys on each primary ("host:port"), marker keys not counted, and the
 * seeded keys per shard. Seeding KEYS keys costs about half a second of CPU, and most tests leave them
 * as they were; the restore's verification judges a shard by its key count and its marker.
 */
let lastSeed: { keysOnPrimary: Record<string, number>; perShard: Record<string, number> } | undefined;

/** The key count of each primary with its marker key left out, by "host:port". */
async function keysBesideMarkers(cluster: Cluster, shards: ShardInfo[]): Promise<Record<string, number> | undefined> {
    const counts: Record<string, number> = {};
    for (const shard of shards) {
        const primary = cluster.nodes("master").find((n) => n.options.host === shard.primary.host && n.options.port === shard.primary.port);
        if (!primary) {
            return undefined;
        }
        const [keys, marker] = await Promise.all([primary.dbsize(), primary.exists(markerKey(shard))]);
        counts[`${shard.primary.host}:${shard.primary.port}`] = keys - marker;
    }
    return counts;
}

/**
 * Seeds the local cluster with KEYS keys and tells CloudWatch each shard of the source (default
 * prod-us-east-1 in us-east-1) held its share at snapshot time. When every primary still holds exactly
 * what the last seeding left (a test that flushed a shard, or wrote or deleted keys, changes a count),
 * the keys are not written again.
 */
export async function seedRestoredData(h: Harness, cluster: Cluster, source: { region: string; replicationGroupId: string } = { region: "us-east-1", replicationGroupId: SOURCE }): Promise<void> {
    const shards = await readShards(cluster);
    const before = lastSeed && await keysBesideMarkers(cluster, shards);
    let perShard: Record<string, number>;
    if (lastSeed && before && Object.keys(before).length === Object.keys(lastSeed.keysOnPrimary).length &&
        Object.entries(before).every(([node, keys]) => lastSeed!.keysOnPrimary[node] === keys)) {
        perShard = lastSeed.perShard;
    } else {
        lastSeed = undefined;
        await cluster.flushall();
        perShard = (await seedKeys(cluster, { count: KEYS })).perShard;
        const after = await keysBesideMarkers(cluster, shards);
        lastSeed = after && { keysOnPrimary: after, perShard };
    }
    // Source node group 000k is the k-th shard by slot order, as the restore keeps the slot layout.
    h.aws.setItems(source.region, source.replicationGroupId, (_at, shardId) => perShard[shards[Number(shardId) - 1].id]);
}

export async function restoreHarness(fixture: ClusterFixture, opts: { password?: string; connect?: () => Promise<Cluster> } = {},
    harnessOptions: HarnessOptions = {}): Promise<Harness> {
    const h = await harness({
        ...harnessOptions,
        connectDataPlane: opts.connect ?? (async () => fixture.connect()),
        env: { REDIS_PASSWORD: opts.password ?? PASSWORD },
    });
    upCreatesSeededGroups(h);
    return h;
}

export { writeMarkers };
