/**
 * Test-only: a restore scenario. The fake control plane holds the stack's snapshots and CloudWatch
 * CurrItems; the fake stack's `up` creates, in the fake control plane, the replication groups it
 * declares from a snapshot (as the provider's CreateReplicationGroup would); the data plane is a real
 * local Redis cluster standing in for the new generation, seeded with known keys and markers.
 */
import { CreateReplicationGroupCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import type { Cluster } from "ioredis";
import { writeMarkers } from "../../../recovery/dataplane/marker";
import { readShards } from "../../../recovery/dataplane/slots";
import { seedKeys } from "../../../recovery/local/seed";
import { ClusterFixture } from "../../dataplane/local-cluster-fixture";
import { Harness, harness } from "../commands/harness";

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
 * Every replication group `up` declares from a snapshot and the fake control plane lacks is created
 * there, and `up` returns only once AWS reports it available, failing on create-failed, as the
 * provider does. (The datastore and the secondaries the real `up` also creates are not simulated.)
 */
export function upCreatesSeededGroups(h: Harness, afterUp?: (count: number) => void): void {
    const up = h.driver.up.bind(h.driver);
    let count = 0;
    h.driver.up = async (options) => {
        const result = await up(options);
        for (const r of h.driver.deployedResources.filter((d) => d.type === RG && typeof d.inputs.snapshotName === "string")) {
            const region = String(r.inputs.region);
            const id = String(r.inputs.replicationGroupId);
            if (!h.aws.model.replicationGroup(region, id)) {
                await new ElastiCacheClient({ region }).send(new CreateReplicationGroupCommand({
                    ReplicationGroupId: id, ReplicationGroupDescription: String(r.inputs.description), SnapshotName: String(r.inputs.snapshotName),
                    NumNodeGroups: Number(r.inputs.numNodeGroups), ReplicasPerNodeGroup: Number(r.inputs.replicasPerNodeGroup),
                    Engine: String(r.inputs.engine), EngineVersion: String(r.inputs.engineVersion), CacheNodeType: String(r.inputs.nodeType),
                }));
            }
            const status = () => {
                h.aws.model.settle();
                return h.aws.model.replicationGroup(region, id)?.status;
            };
            while (status() === "creating") {
                await h.aws.clock.sleep(30_000);
            }
            if (status() === "create-failed") {
                throw new Error(`creating ElastiCache Replication Group (${id}): waiting for completion: unexpected state 'create-failed'`);
            }
        }
        afterUp?.(++count);
        return result;
    };
}

/** Seeds the local cluster with KEYS keys and tells CloudWatch each shard of the source held its share at snapshot time. */
export async function seedRestoredData(h: Harness, cluster: Cluster): Promise<void> {
    await cluster.flushall();
    const seeded = await seedKeys(cluster, { count: KEYS });
    const shards = await readShards(cluster);
    // Source node group 000k is the k-th shard by slot order, as the restore keeps the slot layout.
    h.aws.setItems("us-east-1", SOURCE, (_at, shardId) => seeded.perShard[shards[Number(shardId) - 1].id]);
}

export async function restoreHarness(fixture: ClusterFixture, opts: { password?: string } = {}): Promise<Harness> {
    const h = await harness({
        connectDataPlane: async () => fixture.connect(),
        env: { REDIS_PASSWORD: opts.password ?? PASSWORD },
    });
    upCreatesSeededGroups(h);
    return h;
}

export { writeMarkers };
