/**
 * One shard as the control plane shows it, and whether a failover can leave it with a primary in a
 * different availability zone. Pure checks apart from readGroup.
 *
 * AWS does not report which node of a cluster-mode shard is primary (NodeGroupMember.CurrentRole is
 * for cluster mode disabled only); the latest failover event names it when there is one. When it is
 * unknown, every node could be the primary, so every node must have a healthy replica in another AZ.
 */
import { DescribeReplicationGroupsCommand, ReplicationGroup } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { AwsCallError, callAws } from "../errors";
import { FailoverEvent } from "./events";

export interface ShardNode {
    /** The node's cache cluster id (<group>-<shard>-<node>). */
    cacheClusterId: string;
    availabilityZone?: string;
}

export interface ShardState {
    nodeGroupId: string;
    status: string;
    /** "start-end[,start-end]" as AWS reports it; undefined when not reported. */
    slots?: string;
    nodes: ShardNode[];
}

export interface GroupState {
    replicationGroupId: string;
    region: string;
    status: string;
    clusterMode?: string;
    automaticFailover?: string;
    multiAz?: string;
    configurationEndpoint?: { host: string; port: number };
    shards: ShardState[];
}

/** The replication group as its region reports it; undefined when AWS does not know it. */
export async function readGroup(clients: RegionClients, region: string, replicationGroupId: string, signal?: AbortSignal): Promise<GroupState | undefined> {
    let group: ReplicationGroup | undefined;
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeReplicationGroups" },
            () => clients.elastiCache(region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }), { abortSignal: signal }));
        group = answer.ReplicationGroups?.[0];
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return undefined;
        }
        throw e;
    }
    if (!group) {
        return undefined;
    }
    const endpoint = group.ConfigurationEndpoint;
    return {
        replicationGroupId, region,
        status: group.Status ?? "unknown",
        clusterMode: group.ClusterMode,
        automaticFailover: group.AutomaticFailover,
        multiAz: group.MultiAZ,
        configurationEndpoint: endpoint?.Address && endpoint.Port !== undefined ? { host: endpoint.Address, port: endpoint.Port } : undefined,
        shards: (group.NodeGroups ?? []).map((g) => ({
            nodeGroupId: g.NodeGroupId ?? "",
            status: g.Status ?? "unknown",
            slots: g.Slots,
            nodes: (g.NodeGroupMembers ?? []).flatMap((m) => m.CacheClusterId
                ? [{ cacheClusterId: m.CacheClusterId, availabilityZone: m.PreferredAvailabilityZone }] : []),
        })),
    };
}

/** "0002-001 (us-east-1b), 0002-002 (us-east-1c)": nodes with their AZ, short enough to read. */
export function describeNodes(nodes: readonly ShardNode[]): string {
    return nodes.map((n) => `${n.cacheClusterId} (${n.availabilityZone ?? "AZ unknown"})`).join(", ") || "no nodes";
}

/**
 * Nodes whose replacement has started and not finished: a "Recovering cache nodes" event on the node
 * with no "Finished recovery" after it. Such a node is not a replica a failover can rely on.
 */
export function nodesInRecovery(events: readonly FailoverEvent[]): Set<string> {
    const open = new Map<string, number>();
    for (const e of events) {
        if (e.kind === "recovering") {
            open.set(e.source, e.at);
        } else if (e.kind === "recovered" && (open.get(e.source) ?? Infinity) <= e.at) {
            open.delete(e.source);
        }
    }
    return new Set(open.keys());
}

/** The primary the newest failover event names, when one of the shard's nodes is named. */
export function knownPrimary(events: readonly FailoverEvent[], nodes: readonly ShardNode[]): { node: ShardNode; event: FailoverEvent } | undefined {
    const promoted = events.filter((e) => e.kind === "promoted");
    const latest = promoted[promoted.length - 1];
    const node = latest && nodes.find((n) => n.cacheClusterId === latest.to);
    return node && latest ? { node, event: latest } : undefined;
}

export type ReplicaVerdict =
    | { ok: true; detail: string }
    | { ok: false; reason: string };

/**
 * Whether the shard has a healthy replica in an AZ other than its primary's. `primary` when known;
 * otherwise every node is taken in turn as the possible primary. `unhealthy`: nodes a failover must
 * not count on.
 */
export function crossAzReplica(shard: ShardState, unhealthy: ReadonlySet<string>, primary?: ShardNode): ReplicaVerdict {
    const where = `shard ${shard.nodeGroupId} has ${describeNodes(shard.nodes)}`;
    if (shard.nodes.length < 2) {
        return { ok: false, reason: `${where}: no replica to fail over to` };
    }
    const healthyElsewhere = (p: ShardNode) => shard.nodes.filter((n) => n.cacheClusterId !== p.cacheClusterId && !unhealthy.has(n.cacheClusterId) &&
        n.availabilityZone !== undefined && n.availabilityZone !== p.availabilityZone);
    const candidates = primary ? [primary] : shard.nodes;
    const stranded = candidates.filter((p) => healthyElsewhere(p).length === 0);
    const recovering = [...unhealthy].filter((id) => shard.nodes.some((n) => n.cacheClusterId === id));
    const note = recovering.length ? `; still being replaced (not counted): ${recovering.join(", ")}` : "";
    if (stranded.length === 0) {
        const p = candidates[0];
        return {
            ok: true,
            detail: primary
                ? `primary ${p.cacheClusterId} in ${p.availabilityZone}; healthy replica(s) in another AZ: ${describeNodes(healthyElsewhere(p))}${note}`
                : `${where}: whichever is primary, a healthy replica is in another AZ${note}`,
        };
    }
    const sameAz = shard.nodes.every((n) => n.availabilityZone === shard.nodes[0].availabilityZone);
    const why = sameAz ? `every node is in ${shard.nodes[0].availabilityZone ?? "an unknown AZ"}` : primary
        ? `primary ${primary.cacheClusterId} (${primary.availabilityZone}) has no healthy replica in another AZ`
        : `the primary is not known (no failover event names it) and ${stranded.map((p) => p.cacheClusterId).join(", ")} would have no healthy replica in another AZ`;
    return { ok: false, reason: `${where}: ${why}${note}` };
}

/**
 * The middle slot of the first range of "start-end[,start-end]", or undefined when AWS reported none.
 * The data plane names shards by the slots they own; the middle of a range still falls in the same
 * shard when the two views split the slots a few apart (a local stand-in cluster, a rebalance).
 */
export function middleSlot(slots: string | undefined): number | undefined {
    const match = /^\s*(\d+)(?:-(\d+))?/.exec(slots ?? "");
    return match ? Math.floor((Number(match[1]) + Number(match[2] ?? match[1])) / 2) : undefined;
}
