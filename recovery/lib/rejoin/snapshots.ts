/**
 * The final snapshots rejoin leaves behind, looked up in AWS rather than derived from this run's
 * clock: a rerun reports the names an earlier run gave them. Only snapshots taken after the detach
 * count (an older one with the same prefix belongs to an earlier rejoin), and when several do, the
 * newest wins, in an order that never depends on what AWS lists first. Success needs them `available`.
 */
import { DescribeSnapshotsCommand, Snapshot } from "@aws-sdk/client-elasticache";
import { ClientsFor } from "../retarget/control-plane";
import { callAws } from "../errors";
import { PollResult } from "../wait";

export interface FinalSnapshot {
    region: string;
    name: string;
    status: string;
}

/** The prefix of every final snapshot rejoin takes of `groupId`. */
export function finalSnapshotPrefix(groupId: string): string {
    return `${groupId}-final-rejoin-`;
}

/** `<group>-final-rejoin-20250115t101500`: the run's start, to the second, in UTC. */
export function finalSnapshotName(groupId: string, runStartedAt: number): string {
    const stamp = new Date(runStartedAt).toISOString().slice(0, 19).replace(/[-:]/g, "").toLowerCase();
    return `${finalSnapshotPrefix(groupId)}${stamp}`;
}

/** The run start a final snapshot's name carries, or undefined for a name rejoin did not give. */
export function stampOf(name: string): number | undefined {
    const m = /-final-rejoin-(\d{4})(\d\d)(\d\d)t(\d\d)(\d\d)(\d\d)$/.exec(name);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/**
 * When the snapshot was taken: the earliest node snapshot's SnapshotCreateTime, or, while it is
 * `creating` and AWS reports none yet, the time in its name. Undefined when neither says.
 */
export function takenAt(s: Snapshot): number | undefined {
    const times = (s.NodeSnapshots ?? []).flatMap((n) => (n.SnapshotCreateTime ? [n.SnapshotCreateTime.getTime()] : []));
    return times.length ? Math.min(...times) : stampOf(s.SnapshotName ?? "");
}

/** Newest first; a snapshot whose time is unknown after every dated one; ties by name. */
export function newestFirst(a: Snapshot, b: Snapshot): number {
    const ta = takenAt(a) ?? -Infinity;
    const tb = takenAt(b) ?? -Infinity;
    return ta !== tb ? (tb > ta ? 1 : -1) : (a.SnapshotName ?? "").localeCompare(b.SnapshotName ?? "");
}

/**
 * The newest snapshot in `region` whose name starts with the group's final-snapshot prefix and that
 * was taken after `afterMs` (the detach: rejoin retires nothing before it). Without `afterMs`, any.
 */
export async function findFinalSnapshot(clientsFor: ClientsFor, region: string, groupId: string, afterMs?: number, signal?: AbortSignal): Promise<FinalSnapshot | undefined> {
    const found: Snapshot[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeSnapshots" }, () =>
            clientsFor(region).send(new DescribeSnapshotsCommand({ SnapshotSource: "user", Marker: marker }), { abortSignal: signal }));
        found.push(...(page.Snapshots ?? []).filter((s) => s.SnapshotName?.startsWith(finalSnapshotPrefix(groupId)) &&
            (afterMs === undefined || (takenAt(s) ?? Infinity) > afterMs)));
        marker = page.Marker;
    } while (marker);
    const newest = found.sort(newestFirst)[0];
    return newest?.SnapshotName ? { region, name: newest.SnapshotName, status: newest.SnapshotStatus ?? "unknown" } : undefined;
}

/** One poll over every stale group: done when each has its final snapshot, available. */
export async function checkFinalSnapshots(clientsFor: ClientsFor, groups: readonly { region: string; replicationGroupId: string }[],
    afterMs?: number, signal?: AbortSignal): Promise<PollResult & { snapshots: FinalSnapshot[] }> {
    const snapshots: FinalSnapshot[] = [];
    const missing: { region: string; replicationGroupId: string }[] = [];
    for (const g of groups) {
        const s = await findFinalSnapshot(clientsFor, g.region, g.replicationGroupId, afterMs, signal);
        if (s) {
            snapshots.push(s);
        } else {
            missing.push(g);
        }
    }
    const bad = snapshots.find((s) => !["creating", "available"].includes(s.status));
    return {
        snapshots,
        state: snapshots.map((s) => `${s.name} ${s.status}`).concat(missing.map((m) => `${m.replicationGroupId} (${m.region}): none`)).join(", ") || "no snapshot expected",
        done: missing.length === 0 && snapshots.every((s) => s.status === "available"),
        failed: bad ? `final snapshot ${bad.name} in ${bad.region} is ${bad.status}` :
            missing.length ? `no final snapshot named ${missing.map((g) => `${finalSnapshotPrefix(g.replicationGroupId)}*`).join(", ")} ` +
                `exists${afterMs !== undefined ? ` taken after ${new Date(afterMs).toISOString()}` : ""}` : undefined,
    };
}
