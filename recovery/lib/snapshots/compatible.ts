/**
 * Whether a snapshot can seed the deployment the stack declares: the same engine, a version no older
 * than the snapshot's, cluster mode with the stack's shard count, and r6gd nodes for a snapshot of a
 * data-tiering cluster. Every problem names the snapshot, the field, its value and what would be
 * accepted, so the operator can pick another snapshot or change the configuration. Pure.
 */
import { Snapshot } from "@aws-sdk/client-elasticache";
import { parseVersion, usesDataTiering } from "../../../components/config/engine";
import { StackConfig } from "../../../components/config/types";
import { clusterModeOf, shardCountOf } from "./describe";

/** What the restored replication group will run: the stack's configuration. */
export type RestoreTarget = Pick<StackConfig, "engine" | "engineVersion" | "nodeType" | "shards">;

export interface Compatibility {
    /** Why the snapshot cannot seed the target; empty when it can. */
    problems: string[];
    /** What the operator should know although it does not stop the restore. */
    notes: string[];
}

export class IncompatibleSnapshotError extends Error {
    constructor(readonly snapshotName: string, readonly problems: string[]) {
        super(`snapshot ${snapshotName} cannot seed this deployment:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
            "Choose another snapshot, or change the configuration where a line above says so.");
        this.name = "IncompatibleSnapshotError";
    }
}

/**
 * True when `version` is newer than `target` at the target's precision: a target of "8.0" means
 * whatever 8.0.x AWS runs, so a snapshot of 8.0.1 is not newer than it, one of 8.1.0 is.
 */
function newerThan(version: [number, number, number], target: string): boolean {
    const wanted = parseVersion(target)!;
    const parts = target.split(".").length;
    for (let i = 0; i < parts; i++) {
        if (version[i] !== wanted[i]) {
            return version[i] > wanted[i];
        }
    }
    return false;
}

export function checkCompatibility(snapshot: Snapshot, target: RestoreTarget): Compatibility {
    const name = snapshot.SnapshotName ?? "(unnamed)";
    const problems: string[] = [];
    const notes: string[] = [];
    const problem = (field: string, value: unknown, accepted: string) =>
        problems.push(`snapshot ${name}: ${field} is ${value === undefined ? "not reported" : String(value)}; accepted: ${accepted}`);

    const mode = clusterModeOf(snapshot);
    if (mode !== "enabled") {
        problem("cluster mode", mode === "unknown" ? "unknown (no second node group, no .cluster.on parameter group, no hash slots)" :
            `disabled (parameter group ${snapshot.CacheParameterGroupName})`,
        "a snapshot taken in cluster mode, as the stack's replication groups run; a cluster-mode-disabled backup would have to be resharded " +
            "into the stack's shards on restore, which recovery does not do");
    }
    const shards = shardCountOf(snapshot);
    if (shards !== target.shards) {
        problem("NumNodeGroups", shards, `${target.shards}, the stack's shards. Restoring into another shard count moves hash slots between shards; ` +
            `${shards !== undefined ? `set shards to ${shards} for the restore and change it afterwards, or ` : ""}choose a snapshot of ${target.shards} shards`);
    }
    const engine = snapshot.Engine?.toLowerCase();
    if (engine !== target.engine) {
        // AWS documents the move from Redis OSS to Valkey as an in-place upgrade of a running group
        // (ModifyReplicationGroup with the new engine), not as a restore of a Redis OSS snapshot into a
        // new Valkey group; until it documents the latter, a restore keeps the engine.
        problem("Engine", snapshot.Engine, `${target.engine}, the stack's engine. ` + (engine === "redis" && target.engine === "valkey"
            ? "To move this data to Valkey, restore it with engine redis, then upgrade that group to valkey in place, as AWS documents"
            : "A restore keeps the engine the data was taken with"));
    }
    const version = parseVersion(snapshot.EngineVersion ?? "");
    if (!version) {
        problem("EngineVersion", snapshot.EngineVersion, `a version no newer than ${target.engineVersion}, the stack's engineVersion`);
    } else if (newerThan(version, target.engineVersion)) {
        problem("EngineVersion", snapshot.EngineVersion, `${target.engineVersion} or older, the stack's engineVersion: a restore cannot downgrade. ` +
            `Set engineVersion to ${version[0]}.${version[1]} or newer for the restore`);
    }
    if (snapshot.DataTiering === "enabled" && !usesDataTiering(target.nodeType)) {
        problem("DataTiering", `enabled (taken on ${snapshot.CacheNodeType ?? "a data-tiering node type"})`,
            `an r6gd node type for the restore, which the stack's nodeType ${target.nodeType} is not: AWS restores backups of data-tiering clusters only to r6gd nodes`);
    }
    if (snapshot.CacheNodeType && snapshot.CacheNodeType !== target.nodeType) {
        notes.push(`snapshot ${name} was taken on ${snapshot.CacheNodeType}; the restore runs on ${target.nodeType}: make sure each shard's data ` +
            `(${(snapshot.NodeSnapshots ?? []).map((n) => n.CacheSize).filter(Boolean).join(", ") || "size not reported"}) fits its memory`);
    }
    return { problems, notes };
}

/** checkCompatibility, throwing IncompatibleSnapshotError listing every problem when there is one. */
export function assertCompatible(snapshot: Snapshot, target: RestoreTarget): Compatibility {
    const result = checkCompatibility(snapshot, target);
    if (result.problems.length > 0) {
        throw new IncompatibleSnapshotError(snapshot.SnapshotName ?? "(unnamed)", result.problems);
    }
    return result;
}
