/**
 * The in-memory state behind the fake ElastiCache control plane: replication groups per region,
 * Global Datastores, events, role history (for metrics) and the transitions that move statuses on
 * with virtual time. Test-only.
 *
 * Transitions are applied lazily: every handler calls `settle()` first, which applies every
 * transition whose instant has passed, in time order. So a status observed at time t is exactly
 * what it would be at t, however the clock got there (sleeps or `advance`).
 */
import { Clock } from "../../../recovery/lib/clock";

/** API Reference, ReplicationGroup.Status: "creating, available, modifying, deleting, create-failed, snapshotting". */
export type ReplicationGroupStatus = "creating" | "available" | "modifying" | "deleting" | "create-failed" | "snapshotting";
/** The provider's status constants (terraform-provider-aws global_replication_group.go); the API reference lists none. */
export type DatastoreStatus = "creating" | "modifying" | "available" | "primary-only" | "deleting";
export type MemberRole = "PRIMARY" | "SECONDARY";
/** "associated" is the provider's constant; the other two are assumptions. */
export type MemberStatus = "associated" | "associating" | "disassociating";
export type ClusterMode = "enabled" | "disabled" | "compatible";
export type EventSourceType = "replication-group" | "cache-cluster";

export interface FakeNode {
    /** The node's cache cluster id, `<rg>-<shard 4 digits>-<node 3 digits>` (naming.ts memberClusterId). */
    cacheClusterId: string;
    /** ElastiCache numbers the single node of each member cluster "0001". */
    cacheNodeId: string;
    availabilityZone: string;
    role: "primary" | "replica";
}

export interface FakeNodeGroup {
    /** "0001", "0002", ... (naming.ts shardId). */
    id: string;
    status: "available" | "modifying";
    slots: string;
    nodes: FakeNode[];
}

export interface FakeReplicationGroup {
    id: string;
    region: string;
    status: ReplicationGroupStatus;
    clusterMode: ClusterMode;
    engine: string;
    engineVersion: string;
    nodeType: string;
    port: number;
    nodeGroups: FakeNodeGroup[];
    global?: { datastoreId: string; role: MemberRole };
    createdAt: number;
    /** Role in a datastore over time; "standalone" when in none. Drives which metrics exist when. */
    roleHistory: { at: number; role: MemberRole | "standalone" }[];
    /** The snapshot the group was created from (CreateReplicationGroup with SnapshotName), if any. */
    restoredFrom?: string;
}

export interface FakeMember {
    replicationGroupId: string;
    region: string;
    role: MemberRole;
    status: MemberStatus;
}

export interface FakeDatastore {
    id: string;
    description: string;
    /** Set while creating or deleting; otherwise the status is derived from operations and members. */
    lifecycle?: "creating" | "deleting";
    /** Operations in progress (ours or someone else's); the datastore is `modifying` while any runs. */
    operations: Set<string>;
    engine: string;
    engineVersion: string;
    nodeType: string;
    clusterEnabled: boolean;
    members: FakeMember[];
}

export interface FakeEvent {
    region: string;
    sourceType: EventSourceType;
    sourceIdentifier: string;
    message: string;
    at: number;
}

/**
 * Cross-region replication lag of one secondary, in seconds, at virtual instant `atMs`, for one
 * shard. Returning undefined means no datapoint (the metric was not published then).
 */
export type LagFunction = (atMs: number, shardId: string) => number | undefined;

/** Lag when a test sets none: steady and healthy, well under a second. */
export const DEFAULT_LAG: LagFunction = () => 0.4;

/**
 * Write commands clients sent to node `cacheClusterId` in the minute that starts at virtual instant
 * `minuteMs`. Only a shard's primary accepts them: the value asked for a replica is ignored, and each
 * replica runs its primary's writes again as they replicate. Default: none. Published as CloudWatch
 * AWS/ElastiCache SetTypeCmds per node while the node's region publishes metrics.
 */
export type WriteFunction = (minuteMs: number, cacheClusterId: string) => number;

/**
 * Keys of a shard that expire on its primary in the minute that starts at `minuteMs`. Expiry runs no
 * command on the primary, but the primary replicates a DEL per key, which each replica runs (and
 * counts in SetTypeCmds), as the engine's replication works. Default: none.
 */
export type ExpiryFunction = (minuteMs: number, shardId: string) => number;

/** One SSM parameter in one region (String parameters only; the fake keeps no history). */
export interface FakeParameter {
    region: string;
    name: string;
    value: string;
    type: string;
    version: number;
    lastModified: number;
}

