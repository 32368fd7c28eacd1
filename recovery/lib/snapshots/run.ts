/**
 * `snapshot`: a manual snapshot of the stack's current primary (or of the member in --region), taken
 * and waited for until it is available. Read-only until the confirmation: the stack's configuration,
 * the datastore and its members from the control plane, the group's state; then CreateSnapshot.
 */
import { StackConfig, memberRegions } from "../../../components/config/types";
import { RegionClients } from "../clients";
import { flagName } from "../flags";
import { formatDuration } from "../printer";
import { Progress } from "../progress";
import { describeMembers } from "../retarget/decide";
import { SOURCE_NAME, discoverWithCandidates, idCandidates } from "../retarget/ids";
import { RefusedError } from "../retarget/preflight";
import { readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { TopologyMember } from "../topology";
import { formatInstant } from "./describe";
import { TakenSnapshot, manualSnapshotName, snapshotTags, takeSnapshot } from "./take";

export interface SnapshotRunRequest {
    reason: string;
    /** Kept as the requested-by tag. Default: none. */
    requestedBy?: string;
    /** Snapshot the member in this region. Default: the current primary's. */
    region?: string;
    dryRun: boolean;
    waitTimeoutMs: number;
}

export interface SnapshotRunDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    /** Resolves when the change may go ahead (typed or --yes); throws otherwise. */
    confirm(plan: string[], replicationGroupId: string): Promise<void>;
    /** The command line that repeats this run for real, for a dry run's next step. */
    rerunWithYes: string;
    signal?: AbortSignal;
}

export interface SnapshotRunResult {
    summary: string;
    nextSteps: string[];
    plan: string[];
    /** Undefined in a dry run. */
    snapshot?: TakenSnapshot;
}

/** The member to snapshot: the one in --region, else the PRIMARY; refuses when the control plane does not say. */
function pickMember(members: readonly TopologyMember[], region: string | undefined, datastoreId: string): TopologyMember {
    const member = region !== undefined ? members.find((m) => m.region === region) : members.find((m) => m.role === "PRIMARY");
    if (!member) {
        throw new RefusedError(region !== undefined
            ? `${flagName("region")} ${region} has no member of ${datastoreId}; members: ${describeMembers(members)}. Nothing was changed.`
            : `${datastoreId} reports no PRIMARY member (${describeMembers(members)}), so there is no current primary to snapshot. ` +
                `Nothing was changed; name the member with ${flagName("region")}, or run again once a primary is reported.`);
    }
    return member;
}

/**
 * The replication group whose data a snapshot holds: the current primary as the Global Datastore
 * reports it, or the member in `region` (one of the stack's regions). Refuses, with nothing changed,
 * when the datastore is not found, no member is PRIMARY, or the member's region does not answer.
 */
