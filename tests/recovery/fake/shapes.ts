/**
 * Model -> SDK output shapes, typed with the SDK's own interfaces so a field the SDK does not have
 * cannot slip in. Test-only.
 */
import { Event, GlobalReplicationGroup, NodeGroup, ReplicationGroup, Snapshot } from "@aws-sdk/client-elasticache";
import { clusterParameterGroup, parseVersion } from "../../../components/config/engine";
import { FakeDatastore, FakeEvent, FakeModel, FakeReplicationGroup, FakeSnapshot, FakeSnapshotShape } from "./model";

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
 * cluster-mode-disabled groups do (an assumption, from how AWS answers to our knowledge: the API
 * reference's NodeGroupMember.CurrentRole does not say). Code under test must find shard primaries
 * another way (events, or the node cluster ids), so the fake does not hand them out.
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
        // API Reference, DescribeGlobalReplicationGroups: ShowMemberInfo "Returns the list of members that comprise the Global datastore."
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

/**
 * A snapshot as DescribeSnapshots reports one of a cluster-mode-enabled group: the group's shape, and
 * per node group its size and SnapshotCreateTime (the recovery point of that shard's data), the time
 * only once that node group's data has been captured. NodeGroupConfiguration (slots, replicas, zones)
 * only when asked for with ShowNodeGroupConfig (API Reference, DescribeSnapshots: "if true, the node group (shard) configuration is included").
 */
export function snapshotShape(snapshot: FakeSnapshot, now: number, showNodeGroupConfig = false): Snapshot {
    const shape = snapshot.shape;
    return {
        SnapshotName: snapshot.name,
        ReplicationGroupId: snapshot.replicationGroupId,
        ReplicationGroupDescription: `Replication group ${snapshot.replicationGroupId}`,
        SnapshotStatus: snapshot.status,
        SnapshotSource: snapshot.source ?? "manual",
        ...(shape ? {
            CacheNodeType: shape.nodeType,
            Engine: shape.engine,
            EngineVersion: shape.engineVersion,
            NumNodeGroups: shape.numNodeGroups,
            AutomaticFailover: shape.automaticFailover ? "enabled" as const : "disabled" as const,
            CacheParameterGroupName: parameterGroupOf(shape),
            Port: shape.port,
            DataTiering: shape.dataTiering ? "enabled" as const : "disabled" as const,
        } : {}),
        NodeSnapshots: snapshot.nodeSnapshots
            ? snapshot.nodeSnapshots.map((n) => ({
                NodeGroupId: n.nodeGroupId,
                CacheSize: `${n.cacheSizeMb} MB`,
                SnapshotCreateTime: n.takenAt <= now ? new Date(n.takenAt) : undefined,
                NodeGroupConfiguration: showNodeGroupConfig ? {
                    NodeGroupId: n.nodeGroupId, Slots: n.slots, ReplicaCount: n.replicaCount,
                    PrimaryAvailabilityZone: n.primaryAvailabilityZone, ReplicaAvailabilityZones: n.replicaAvailabilityZones,
                } : undefined,
            }))
            : [{ SnapshotCreateTime: new Date(snapshot.createdAt) }],
        ARN: `arn:aws:elasticache:${snapshot.region}:${FAKE_ACCOUNT_ID}:snapshot:${snapshot.name}`,
    };
}

/** The default parameter group the group ran with: cluster mode shows as `.cluster.on` in its name. */
function parameterGroupOf(shape: FakeSnapshotShape): string {
    const version = parseVersion(shape.engineVersion);
    const engine = shape.engine === "redis" || shape.engine === "valkey" ? shape.engine : undefined;
    if (!version || !engine) {
        return `default.${shape.engine}`;
    }
    const clustered = clusterParameterGroup(engine, shape.engineVersion);
    return shape.clusterMode === "disabled" ? clustered.replace(/\.cluster\.on$/, "") : clustered;
}