/**
 * API Reference, Snapshot.SnapshotStatus: "creating | available | restoring | copying | deleting".
 * The snapshotFails fault ends in "failed", outside that list (an assumption: the ElastiCache event
 * ElastiCache:SnapshotFailed exists, what DescribeSnapshots then shows is not in the API reference), so
 * code under test must treat every status but available as unusable rather than match on the documented ones.
 */
export type FakeSnapshotStatus = "creating" | "available" | "restoring" | "failed" | "deleting";

/** One node group's part of a snapshot (a NodeSnapshots entry of a cluster-mode-enabled snapshot). */
export interface FakeNodeSnapshot {
    nodeGroupId: string;
    /** When this node group's data was captured (SnapshotCreateTime); reported once that instant has passed. */
    takenAt: number;
    cacheSizeMb: number;
    slots: string;
    replicaCount: number;
    primaryAvailabilityZone: string;
    replicaAvailabilityZones: string[];
}

/** The shape of the group a snapshot was taken of, as DescribeSnapshots reports it. */
export interface FakeSnapshotShape {
    engine: string;
    engineVersion: string;
    nodeType: string;
    clusterMode: ClusterMode;
    numNodeGroups: number;
    automaticFailover: boolean;
    dataTiering: boolean;
    port: number;
}

/**
 * A snapshot: automated, manual (CreateSnapshot) or final (DeleteReplicationGroup). `source`, `shape`,
 * `nodeSnapshots` and `tags` are optional because tests written before node snapshots existed put
 * snapshots in the map with the first five fields only; such a snapshot reads as manual, with one node
 * snapshot taken at `createdAt` and no shape. Everything the fake creates itself sets them all.
 */
export interface FakeSnapshot {
    region: string;
    name: string;
    replicationGroupId: string;
    status: FakeSnapshotStatus;
    /** When the snapshot was asked for (virtual epoch ms). */
    createdAt: number;
    /** Default "manual". */
    source?: "automated" | "manual";
    shape?: FakeSnapshotShape;
    nodeSnapshots?: FakeNodeSnapshot[];
    tags?: Record<string, string>;
}

/** A TestFailover's promotion: which shard, and the cache cluster ids of the old and the new primary. */
export interface ShardPromotion {
    region: string;
    replicationGroupId: string;
    nodeGroupId: string;
    from: string;
    to: string;
    at: number;
}

interface Transition {
    at: number;
    seq: number;
    label: string;
    apply: () => void;
}

export class FakeModel {
    readonly replicationGroups = new Map<string, FakeReplicationGroup>();
    readonly datastores = new Map<string, FakeDatastore>();
    readonly events: FakeEvent[] = [];
    /** TestFailover calls per region, as instants, for the rolling 24 h quota. */
    readonly testFailoverCalls = new Map<string, number[]>();
    /** Replication groups with a TestFailover node replacement still running. */
    readonly testFailoverRunning = new Set<string>();
    /**
     * Told when a TestFailover promotes a replica, as the transition is applied; lets a test fail the
     * matching shard of a real local cluster over too. Default: none.
     */
    onShardPromoted?: (promotion: ShardPromotion) => void;
    /** Replication lag per replication group (key: FakeModel.key); DEFAULT_LAG when unset. */
    readonly replicationLag = new Map<string, LagFunction>();
    /** Client write commands per replication group (key: FakeModel.key); none when unset. */
    readonly writes = new Map<string, WriteFunction>();
    /** Keys expiring per shard per minute, per replication group (key: FakeModel.key); none when unset. */
    readonly expiries = new Map<string, ExpiryFunction>();
    /** Keys per shard over time (key: FakeModel.key(region, rgId)); CloudWatch CurrItems. */
    readonly items = new Map<string, (atMs: number, shardId: string) => number>();
    /** SSM parameters (key: FakeModel.key(region, name)). */
    readonly parameters = new Map<string, FakeParameter>();
    /** Snapshots (key: FakeModel.key(region, name)). */
    readonly snapshots = new Map<string, FakeSnapshot>();
    private transitions: Transition[] = [];
    private applyingAt: number | undefined;
    private nextSeq = 0;

    constructor(readonly clock: Clock) {}

    static key(region: string, replicationGroupId: string): string {
        return `${region}/${replicationGroupId}`;
    }

    /**
     * The model's time: while a transition is applied, the instant it was due (it may be applied
     * later, at the next call), so its events and role changes carry the right time.
     */
    now(): number {
        return this.applyingAt ?? this.clock.now();
    }

