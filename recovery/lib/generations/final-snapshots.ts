/**
 * The final snapshots AWS takes as retire-generation's update deletes a generation's replication
 * groups (DeleteReplicationGroup with FinalSnapshotIdentifier: the provider sends the group's
 * final_snapshot_identifier, terraform-provider-aws replication_group.go resourceReplicationGroupDelete).
 * AWS refuses a name already taken in the region (SnapshotAlreadyExistsFault), which would stop the
 * deletion halfway, so each retirement gives the names a suffix of its own, the UTC time it started,
 * and every name is looked up (DescribeSnapshots by name) before the update asks for it. Giving the
 * names is the unprotect update's in-place change of final_snapshot_identifier, which sends nothing
 * to AWS (resourceReplicationGroupUpdate has no case for it; only Delete reads it).
 */
import { Generation, StackConfig, generationRegions } from "../../../components/config/types";
import { finalSnapshotName } from "../../../components/naming";
import { RegionClients } from "../clients";
import { SnapshotNameTakenError, findSnapshot } from "../snapshots/list";
import { generationGroupId, groupStatus } from "../restore/build";

export interface FinalSnapshotName {
    region: string;
    replicationGroupId: string;
    name: string;
}

/** `YYYYMMDD-HHMMSS`, UTC: the suffix a retirement started at `atMs` gives its final snapshots. */
export function finalSnapshotSuffix(atMs: number): string {
    return new Date(atMs).toISOString().slice(0, 19).replace(/-|:/g, "").replace("T", "-");
}

/** The final snapshot name of each of generation `g`'s replication groups, with `suffix`. */
export function finalSnapshotNames(config: StackConfig, g: Generation, suffix: string): FinalSnapshotName[] {
    return generationRegions(config, g).map((region) => ({
        region, replicationGroupId: generationGroupId(config, g, region),
        name: finalSnapshotName({ ...config, generation: g.number }, region, suffix),
    }));
}

/**
 * The names that are taken by a snapshot other than this retirement's own, for groups that still
 * exist: a group an interrupted run already deleted, or is deleting with its final snapshot under that
 * name, is no conflict.
 */
export async function takenFinalSnapshotNames(names: readonly FinalSnapshotName[], clients: RegionClients, signal?: AbortSignal): Promise<string[]> {
    const taken: string[] = [];
    for (const n of names) {
        const status = await groupStatus(clients, n.region, n.replicationGroupId);
        if (status === "not found") {
            continue;
        }
        const snapshot = await findSnapshot((r) => clients.elastiCache(r), n.region, n.name, signal);
        if (snapshot && !(status === "deleting" && snapshot.ReplicationGroupId === n.replicationGroupId)) {
            taken.push(`${n.name} in ${n.region} (of ${snapshot.ReplicationGroupId ?? "an unknown group"}, ${snapshot.SnapshotStatus ?? "status unknown"})`);
        }
    }
    return taken;
}

/** How many successive seconds' suffixes to try before giving up on a name that is taken. */
const SUFFIX_TRIES = 5;

/**
 * The suffix this retirement uses: the one an earlier run recorded when its names are still free,
 * else the first free one of the next few seconds from `nowMs`. Throws SnapshotNameTakenError when
 * none is free.
 */
export async function chooseFinalSnapshotSuffix(config: StackConfig, g: Generation, nowMs: number, clients: RegionClients, signal?: AbortSignal):
    Promise<{ suffix: string; names: FinalSnapshotName[]; note?: string }> {
    const notes: string[] = [];
    if (g.finalSnapshotSuffix) {
        const names = finalSnapshotNames(config, g, g.finalSnapshotSuffix);
        const taken = await takenFinalSnapshotNames(names, clients, signal);
        if (taken.length === 0) {
            return { suffix: g.finalSnapshotSuffix, names };
        }
        notes.push(`the final snapshot names an earlier run chose are taken now (${taken.join(", ")})`);
    }
    for (let i = 0; i < SUFFIX_TRIES; i++) {
        const suffix = finalSnapshotSuffix(nowMs + i * 1000);
        const names = finalSnapshotNames(config, g, suffix);
        const taken = await takenFinalSnapshotNames(names, clients, signal);
        if (taken.length === 0) {
            return { suffix, names, ...(notes.length ? { note: `${notes.join("; ")}; using suffix ${suffix}` } : {}) };
        }
        notes.push(`taken already: ${taken.join(", ")}`);
    }
    const last = finalSnapshotNames(config, g, finalSnapshotSuffix(nowMs));
    throw new SnapshotNameTakenError(`no free final snapshot names for generation ${g.number}: ${notes.join("; ")}. AWS refuses a taken name, and the deletion ` +
        "would stop halfway. Nothing was changed; delete the snapshots named if they are not needed, or run again later (the names carry the time).",
    last[0].region, last[0].name);
}