export async function findSnapshotSource(driver: StackDriver, config: StackConfig, clients: RegionClients, progress: Progress,
    region?: string, signal?: AbortSignal): Promise<TopologyMember> {
    const regions = memberRegions(config);
    if (region !== undefined && !regions.includes(region)) {
        throw new RefusedError(`${flagName("region")} ${JSON.stringify(region)} is not a region of stack ${config.stack}. ` +
            `Accepted: one of ${regions.join(", ")}. Nothing was changed.`);
    }
    return progress.step("topology", "finding the datastore, its members and the group to snapshot", async (step) => {
        const { candidates, findings } = await idCandidates(driver, config, { clock: progress.clock, signal });
        findings.forEach((f) => step.found(f.what, { level: f.level }));
        const discovered = await discoverWithCandidates(candidates, {
            clientsFor: (r) => clients.elastiCache(r), regionOrder: region !== undefined ? [region] : [config.primaryRegion],
        });
        discovered.findings.forEach((f) => step.found(f.what, { level: f.level }));
        const topology = discovered.topology;
        if (!topology) {
            throw new RefusedError(`the datastore of stack ${driver.stackName} was not found, so there is nothing to snapshot: ${discovered.notFound!.message} ` +
                "Nothing was changed. Check --stack and the credentials' account.");
        }
        step.found(`Global Datastore ${topology.globalDatastoreId} is ${topology.status} (ids from ${SOURCE_NAME[topology.source]}); ` +
            `members: ${describeMembers(topology.members)}`);
        topology.failures.forEach((f) => step.found(`no answer from ${f.region}: ${f.error}`, { level: "warn" }));
        const picked = pickMember(topology.members, region, topology.globalDatastoreId);
        if (picked.replicationGroupStatus === undefined) {
            throw new RefusedError(`${picked.replicationGroupId} in ${picked.region} could not be read: ` +
                `${topology.failures.find((f) => f.region === picked.region)?.error ?? "its region did not answer"} Nothing was changed.`);
        }
        if (picked.role !== "PRIMARY") {
            step.found(`${picked.replicationGroupId} in ${picked.region} is a ${picked.role} member: its data trails the primary's by the replication lag`, { level: "warn" });
        }
        step.summarize(`${picked.replicationGroupId} in ${picked.region} (${picked.role}, ${picked.replicationGroupStatus})`);
        return picked;
    });
}

export async function runSnapshot(req: SnapshotRunRequest, deps: SnapshotRunDeps): Promise<SnapshotRunResult> {
    const { driver, progress, clients } = deps;
    const config = await progress.step("stack", `reading and validating the configuration of stack ${driver.stackName}`, async (step) => {
        const { config: validated } = await readStackConfig(driver);
        step.summarize(`configuration valid; member regions ${memberRegions(validated).join(", ")}`);
        return validated;
    });
    const member = await findSnapshotSource(driver, config, clients, progress, req.region, deps.signal);

    const id = member.replicationGroupId;
    const example = manualSnapshotName(id, progress.clock.now());
    const plan = [
        `CreateSnapshot of ${id} in ${member.region}, named ${id}-manual-<UTC time of the call> (now: ${example}), ` +
            `tags ${JSON.stringify(snapshotTags(req.reason, req.requestedBy))}`,
        `wait until it is available (up to ${formatDuration(req.waitTimeoutMs)} in all${member.replicationGroupStatus === "snapshotting"
            ? `, first for the backup already running on ${id}` : ""})`,
    ];
    progress.found(`plan: ${plan.join("; ")}`);
    const blocked = member.replicationGroupStatus !== "available" && member.replicationGroupStatus !== "snapshotting";
    if (req.dryRun) {
        return {
            summary: `dry run: nothing was changed${blocked ? `; the real run would refuse: ${id} is ${member.replicationGroupStatus}` : ""}`,
            plan,
            nextSteps: [
                ...(blocked ? [`The real run would refuse: ${id} is ${member.replicationGroupStatus}; a snapshot can start only when it is available.`] : []),
                `Review the plan above, then run: ${deps.rerunWithYes}`,
            ],
        };
    }
    await deps.confirm(plan, id);
    const snapshot = await takeSnapshot({ region: member.region, replicationGroupId: id, reason: req.reason, requestedBy: req.requestedBy, waitTimeoutMs: req.waitTimeoutMs },
        { clients, progress, signal: deps.signal });
    progress.found(`snapshot ${snapshot.name} of ${id} in ${member.region} is available`,
        { detail: { snapshotName: snapshot.name, region: snapshot.region, recoveryPoint: formatInstant(snapshot.recoveryPoint) } });
    return {
        summary: `snapshot ${snapshot.name} of ${id} (${member.region}) is available; it holds the writes up to ${formatInstant(snapshot.recoveryPoint)}`,
        plan,
        snapshot,
        nextSteps: [
            `${snapshot.name} is a manual snapshot in ${member.region}: it stays until someone deletes it ` +
                `(aws elasticache delete-snapshot --snapshot-name ${snapshot.name} --region ${member.region}); automatic backups expire, this one does not.`,
        ],
    };
}
