/**
 * Snapshots: taking one of a replication group (CreateSnapshot, and the final snapshot
 * DeleteReplicationGroup takes), seeding automated and manual ones for tests, listing them
 * (DescribeSnapshots filters), and creating a replication group from one (CreateReplicationGroup with
 * SnapshotName). Validates like AWS, then moves statuses on with virtual time. Test-only.
 *
 * Event messages are the fake's own wording; code under test should not match on them.
 */
import {
    InvalidParameterCombinationException, InvalidParameterValueException, InvalidReplicationGroupStateFault, InvalidSnapshotStateFault,
    ReplicationGroupAlreadyExistsFault, ReplicationGroupNotFoundFault, SnapshotAlreadyExistsFault, SnapshotNotFoundFault, TagQuotaPerResourceExceeded,
} from "@aws-sdk/client-elasticache";
import { parseVersion, usesDataTiering } from "../../../components/config/engine";
import type { CreateReplicationGroupArgs, Durations } from "./datastore-ops";
import { serviceError } from "./errors";
import { ClusterMode, FakeModel, FakeNodeSnapshot, FakeReplicationGroup, FakeSnapshot, FakeSnapshotShape, FakeSnapshotStatus } from "./model";
import { ShapeArgs, buildReplicationGroup, resolveShape } from "./seed";

/**
 * Shards are backed up side by side, not at one instant: node group i+1 is captured this long after
 * node group i. Each NodeSnapshot has its own SnapshotCreateTime (API Reference, NodeSnapshot); the
 * spacing is simulated.
 */
export const NODE_SNAPSHOT_SPACING_MS = 7_000;
const DEFAULT_CACHE_SIZE_MB = 512;
/**
 * ElastiCache tag limits (the ElastiCache tag pattern of CloudFormation, 50 tags per resource); the
 * fault for too many is TagQuotaPerResourceExceeded (API Reference, CreateSnapshot, Errors).
 */
const TAG_KEY = /^(?!aws:)[a-zA-Z0-9 _./=+:@-]{1,128}$/;
const TAG_VALUE = /^[a-zA-Z0-9 _./=+:@-]{0,256}$/;
const MAX_TAGS = 50;

/** API Reference, CreateSnapshot: SnapshotName "is stored as a lowercase string", so names compare without case. */
export function snapshotKey(region: string, name: string): string {
    return FakeModel.key(region, name.toLowerCase());
}

export function shapeOf(rg: FakeReplicationGroup): FakeSnapshotShape {
    return {
        engine: rg.engine, engineVersion: rg.engineVersion, nodeType: rg.nodeType, clusterMode: rg.clusterMode,
        numNodeGroups: rg.nodeGroups.length, automaticFailover: rg.nodeGroups.every((g) => g.nodes.length > 1),
        dataTiering: usesDataTiering(rg.nodeType), port: rg.port,
    };
}

/** Node group i's part of a snapshot of `rg`, captured at `times[i]`. */
function nodeSnapshotsOf(rg: FakeReplicationGroup, times: readonly number[], cacheSizeMb: number): FakeNodeSnapshot[] {
    return rg.nodeGroups.map((group, i) => ({
        nodeGroupId: group.id,
        takenAt: times[i],
        cacheSizeMb,
        slots: group.slots,
        replicaCount: group.nodes.length - 1,
        primaryAvailabilityZone: group.nodes.find((n) => n.role === "primary")?.availabilityZone ?? group.nodes[0].availabilityZone,
        replicaAvailabilityZones: group.nodes.filter((n) => n.role !== "primary").map((n) => n.availabilityZone),
    }));
}

/** Capture times of `count` node groups for a snapshot started at `start` that completes `durationMs` later. */
function staggeredTimes(start: number, count: number, durationMs: number): number[] {
    const spacing = Math.min(NODE_SNAPSHOT_SPACING_MS, durationMs / (count + 1));
    return Array.from({ length: count }, (_, i) => start + Math.round(spacing * (i + 1)));
}

