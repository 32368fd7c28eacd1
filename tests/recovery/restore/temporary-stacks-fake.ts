/**
 * Test-only: temporary stacks against the control-plane fake. `up` creates the restore target through
 * the SDK's CreateReplicationGroup (as the provider would) and, like the provider, returns only once
 * AWS reports it available or create-failed, sleeping on the virtual clock; `destroy` deletes it.
 * The endpoint it returns is a name only: tests route the data plane to a local cluster.
 * The provider's wait: terraform-provider-aws internal/service/elasticache/replication_group.go,
 * waitReplicationGroupAvailable (pending creating/modifying/snapshotting, target available; any other
 * state such as create-failed ends the wait with an error). The 30 s poll is the fake's.
 */
import { DeleteReplicationGroupCommand, DescribeReplicationGroupsCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { FakeAws } from "../fake";
import { RestoreTarget } from "../../../recovery/lib/backup-drill/restore-target";
import { TemporaryStack, TemporaryStacks } from "../../../recovery/lib/backup-drill/temporary-stack";

export class FakeTemporaryStacks implements TemporaryStacks {
    readonly created: { name: string; target: RestoreTarget; destroyed: boolean; removed: boolean }[] = [];

    constructor(private readonly aws: FakeAws) {}

    async create(name: string, target: RestoreTarget): Promise<TemporaryStack> {
        const record = { name, target, destroyed: false, removed: false };
        this.created.push(record);
        const client = new ElastiCacheClient({ region: target.region });
        const aws = this.aws;
        return {
            name,
            async up() {
                await aws.createReplicationGroup(target.region, {
                    ReplicationGroupId: target.replicationGroupId, ReplicationGroupDescription: "backup drill", SnapshotName: target.snapshotName,
                    NumNodeGroups: target.shards, ReplicasPerNodeGroup: 0, Engine: target.engine, EngineVersion: target.engineVersion, CacheNodeType: target.nodeType,
                });
                for (;;) {
                    const status = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: target.replicationGroupId }))).ReplicationGroups?.[0]?.Status;
                    if (status === "available") {
                        return { configurationEndpoint: `${target.replicationGroupId}.fake.cache.amazonaws.com`, port: target.port };
                    }
                    if (status === "create-failed") {
                        throw new Error(`creating replication group ${target.replicationGroupId}: create-failed`);
                    }
                    await aws.clock.sleep(30_000);
                }
            },
            async destroy() {
                if (aws.model.replicationGroup(target.region, target.replicationGroupId)) {
                    await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: target.replicationGroupId }));
                }
                record.destroyed = true;
            },
            async remove() {
                record.removed = true;
            },
        };
    }
}
