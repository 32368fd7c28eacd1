/**
 * Which snapshot seeds the new generation. It looks at every member of the current generation in every
 * member region, and at the founder's own group wherever it stands now (a secondary after a promotion,
 * or detached after an outage), because snapshots stay in the region of the group they were taken of:
 * after a promotion the good ones may all sit with the old primary. The newest whose every node group
 * was captured before --before wins wherever it is (or the one --snapshot names), if it fits the
 * deployment, and the new generation is founded in that snapshot's region: ElastiCache copies and
 * exports a snapshot only within its own region (CopySnapshot API reference: the S3 bucket must be "in
 * the same region as your snapshot"; user guide "Exporting a backup": export, copy the .rdb object to
 * the other region, seed a new cluster there), so restoring where the snapshot is needs no copy.
 * Every source, what it holds, the choice and every rejected candidate go into the report.
 */
import { Snapshot } from "@aws-sdk/client-elasticache";
import { StackConfig, memberRegions } from "../../../components/config/types";
import { replicationGroupId } from "../../../components/naming";
import { RegionClients } from "../clients";
import { AwsCallError } from "../errors";
import { flagName } from "../flags";
import { Progress, StepContext } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { StackDriver } from "../stack-driver";
import { NoUsableSnapshotError, chooseSnapshot } from "../snapshots/choose";
import { IncompatibleSnapshotError, assertCompatible } from "../snapshots/compatible";
import { formatInstant, nodeSnapshotTimes, recoveryPointOf } from "../snapshots/describe";
import { listSnapshots } from "../snapshots/list";
import { TopologyError, TopologyMember, discoverTopology } from "../topology";

/** No snapshot can be restored (none before --before, a named one that fails a check): nothing was changed. */
export class NoRestorableSnapshotError extends RefusedError {
    constructor(message: string) {
        super(message);
        this.name = "NoRestorableSnapshotError";
    }
}

export interface RestoreSnapshot {
    /** The snapshot's name; AWS keeps it in lowercase. */
    name: string;
    /** Where the snapshot is, and so where the new generation is founded. */
    region: string;
    sourceGroupId: string;
    /** The latest node group capture time, epoch ms. */
    recoveryPointAt: number;
    nodeSnapshots: { nodeGroupId: string; createdAt: number }[];
}

export interface ChooseRestoreRequest {
    driver: StackDriver;
    config: StackConfig;
    clients: RegionClients;
    progress: Progress;
    before?: number;
    snapshot?: string;
    signal?: AbortSignal;
}

/** A replication group whose snapshots hold the current generation's data, and what it is now. */
export interface SnapshotSource {
    region: string;
    replicationGroupId: string;
    /** "founder, now SECONDARY", "PRIMARY", "founder, not a member of the datastore (detached or deleted)", ... */
    standing: string;
    founder: boolean;
    role?: TopologyMember["role"];
}

/**
 * Every group to look at: the member the program names in each member region (current generation),
 * with the role the datastore reports, and any other member the datastore lists.
 */
export function snapshotSources(config: StackConfig, members: readonly TopologyMember[] | undefined): SnapshotSource[] {
    const named = memberRegions(config).map((region) => ({ region, replicationGroupId: replicationGroupId(config, region) }));
    const listed = (members ?? []).filter((m) => !named.some((n) => n.region === m.region && n.replicationGroupId === m.replicationGroupId));
    return [...named, ...listed].map(({ region, replicationGroupId: id }) => {
        const member = members?.find((m) => m.region === region && m.replicationGroupId === id);
        const founder = region === config.foundingRegion && id === replicationGroupId(config, region);
        const now = member ? member.role : members ? "not a member of the datastore (detached or deleted)" : "membership unknown";
        return { region, replicationGroupId: id, founder, ...(member ? { role: member.role } : {}), standing: founder ? `founder, ${member ? "now " : ""}${now}` : now };
    });
}

/**
 * Why `source` holds no snapshot, in operator's words. Snapshots belong to the group and region they
 * were taken in; a group that was a secondary until a promotion has none of the backups taken while
 * another region was primary, and its own automated backups start in its next backup window (an
 * assumption, not from AWS's documentation: it does not say whether secondaries take automated backups).
 */
export function whyNoSnapshots(source: SnapshotSource, config: StackConfig): string {
    if (source.role === "PRIMARY" && !source.founder) {
        return "it became the primary through a promotion: the backups taken while another region was primary stay in that region with that region's group, " +
            `and its own automated backups begin in its next backup window (snapshotWindow ${config.snapshotWindow} UTC)`;
    }
    if (source.role === "SECONDARY") {
        return "it is a secondary, and no backup of it is kept in its region: the backups listed were taken of the group that was primary at the time";
    }
    if (!source.role) {
        return "the group is gone or detached, and it has left no snapshot in its region (automated backups expire after backupRetentionDays; " +
            "a deleted group leaves only its final snapshot)";
    }
    return `automated backups are kept backupRetentionDays (${config.backupRetentionDays}) days; none has been taken since, and no manual snapshot either`;
}

interface Found {
    source: SnapshotSource;
    snapshots: Snapshot[];
    error?: string;
}