export interface StartSnapshotOptions {
    source: "automated" | "manual";
    /** Creating this long; Infinity never finishes. */
    durationMs: number;
    /** End failed instead of available. Default false. */
    fails?: boolean;
    tags?: Record<string, string>;
    /** Runs when the snapshot leaves `creating`. */
    onDone?: (snapshot: FakeSnapshot) => void;
}

/**
 * Starts a snapshot of `rg` as it is now: creating, each node group captured a few seconds apart,
 * then available (or failed). The caller has checked the name is free.
 */
export function startSnapshot(model: FakeModel, rg: FakeReplicationGroup, name: string, options: StartSnapshotOptions): FakeSnapshot {
    const start = model.now();
    const snapshot: FakeSnapshot = {
        region: rg.region, name: name.toLowerCase(), replicationGroupId: rg.id, status: "creating", createdAt: start, source: options.source,
        shape: shapeOf(rg), nodeSnapshots: nodeSnapshotsOf(rg, staggeredTimes(start, rg.nodeGroups.length, options.durationMs), DEFAULT_CACHE_SIZE_MB),
        tags: options.tags ?? {},
    };
    const key = snapshotKey(rg.region, name);
    model.snapshots.set(key, snapshot);
    model.schedule(start + options.durationMs, `${rg.region}/${snapshot.name} ${options.fails ? "failed" : "available"}`, () => {
        // Deleted meanwhile (a test removed it): nothing to finish.
        if (model.snapshots.get(key) !== snapshot) {
            return;
        }
        snapshot.status = options.fails ? "failed" : "available";
        model.emit(rg.region, "replication-group", rg.id, `Snapshot ${snapshot.name} ${options.fails ? "failed" : "succeeded"}`);
        options.onDone?.(snapshot);
    });
    return snapshot;
}

/** What tests give to add a snapshot that already exists (FakeAws.addSnapshot). */
export interface SnapshotSeed {
    replicationGroupId: string;
    /** Node group 0001's SnapshotCreateTime (virtual epoch ms); node group i's is NODE_SNAPSHOT_SPACING_MS · i later. Required unless nodeSnapshotTimes is given. */
    takenAt?: number;
    /** Each node group's SnapshotCreateTime, 0001 first; gives the number of node groups unless shape.shards does (then the counts must agree). */
    nodeSnapshotTimes?: number[];
    /** Default "automated". */
    source?: "automated" | "manual";
    /** Default: automated `automatic.<group>-YYYY-MM-DD-HH-MM` (the form AWS gives them), manual `<group>-seeded-<YYYYMMDDHHMMSS>`. */
    name?: string;
    /** Default "available". */
    status?: FakeSnapshotStatus;
    /** The group's shape; default: the group's in the region when it exists there, else the seed defaults. dataTiering default: an r6gd node type. */
    shape?: ShapeArgs & { dataTiering?: boolean };
    /** Megabytes per node group. Default 512. */
    cacheSizeMb?: number;
    /** Default none. */
    tags?: Record<string, string>;
}

function shapeArgsOf(rg: FakeReplicationGroup): ShapeArgs {
    return {
        shards: rg.nodeGroups.length, replicasPerShard: rg.nodeGroups[0].nodes.length - 1, engine: rg.engine, engineVersion: rg.engineVersion,
        nodeType: rg.nodeType, clusterMode: rg.clusterMode, port: rg.port,
    };
}

function defaultName(seed: SnapshotSeed, source: "automated" | "manual", at: number): string {
    const iso = new Date(at).toISOString();
    return source === "automated"
        ? `automatic.${seed.replicationGroupId}-${iso.slice(0, 16).replace(/[T:]/g, "-")}`
        : `${seed.replicationGroupId}-seeded-${iso.slice(0, 19).replace(/[-T:]/g, "")}`;
}