    /** Applies every transition due by now, in time order (ties in scheduling order). */
    settle(): void {
        const now = this.clock.now();
        for (;;) {
            const next = this.transitions[0];
            if (!next || next.at > now) {
                return;
            }
            this.transitions.shift();
            this.applyingAt = next.at;
            try {
                next.apply();
            } finally {
                this.applyingAt = undefined;
            }
        }
    }

    /** Runs `apply` at `at` (virtual ms). `Infinity` never runs: an operation that never finishes. */
    schedule(at: number, label: string, apply: () => void): void {
        if (!Number.isFinite(at)) {
            return;
        }
        this.transitions.push({ at, seq: this.nextSeq++, label, apply });
        this.transitions.sort((a, b) => a.at - b.at || a.seq - b.seq);
    }

    /** Labels of transitions not applied yet, in order; lets a test see what is still in flight. */
    pendingTransitions(): string[] {
        return this.transitions.map((t) => `${new Date(t.at).toISOString()} ${t.label}`);
    }

    emit(region: string, sourceType: EventSourceType, sourceIdentifier: string, message: string, at: number = this.now()): void {
        this.events.push({ region, sourceType, sourceIdentifier, message, at });
    }

    addReplicationGroup(rg: FakeReplicationGroup): void {
        const key = FakeModel.key(rg.region, rg.id);
        if (this.replicationGroups.has(key)) {
            throw new Error(`FakeModel: replication group ${rg.id} already exists in ${rg.region}`);
        }
        this.replicationGroups.set(key, rg);
    }

    replicationGroup(region: string, id: string): FakeReplicationGroup | undefined {
        return this.replicationGroups.get(FakeModel.key(region, id));
    }

    /** Test helper: the group or a clear error naming what exists. */
    requireReplicationGroup(region: string, id: string): FakeReplicationGroup {
        const rg = this.replicationGroup(region, id);
        if (!rg) {
            const known = [...this.replicationGroups.keys()].join(", ") || "none";
            throw new Error(`FakeModel: no replication group ${id} in ${region}; known: ${known}`);
        }
        return rg;
    }

    replicationGroupsIn(region: string): FakeReplicationGroup[] {
        return [...this.replicationGroups.values()].filter((rg) => rg.region === region);
    }

    requireDatastore(id: string): FakeDatastore {
        const ds = this.datastores.get(id);
        if (!ds) {
            const known = [...this.datastores.keys()].join(", ") || "none";
            throw new Error(`FakeModel: no Global Datastore ${id}; known: ${known}`);
        }
        return ds;
    }

    /** A Global Datastore is visible through the API of each region that holds one of its members. */
    datastoresVisibleIn(region: string): FakeDatastore[] {
        return [...this.datastores.values()].filter((ds) => ds.members.some((m) => m.region === region));
    }

    datastoreStatus(ds: FakeDatastore): DatastoreStatus {
        if (ds.lifecycle) {
            return ds.lifecycle;
        }
        if (ds.operations.size > 0) {
            return "modifying";
        }
        return ds.members.some((m) => m.role === "SECONDARY") ? "available" : "primary-only";
    }

    primaryMember(ds: FakeDatastore): FakeMember | undefined {
        return ds.members.find((m) => m.role === "PRIMARY");
    }

    /** Sets a member's role in the datastore record and on its replication group, with history. */
    setRole(ds: FakeDatastore, member: FakeMember, role: MemberRole, at: number): void {
        member.role = role;
        const rg = this.requireReplicationGroup(member.region, member.replicationGroupId);
        rg.global = { datastoreId: ds.id, role };
        rg.roleHistory.push({ at, role });
    }

    /** The role a replication group had at instant `at` ("standalone" before it existed too). */
    roleAt(rg: FakeReplicationGroup, at: number): MemberRole | "standalone" {
        let role: MemberRole | "standalone" = "standalone";
        for (const entry of rg.roleHistory) {
            if (entry.at > at) {
                break;
            }
            role = entry.role;
        }
        return role;
    }

    /** Events of one region newest first (DescribeEvents order), ties in reverse emission order. */
    eventsIn(region: string): FakeEvent[] {
        return this.events
            .map((event, index) => ({ event, index }))
            .filter(({ event }) => event.region === region)
            .sort((a, b) => b.event.at - a.event.at || b.index - a.index)
            .map(({ event }) => event);
    }
}