/** Lists the snapshots of every source, saying per source what it found. */
async function lookEverywhere(req: ChooseRestoreRequest, sources: readonly SnapshotSource[], step: StepContext): Promise<Found[]> {
    const found: Found[] = [];
    for (const source of sources) {
        try {
            const snapshots = await listSnapshots((r) => req.clients.elastiCache(r), source.region, source.replicationGroupId, req.signal);
            const usable = snapshots.filter((s) => s.SnapshotStatus === "available" && recoveryPointOf(s) !== undefined);
            const newest = Math.max(-Infinity, ...usable.map((s) => recoveryPointOf(s)!));
            step.found(`${source.region}: ${source.replicationGroupId} (${source.standing}): ${snapshots.length ? `${snapshots.length} snapshot${snapshots.length === 1 ? "" : "s"}` +
                `${usable.length ? `, the newest available captured by ${formatInstant(newest)}` : ", none available"}` : "no snapshot"}`,
            { detail: { region: source.region, replicationGroupId: source.replicationGroupId, standing: source.standing, snapshots: snapshots.length } });
            found.push({ source, snapshots });
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            // A region that does not answer costs its snapshots, not the restore; the plan says so.
            step.found(`${source.region}: ${source.replicationGroupId} (${source.standing}): its snapshots could not be listed (${e.message}); ` +
                "the choice below does not include them", { level: "warn" });
            found.push({ source, snapshots: [], error: e.message });
        }
    }
    return found;
}

/** The regions that hold no snapshot of the current generation, each with why, for a refusal. */
function emptyRegions(found: readonly Found[], config: StackConfig): string {
    const empty = found.filter((f) => f.snapshots.length === 0);
    return empty.length === 0 ? "" : `\nWhere there was nothing to choose from:\n${empty.map((f) => `  - ${f.source.region}: ${f.source.replicationGroupId} ` +
        `(${f.source.standing}): ${f.error ? `could not be listed: ${f.error}` : `no snapshot: ${whyNoSnapshots(f.source, config)}`}`).join("\n")}`;
}

export async function chooseRestoreSnapshot(req: ChooseRestoreRequest): Promise<RestoreSnapshot> {
    const { progress, config } = req;
    const members = await progress.step("topology", "finding the current generation's members, whose snapshots hold its data", async (step) => {
        try {
            const topology = await discoverTopology({ clientsFor: (r) => req.clients.elastiCache(r), driver: req.driver, config, regionOrder: [config.primaryRegion] });
            step.summarize(`Global Datastore ${topology.globalDatastoreId} is ${topology.status}; members: ` +
                `${topology.members.map((m) => `${m.replicationGroupId} (${m.region}, ${m.role})`).join(", ")}`);
            topology.failures.forEach((f) => step.found(`no answer from ${f.region}: ${f.error}`, { level: "warn" }));
            return topology.members;
        } catch (e) {
            if (!(e instanceof TopologyError)) {
                throw e;
            }
            step.found(`${e.message} Looking for snapshots of the groups the configuration names instead.`, { level: "warn" });
            return undefined;
        }
    });
    const sources = snapshotSources(config, members);
    return progress.step("choose-snapshot", `choosing the snapshot to restore among those of ${sources.map((s) => `${s.replicationGroupId} (${s.region})`).join(", ")}`, async (step) => {
        const found = await lookEverywhere(req, sources, step);
        const regionOf = new Map(found.flatMap((f) => f.snapshots.map((s) => [s, f.source] as const)));
        const all = found.flatMap((f) => f.snapshots);
        if (req.snapshot !== undefined) {
            const named = all.filter((s) => s.SnapshotName?.toLowerCase() === req.snapshot!.toLowerCase());
            if (named.length > 1) {
                throw new NoRestorableSnapshotError(`${flagName("snapshot")} ${req.snapshot} names a snapshot in each of ${named.map((s) => regionOf.get(s)!.region).join(" and ")}; ` +
                    "snapshot names are unique only within a region, so it is not clear which one is meant. Restore by --before instead, or copy the one you mean " +
                    "to a unique name in its region (aws elasticache copy-snapshot). Nothing was changed.");
            }
        }
        let choice;
        try {
            choice = chooseSnapshot({ snapshots: all, replicationGroupId: sources.map((s) => s.replicationGroupId), beforeMs: req.before, name: req.snapshot });
        } catch (e) {
            if (e instanceof NoUsableSnapshotError) {
                throw new NoRestorableSnapshotError(`${e.message}${emptyRegions(found, config)}\nNothing was changed.`);
            }
            throw e;
        }
        for (const r of choice.rejected) {
            step.found(`rejected ${r.name}: ${r.reason}`, { level: "info", detail: { rejected: r.name, reason: r.reason } });
        }
        try {
            const fit = assertCompatible(choice.chosen, config);
            fit.notes.forEach((n) => step.found(n, { level: "warn" }));
        } catch (e) {
            if (e instanceof IncompatibleSnapshotError) {
                throw new RefusedError(`${e.message}\nNothing was changed.`);
            }
            throw e;
        }
        const name = choice.chosen.SnapshotName!;
        const source = regionOf.get(choice.chosen)!;
        step.found(`chosen: ${name} in ${source.region} (${choice.chosen.SnapshotSource ?? "unknown source"}, of ${source.replicationGroupId}, ${source.standing}), ` +
            `every node group captured by ${formatInstant(choice.recoveryPoint)}`,
        { detail: { chosen: name, region: source.region, recoveryPoint: formatInstant(choice.recoveryPoint), rejected: choice.rejected } });
        if (source.region !== config.primaryRegion) {
            step.found(`the new generation is founded in ${source.region}, where the snapshot is (no copy across regions), so the writer moves to ${source.region} ` +
                `at the cutover; today's primary region is ${config.primaryRegion}`, { level: "warn" });
        }
        step.summarize(`${name} in ${source.region}, recovery point ${formatInstant(choice.recoveryPoint)}`);
        return {
            name, region: source.region, sourceGroupId: source.replicationGroupId, recoveryPointAt: choice.recoveryPoint,
            nodeSnapshots: nodeSnapshotTimes(choice.chosen).map((n) => ({ nodeGroupId: n.nodeGroupId, createdAt: n.at ?? choice.recoveryPoint })),
        };
    });
}
