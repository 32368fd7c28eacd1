/**
 * Which snapshot to restore after data corruption: the newest one whose every shard was captured
 * before the corruption began (--before), or the one the operator names (--snapshot), with the reason
 * each other snapshot was not taken, so the choice can be checked. Pure.
 *
 * A cluster-mode snapshot captures each shard at its own instant; a snapshot counts as "before" only
 * when its latest node group time is, because one shard captured after the corruption began would
 * bring the corruption back. The boundary is strict: a node snapshot taken exactly at --before is not
 * before it.
 */
import { Snapshot } from "@aws-sdk/client-elasticache";
import { flagName } from "../flags";
import { describeTaken, formatInstant, nodeSnapshotTimes, recoveryPointOf } from "./describe";

export interface ChooseRequest {
    /** The snapshots to choose from (listSnapshots), in any order. */
    snapshots: readonly Snapshot[];
    /**
     * The replication group whose data is restored, or every group that held it (the members of a
     * Global Datastore, each in its own region); snapshots of any other group are rejected.
     */
    replicationGroupId: string | readonly string[];
    /** --before, epoch ms: every node group must have been captured strictly before it. Default: no limit. */
    beforeMs?: number;
    /** --snapshot: use this one (compared without case, as AWS stores names in lowercase), if it passes the same checks. */
    name?: string;
}

export interface Rejection {
    name: string;
    /** Why, as a sentence fragment: "status creating", "node group 0002 snapshot taken ..., after --before ...". */
    reason: string;
}

export interface SnapshotChoice {
    chosen: Snapshot;
    /** The latest node group capture time of the chosen snapshot, epoch ms: writes after it are lost. */
    recoveryPoint: number;
    /** Every snapshot that fails a check, with why. Usable snapshots older than the chosen one are not listed. */
    rejected: Rejection[];
}

/** No snapshot can be used; the message lists the newest snapshots with why each was rejected, and what to do. */
export class NoUsableSnapshotError extends Error {
    constructor(message: string, readonly rejected: Rejection[]) {
        super(message);
        this.name = "NoUsableSnapshotError";
    }
}

/** How many snapshots an error lists, newest first. */
const LISTED = 5;

function timesAfterBefore(snapshot: Snapshot, beforeMs: number): string | undefined {
    const late = nodeSnapshotTimes(snapshot).filter((t) => t.at !== undefined && t.at >= beforeMs);
    if (late.length === 0) {
        return undefined;
    }
    const when = late.some((t) => t.at === beforeMs) ? "not before" : "after";
    const at = late.map((t) => t.at!);
    const taken = late.length === 1 ? formatInstant(at[0]) : `${formatInstant(Math.min(...at))} to ${formatInstant(Math.max(...at))}`;
    const groups = late.length === 1 ? `node group ${late[0].nodeGroupId} snapshot` : `node groups ${late.map((t) => t.nodeGroupId).join(", ")} snapshots`;
    return `${groups} taken ${taken}, ${when} ${flagName("before")} ${formatInstant(beforeMs)}`;
}

function groupIds(req: Pick<ChooseRequest, "replicationGroupId">): readonly string[] {
    return typeof req.replicationGroupId === "string" ? [req.replicationGroupId] : req.replicationGroupId;
}

/** "replication group a" or "replication groups a, b, c". */
function groupsText(req: Pick<ChooseRequest, "replicationGroupId">): string {
    const ids = groupIds(req);
    return `replication group${ids.length === 1 ? "" : "s"} ${ids.join(", ")}`;
}

/** Every reason `snapshot` cannot be restored for this request; empty when it can. */
export function rejectionReasons(snapshot: Snapshot, req: Pick<ChooseRequest, "replicationGroupId" | "beforeMs">): string[] {
    const reasons: string[] = [];
    const ids = groupIds(req);
    if (!ids.includes(snapshot.ReplicationGroupId ?? "")) {
        reasons.push(`of replication group ${snapshot.ReplicationGroupId ?? "(none given)"}, not ${ids.length === 1 ? ids[0] : `one of ${ids.join(", ")}`}`);
    }
    if (snapshot.SnapshotStatus !== "available") {
        reasons.push(`status ${snapshot.SnapshotStatus ?? "unknown"}`);
    }
    const times = nodeSnapshotTimes(snapshot);
    if (times.length === 0) {
        reasons.push("lists no node snapshots, so when its data was captured is unknown");
    }
    // A snapshot that is not available yet has no times to speak of; its status says it all.
    const missing = snapshot.SnapshotStatus === "available" ? times.filter((t) => t.at === undefined) : [];
    if (missing.length > 0) {
        reasons.push(`node group${missing.length > 1 ? "s" : ""} ${missing.map((t) => t.nodeGroupId).join(", ")} report${missing.length > 1 ? "" : "s"} no snapshot time`);
    }
    const late = req.beforeMs === undefined ? undefined : timesAfterBefore(snapshot, req.beforeMs);
    if (late) {
        reasons.push(late);
    }
    return reasons;
}

