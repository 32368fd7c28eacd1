/**
 * Model -> SDK output shapes, typed with the SDK's own interfaces so a field the SDK does not have
 * cannot slip in. Test-only.
 */
import { Event, GlobalReplicationGroup, NodeGroup, ReplicationGroup, Snapshot } from "@aws-sdk/client-elasticache";
import { FakeDatastore, FakeEvent, FakeModel, FakeReplicationGroup, FakeSnapshot } from "./model";

const FAKE_ACCOUNT_ID = "123456789012";

function regionCode(region: string): string {
    const [area, direction, number] = region.split("-");
    return `${area}${direction.replace(/^(north|south)?(east|west|central)$/, (_, ns?: string, ew?: string) => (ns ? ns[0] : "") + ew![0])}${number}`;
}

function endpoint(rg: FakeReplicationGroup, host: string) {
    return { Address: `${host}.${rg.id}.fake01.${regionCode(rg.region)}.cache.amazonaws.com`, Port: rg.port };
}

/**
 * Cluster-mode-enabled groups report neither per-shard endpoints nor each node's CurrentRole; only
 * cluster-mode-disabled groups do (as AWS answers, to our knowledge). Code under test must find shard
 * primaries another way (events, or the node cluster ids), so the fake does not hand them out.
 */
function nodeGroupShape(rg: FakeReplicationGroup, clusterEnabled: boolean): NodeGroup[] {
    return rg.nodeGroups.map((group) => ({
        NodeGroupId: group.id,
        Status: group.status,
        Slots: clusterEnabled ? group.slots : undefined,
        PrimaryEndpoint: clusterEnabled ? undefined : endpoint(rg, "master"),
        ReaderEndpoint: clusterEnabled ? undefined : endpoint(rg, "replica"),
        NodeGroupMembers: group.nodes.map((node) => ({
            CacheClusterId: node.cacheClusterId,
            CacheNodeId: node.cacheNodeId,
            PreferredAvailabilityZone: node.availabilityZone,
            CurrentRole: clusterEnabled ? undefined : node.role,
        })),
    }));
}

export function replicationGroupShape(rg: FakeReplicationGroup): ReplicationGroup {
    const clusterEnabled = rg.clusterMode !== "disabled";
    const multiNode = rg.nodeGroups.every((g) => g.nodes.length > 1);
    return {
        ReplicationGroupId: rg.id,
        Description: `Replication group ${rg.id}`,
        GlobalReplicationGroupInfo: rg.global
            ? { GlobalReplicationGroupId: rg.global.datastoreId, GlobalReplicationGroupMemberRole: rg.global.role }
            : undefined,
        Status: rg.status,
        PendingModifiedValues: {},
        MemberClusters: rg.nodeGroups.flatMap((g) => g.nodes.map((n) => n.cacheClusterId)),
        NodeGroups: nodeGroupShape(rg, clusterEnabled),
        AutomaticFailover: multiNode ? "enabled" : "disabled",
        MultiAZ: multiNode ? "enabled" : "disabled",
        ConfigurationEndpoint: clusterEnabled ? endpoint(rg, "clustercfg") : undefined,
        ClusterEnabled: clusterEnabled,
        ClusterMode: rg.clusterMode,
        CacheNodeType: rg.nodeType,
        Engine: rg.engine,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        ARN: `arn:aws:elasticache:${rg.region}:${FAKE_ACCOUNT_ID}:replicationgroup:${rg.id}`,
        ReplicationGroupCreateTime: new Date(rg.createdAt),
    };
}

export function datastoreShape(model: FakeModel, ds: FakeDatastore, showMembers: boolean): GlobalReplicationGroup {
    return {
        GlobalReplicationGroupId: ds.id,
        GlobalReplicationGroupDescription: ds.description,
        Status: model.datastoreStatus(ds),
        CacheNodeType: ds.nodeType,
        Engine: ds.engine,
        EngineVersion: ds.engineVersion,
        ClusterEnabled: ds.clusterEnabled,
        // Members are listed only when asked for with ShowMemberInfo, as AWS does.
        Members: showMembers
            ? ds.members.map((m) => ({
                ReplicationGroupId: m.replicationGroupId,
                ReplicationGroupRegion: m.region,
                Role: m.role,
                Status: m.status,
                AutomaticFailover: "enabled" as const,
            }))
            : undefined,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        ARN: `arn:aws:elasticache::${FAKE_ACCOUNT_ID}:globalreplicationgroup:${ds.id}`,
    };
}

export function eventShape(event: FakeEvent): Event {
    return { SourceIdentifier: event.sourceIdentifier, SourceType: event.sourceType, Message: event.message, Date: new Date(event.at) };
}

/** A manual snapshot; SnapshotCreateTime, the recovery point, is on each node snapshot as AWS reports it. */
export function snapshotShape(snapshot: FakeSnapshot): Snapshot {
    return {
        SnapshotName: snapshot.name,
        ReplicationGroupId: snapshot.replicationGroupId,
        SnapshotStatus: snapshot.status,
        SnapshotSource: "manual",
        NodeSnapshots: [{ SnapshotCreateTime: new Date(snapshot.createdAt) }],
    };
}