/** Adds a snapshot as if AWS had taken it earlier; plain errors for a seed that contradicts itself. */
export function seedSnapshot(model: FakeModel, region: string, seed: SnapshotSeed): FakeSnapshot {
    const existing = model.replicationGroup(region, seed.replicationGroupId);
    const shardsFromTimes = seed.nodeSnapshotTimes?.length;
    const shape = resolveShape({ ...(existing ? shapeArgsOf(existing) : {}), ...(shardsFromTimes ? { shards: shardsFromTimes } : {}), ...seed.shape });
    if (shardsFromTimes !== undefined && shardsFromTimes !== shape.shards) {
        throw new Error(`FakeAws.addSnapshot: nodeSnapshotTimes lists ${shardsFromTimes} node groups, shape.shards says ${shape.shards}`);
    }
    const first = seed.nodeSnapshotTimes?.[0] ?? seed.takenAt;
    if (first === undefined || !Number.isFinite(first)) {
        throw new Error(`FakeAws.addSnapshot(${seed.replicationGroupId}): give takenAt or nodeSnapshotTimes (virtual epoch ms)`);
    }
    const times = seed.nodeSnapshotTimes ?? Array.from({ length: shape.shards }, (_, i) => first + i * NODE_SNAPSHOT_SPACING_MS);
    const source = seed.source ?? "automated";
    const name = (seed.name ?? defaultName(seed, source, first)).toLowerCase();
    if (model.snapshots.has(snapshotKey(region, name))) {
        throw new Error(`FakeAws.addSnapshot: a snapshot named ${name} already exists in ${region}`);
    }
    const template = buildReplicationGroup(seed.replicationGroupId, region, shape, Math.min(...times));
    const snapshot: FakeSnapshot = {
        region, name, replicationGroupId: seed.replicationGroupId, status: seed.status ?? "available", createdAt: Math.min(...times), source,
        shape: { ...shapeOf(template), dataTiering: seed.shape?.dataTiering ?? usesDataTiering(shape.nodeType) },
        nodeSnapshots: nodeSnapshotsOf(template, times, seed.cacheSizeMb ?? DEFAULT_CACHE_SIZE_MB),
        tags: seed.tags ?? {},
    };
    model.snapshots.set(snapshotKey(region, name), snapshot);
    return snapshot;
}

/** The filters of DescribeSnapshots the fake models. */
export interface SnapshotFilter {
    ReplicationGroupId?: string;
    SnapshotName?: string;
    /** "system" (automated) or "user" (manual); both when omitted. */
    SnapshotSource?: string;
    CacheClusterId?: string;
}

/**
 * DescribeSnapshots' selection (API Reference, DescribeSnapshots: SnapshotSource "system" automated,
 * "user" manual, both when omitted; SnapshotNotFoundFault for an unknown SnapshotName). The order
 * (creation order) is an assumption.
 */
export function findSnapshots(model: FakeModel, region: string, filter: SnapshotFilter): FakeSnapshot[] {
    if (filter.SnapshotSource !== undefined && filter.SnapshotSource !== "system" && filter.SnapshotSource !== "user") {
        throw serviceError(InvalidParameterValueException, `SnapshotSource must be system or user, got ${filter.SnapshotSource}`);
    }
    if (filter.CacheClusterId !== undefined) {
        throw serviceError(InvalidParameterValueException, "CacheClusterId: the fake models only replication-group snapshots; filter by ReplicationGroupId");
    }
    const wanted = filter.SnapshotSource === undefined ? undefined : filter.SnapshotSource === "system" ? "automated" : "manual";
    const found = [...model.snapshots.values()].filter((s) => s.region === region &&
        (filter.SnapshotName === undefined || s.name === filter.SnapshotName.toLowerCase()) &&
        (filter.ReplicationGroupId === undefined || s.replicationGroupId === filter.ReplicationGroupId) &&
        (wanted === undefined || (s.source ?? "manual") === wanted));
    if (filter.SnapshotName !== undefined && found.length === 0) {
        throw serviceError(SnapshotNotFoundFault, `SnapshotName "${filter.SnapshotName}": no snapshot with that name in ${region}`);
    }
    return found;
}

/** The outcome faults and stuck operations snapshot operations consult (FakeAws wires them to Faults). */
export interface SnapshotFaults {
    isStuck(command: string): boolean;
    snapshotFails(region: string, replicationGroupId: string): boolean;
    restoreFails(region: string, replicationGroupId: string): boolean;
}

