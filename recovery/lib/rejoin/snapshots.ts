/**
 * The final snapshots rejoin leaves behind, looked up in AWS rather than derived from this run's
 * clock: a rerun reports the names an earlier run gave them. Success needs them `available`.
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

function createdAt(s: Snapshot): number {
    return Math.min(...(s.NodeSnapshots ?? []).map((n) => n.SnapshotCreateTime?.getTime() ?? Infinity));
}

/** The newest snapshot in `region` whose name starts with the group's final-snapshot prefix. */
export async function findFinalSnapshot(clientsFor: ClientsFor, region: string, groupId: string, signal?: AbortSignal): Promise<FinalSnapshot | undefined> {
    const found: Snapshot[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeSnapshots" }, () =>
            clientsFor(region).send(new DescribeSnapshotsCommand({ SnapshotSource: "user", Marker: marker }), { abortSignal: signal }));
        found.push(...(page.Snapshots ?? []).filter((s) => s.SnapshotName?.startsWith(finalSnapshotPrefix(groupId))));
        marker = page.Marker;
    } while (marker);
    const newest = found.sort((a, b) => createdAt(b) - createdAt(a))[0];
    return newest?.SnapshotName ? { region, name: newest.SnapshotName, status: newest.SnapshotStatus ?? "unknown" } : undefined;
}

/** One poll over every stale group: done when each has its final snapshot, available. */
export async function checkFinalSnapshots(clientsFor: ClientsFor, groups: readonly { region: string; replicationGroupId: string }[],
    signal?: AbortSignal): Promise<PollResult & { snapshots: FinalSnapshot[] }> {
    const snapshots: FinalSnapshot[] = [];
    const missing: string[] = [];
    for (const g of groups) {
        const s = await findFinalSnapshot(clientsFor, g.region, g.replicationGroupId, signal);
        if (s) {
            snapshots.push(s);
        } else {
            missing.push(`${g.replicationGroupId} (${g.region})`);
        }
    }
    const bad = snapshots.find((s) => !["creating", "available"].includes(s.status));
    return {
        snapshots,
        state: snapshots.map((s) => `${s.name} ${s.status}`).concat(missing.map((m) => `${m}: none`)).join(", ") || "no snapshot expected",
        done: missing.length === 0 && snapshots.every((s) => s.status === "available"),
        failed: bad ? `final snapshot ${bad.name} in ${bad.region} is ${bad.status}` :
            missing.length ? `no final snapshot named ${groups.filter((g) => missing.includes(`${g.replicationGroupId} (${g.region})`))
                .map((g) => `${finalSnapshotPrefix(g.replicationGroupId)}*`).join(", ")} exists` : undefined,
    };
}
