/**
 * What a snapshot as DescribeSnapshots reports it says about itself: when each shard's data was
 * captured, its recovery point, whether it was taken in cluster mode and of how many shards, in words
 * an operator reads. Pure.
 */
import { Snapshot } from "@aws-sdk/client-elasticache";

/** A node group's part of a snapshot, with its capture time when AWS reports one. */
export interface NodeSnapshotTime {
    /** "0001", ...; the position (1-based, 4 digits) when AWS names no node group. */
    nodeGroupId: string;
    /** SnapshotCreateTime in epoch ms; undefined while that node group has not been captured. */
    at?: number;
}

export function nodeSnapshotTimes(snapshot: Snapshot): NodeSnapshotTime[] {
    return (snapshot.NodeSnapshots ?? []).map((n, i) => ({
        nodeGroupId: n.NodeGroupId ?? String(i + 1).padStart(4, "0"),
        ...(n.SnapshotCreateTime ? { at: n.SnapshotCreateTime.getTime() } : {}),
    }));
}

/**
 * The recovery point: the latest node group capture time. Writes after it are not in the snapshot for
 * that shard; writes before the earliest one are in every shard. Undefined until every node group has
 * a time.
 */
export function recoveryPointOf(snapshot: Snapshot): number | undefined {
    const times = nodeSnapshotTimes(snapshot);
    if (times.length === 0 || times.some((t) => t.at === undefined)) {
        return undefined;
    }
    return Math.max(...times.map((t) => t.at!));
}

/**
 * Whether the snapshot was taken in cluster mode. DescribeSnapshots has no cluster-mode field: it shows
 * in more than one node group, in the `.cluster.on` default parameter group, or in hash slots on the
 * node group configuration (reported with ShowNodeGroupConfig). "unknown" when none of them says.
 */
export function clusterModeOf(snapshot: Snapshot): "enabled" | "disabled" | "unknown" {
    const slots = (snapshot.NodeSnapshots ?? []).some((n) => n.NodeGroupConfiguration?.Slots);
    if ((snapshot.NumNodeGroups ?? 0) > 1 || slots || /\.cluster\.on$/.test(snapshot.CacheParameterGroupName ?? "")) {
        return "enabled";
    }
    return snapshot.CacheParameterGroupName ? "disabled" : "unknown";
}

/** Shards in the snapshot: NumNodeGroups, else the number of node groups its node snapshots name. */
export function shardCountOf(snapshot: Snapshot): number | undefined {
    if (snapshot.NumNodeGroups !== undefined) {
        return snapshot.NumNodeGroups;
    }
    const ids = new Set((snapshot.NodeSnapshots ?? []).flatMap((n) => (n.NodeGroupId ? [n.NodeGroupId] : [])));
    return ids.size > 0 ? ids.size : undefined;
}

/** An instant as operators read it in messages: ISO 8601 UTC, milliseconds only when there are some. */
export function formatInstant(ms: number): string {
    return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** "taken 2025-01-15T14:05:00Z" or "taken 14:05:00Z..14:05:14Z" across its node groups, or why no time is known. */
export function describeTaken(snapshot: Snapshot): string {
    const times = nodeSnapshotTimes(snapshot);
    const known = times.flatMap((t) => (t.at !== undefined ? [t.at] : []));
    if (known.length === 0) {
        return "no node group captured yet";
    }
    const [from, to] = [Math.min(...known), Math.max(...known)];
    const range = from === to ? formatInstant(from) : `${formatInstant(from)} to ${formatInstant(to)}`;
    return `taken ${range}${known.length < times.length ? ` (${times.length - known.length} of ${times.length} node groups not captured yet)` : ""}`;
}