function tagsOf(input: unknown): Record<string, string> {
    if (input === undefined) {
        return {};
    }
    if (!Array.isArray(input) || input.length > MAX_TAGS) {
        throw serviceError(TagQuotaPerResourceExceeded, `Tags: at most ${MAX_TAGS} tags per resource, got ${Array.isArray(input) ? input.length : String(input)}`);
    }
    const tags: Record<string, string> = {};
    for (const tag of input as { Key?: string; Value?: string }[]) {
        if (!TAG_KEY.test(tag.Key ?? "") || !TAG_VALUE.test(tag.Value ?? "")) {
            throw serviceError(InvalidParameterValueException, `Tags: ${JSON.stringify(tag)} is not a valid tag (key 1-128, value 0-256 of letters, digits, spaces and _ . / = + : @ -; no aws: key)`);
        }
        tags[tag.Key!] = tag.Value ?? "";
    }
    return tags;
}

/** True when `version` is older than `than`, compared to the precision of `version` ("8.0" means any 8.0.x). */
function olderThan(version: string, than: string): boolean {
    const a = parseVersion(version);
    const b = parseVersion(than);
    if (!a || !b) {
        throw serviceError(InvalidParameterValueException, `EngineVersion "${version}" cannot be compared with the snapshot's ${than}`);
    }
    const parts = version.split(".").length;
    for (let i = 0; i < parts; i++) {
        if (a[i] !== b[i]) {
            return a[i] < b[i];
        }
    }
    return false;
}

export class SnapshotOperations {
    constructor(private readonly model: FakeModel, private readonly durations: Durations, private readonly faults: SnapshotFaults) {}