/** Latest known capture time, for ordering: newest first, undated last, ties by name so the order never depends on AWS's. */
function newestFirst(a: Snapshot, b: Snapshot): number {
    const latest = (s: Snapshot) => Math.max(-Infinity, ...nodeSnapshotTimes(s).flatMap((t) => (t.at !== undefined ? [t.at] : [])));
    const [ta, tb] = [latest(a), latest(b)];
    return ta !== tb ? (tb > ta ? 1 : -1) : (a.SnapshotName ?? "").localeCompare(b.SnapshotName ?? "");
}

function listing(snapshots: readonly Snapshot[], reasons: Map<Snapshot, string[]>): string {
    const shown = [...snapshots].sort(newestFirst).slice(0, LISTED);
    const lines = shown.map((s) => {
        const why = reasons.get(s) ?? [];
        return `  - ${s.SnapshotName} (${s.SnapshotSource ?? "unknown source"}, ${s.SnapshotStatus ?? "unknown status"}, ${describeTaken(s)})` +
            `${why.length ? `: ${why.join("; ")}` : ": usable"}`;
    });
    const more = snapshots.length > shown.length ? [`  ... and ${snapshots.length - shown.length} older`] : [];
    return [...lines, ...more].join("\n");
}

function what(req: ChooseRequest): string {
    return `of ${groupsText(req)}${req.beforeMs !== undefined ? ` with every node group taken before ${flagName("before")} ${formatInstant(req.beforeMs)}` : ""}`;
}

/**
 * Picks the snapshot to restore: the named one, or the newest usable one by its latest node group
 * time. Throws NoUsableSnapshotError, listing the newest snapshots and why each cannot be used, when
 * there is none.
 */
export function chooseSnapshot(req: ChooseRequest): SnapshotChoice {
    const reasons = new Map(req.snapshots.map((s) => [s, rejectionReasons(s, req)] as const));
    const rejected: Rejection[] = [...req.snapshots].sort(newestFirst).flatMap((s) => {
        const why = reasons.get(s)!;
        return why.length ? [{ name: s.SnapshotName ?? "(unnamed)", reason: why.join("; ") }] : [];
    });
    if (req.snapshots.length === 0) {
        throw new NoUsableSnapshotError(`no snapshot ${what(req)}: AWS lists no snapshot of ${groupIds(req).join(" or ")} at all. Check the replication group${groupIds(req).length === 1 ? " and its region" : "s and their regions"}; ` +
            "automatic backups exist only while the stack keeps them (backupRetentionDays), and a manual one only if someone took it.", rejected);
    }
    if (req.name !== undefined) {
        const named = req.snapshots.find((s) => s.SnapshotName?.toLowerCase() === req.name!.toLowerCase());
        if (!named) {
            throw new NoUsableSnapshotError(`${flagName("snapshot")} ${JSON.stringify(req.name)} is not a snapshot of ${groupsText(req)}. ` +
                `Accepted: one of ${groupIds(req).length === 1 ? "its" : "their"} ${req.snapshots.length} snapshots; the newest:\n${listing(req.snapshots, reasons)}`, rejected);
        }
        const why = reasons.get(named)!;
        if (why.length) {
            throw new NoUsableSnapshotError(`${flagName("snapshot")} ${named.SnapshotName} cannot be restored: ${why.join("; ")}. ` +
                `Name a snapshot that is available ${what(req)}, or leave out ${flagName("snapshot")} to take the newest such one. The newest:\n` +
                `${listing(req.snapshots, reasons)}`, rejected);
        }
        return { chosen: named, recoveryPoint: recoveryPointOf(named)!, rejected };
    }
    const usable = req.snapshots.filter((s) => reasons.get(s)!.length === 0).sort(newestFirst);
    if (usable.length === 0) {
        throw new NoUsableSnapshotError(`no snapshot ${what(req)} is available (${req.snapshots.length} considered). The newest, and why each cannot be used:\n` +
            `${listing(req.snapshots, reasons)}\nWhat to do: if the data was still good later than ${flagName("before")} says, give that later time; ` +
            `if you know one of the above holds good data, name it with ${flagName("snapshot")} (and leave out ${flagName("before")} when it is later); ` +
            "a snapshot still creating can be used once it is available.", rejected);
    }
    return { chosen: usable[0], recoveryPoint: recoveryPointOf(usable[0])!, rejected };
}