    /**
     * CreateSnapshot of a whole replication group (cluster mode enabled backs up only at that level).
     * Faults from the API Reference's list for CreateSnapshot: ReplicationGroupNotFoundFault,
     * SnapshotAlreadyExistsFault, InvalidReplicationGroupState ("not in the available state": the group
     * is `snapshotting` while a backup runs), TagQuotaPerResourceExceeded. Durations are simulated.
     */
    createSnapshot(region: string, input: { ReplicationGroupId?: string; CacheClusterId?: string; SnapshotName?: string; Tags?: unknown }): FakeSnapshot {
        if (!input.SnapshotName) {
            throw serviceError(InvalidParameterValueException, "CreateSnapshot: SnapshotName is required");
        }
        if (input.CacheClusterId !== undefined) {
            throw serviceError(InvalidParameterCombinationException,
                "CacheClusterId: a cluster-mode-enabled group is backed up only as a whole; give ReplicationGroupId (the fake models no single-cluster backups)");
        }
        const rg = this.model.replicationGroup(region, input.ReplicationGroupId ?? "");
        if (!rg) {
            throw serviceError(ReplicationGroupNotFoundFault, `ReplicationGroupId "${input.ReplicationGroupId}": no replication group with that id in ${region}`);
        }
        if (this.model.snapshots.has(snapshotKey(region, input.SnapshotName))) {
            throw serviceError(SnapshotAlreadyExistsFault, `A snapshot named ${input.SnapshotName.toLowerCase()} already exists in ${region}`);
        }
        // A group takes one backup at a time: while one runs it is `snapshotting`, not available.
        if (rg.status !== "available") {
            throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} is ${rg.status}; a snapshot needs it available`);
        }
        const tags = tagsOf(input.Tags);
        rg.status = "snapshotting";
        return startSnapshot(this.model, rg, input.SnapshotName, {
            source: "manual", tags,
            durationMs: this.faults.isStuck("CreateSnapshot") ? Infinity : this.durations.snapshot,
            fails: this.faults.snapshotFails(region, rg.id),
            onDone: () => {
                if (rg.status === "snapshotting") {
                    rg.status = "available";
                }
            },
        });
    }

    /**
     * CreateReplicationGroup with SnapshotName: a standalone group with the snapshot's data, creating
     * while the snapshot is `restoring`, then available (or create-failed with the restoreFails fault).
     * What the call leaves out comes from the snapshot; what it sets wins, within what AWS allows.
     */
    restore(region: string, input: CreateReplicationGroupArgs): FakeReplicationGroup {
        const id = input.ReplicationGroupId!;
        if (this.model.replicationGroup(region, id)) {
            throw serviceError(ReplicationGroupAlreadyExistsFault, `Replication group ${id} already exists in ${region}`);
        }
        const name = String(input.SnapshotName);
        const snapshot = this.model.snapshots.get(snapshotKey(region, name));
        // The API reference lists neither fault for CreateReplicationGroup; these are the ones AWS uses for
        // the same conditions on snapshot calls, so code under test sees a not-found or invalid-state kind.
        if (!snapshot) {
            throw serviceError(SnapshotNotFoundFault, `SnapshotName "${name}": no snapshot with that name in ${region}; snapshots are regional`);
        }
        if (snapshot.status !== "available") {
            throw serviceError(InvalidSnapshotStateFault, `Snapshot ${snapshot.name} is ${snapshot.status}; a group can be created from it only when it is available`);
        }
        const rg = buildReplicationGroup(id, region, this.restoredShape(snapshot, input), this.model.now());
        rg.status = "creating";
        rg.restoredFrom = snapshot.name;
        this.model.addReplicationGroup(rg);
        snapshot.status = "restoring";
        this.model.emit(region, "replication-group", id, `Creating replication group from snapshot ${snapshot.name}`);
        const fails = this.faults.restoreFails(region, id);
        const done = this.faults.isStuck("CreateReplicationGroup") ? Infinity : this.model.now() + this.durations.restore;
        this.model.schedule(done, `${region}/${id} ${fails ? "create-failed" : "available"} (from ${snapshot.name})`, () => {
            if (snapshot.status === "restoring") {
                snapshot.status = "available";
            }
            rg.status = fails ? "create-failed" : "available";
            this.model.emit(region, "replication-group", id, fails
                ? `Failed to create replication group from snapshot ${snapshot.name}`
                : `Replication group created from snapshot ${snapshot.name}`);
        });
        return rg;
    }

    private restoredShape(snapshot: FakeSnapshot, input: CreateReplicationGroupArgs): Required<ShapeArgs> {
        const from = snapshot.shape;
        const engine = input.Engine ?? from?.engine;
        const engineVersion = input.EngineVersion ?? from?.engineVersion;
        const nodeType = input.CacheNodeType ?? from?.nodeType;
        if (from && engine !== from.engine) {
            // Not documented either way for a restore; AWS documents the change of engine as an in-place upgrade.
            throw serviceError(InvalidParameterCombinationException, `Engine "${engine}": snapshot ${snapshot.name} holds ${from.engine} data (the fake restores only into the same engine)`);
        }
        if (from && engineVersion && olderThan(engineVersion, from.engineVersion)) {
            throw serviceError(InvalidParameterCombinationException, `EngineVersion "${engineVersion}" is older than ${from.engineVersion}, the version snapshot ${snapshot.name} was taken on; a restore cannot downgrade`);
        }
        if (from?.dataTiering && nodeType && !usesDataTiering(nodeType)) {
            throw serviceError(InvalidParameterCombinationException, `CacheNodeType "${nodeType}": snapshot ${snapshot.name} comes from a data-tiering cluster and restores only to r6gd node types`);
        }
        const clusterMode = (input.ClusterMode as ClusterMode | undefined) ?? from?.clusterMode;
        if (from && from.clusterMode !== "disabled" && clusterMode === "disabled") {
            throw serviceError(InvalidParameterCombinationException, `ClusterMode "disabled": snapshot ${snapshot.name} was taken in cluster mode, which a restore cannot turn off`);
        }
        return resolveShape({
            shards: input.NumNodeGroups ?? from?.numNodeGroups,
            replicasPerShard: input.ReplicasPerNodeGroup ?? snapshot.nodeSnapshots?.[0]?.replicaCount,
            engine, engineVersion, nodeType, clusterMode, port: input.Port ?? from?.port,
        });
    }
}
