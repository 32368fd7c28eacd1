/**
 * What rejoin finds, read-only, and what it would do about it. Two shapes:
 * - retire: a standalone serving cluster, the old datastore (or what is left of it) and stale groups
 *   in the other regions: move the writers, count lost writes, retire the old, rebuild through the stack;
 * - finish: an earlier run's stack update already created the new datastore around the serving
 *   cluster and was interrupted: only the guarded update remains.
 */
import { RawConfig } from "../../../components/config/reader";
import { StackConfig, memberRegions } from "../../../components/config/types";
import { replicationGroupId, writerParameterName } from "../../../components/naming";
import { RegionClients } from "../clients";
import { Progress } from "../progress";
import { ClientsFor, readTargetGroup } from "../retarget/control-plane";
import { describeMembers } from "../retarget/decide";
import { RefusedError } from "../retarget/preflight";
import { ConfigChange, configChangesForPrimary, readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { Topology, TopologyError, TopologyMember, discoverTopology } from "../topology";
import { WriterTarget, writerText } from "../writer-parameter";
import { dnsPlanLine } from "./dns";
import { RebuiltDatastore, ServingCluster, findServingCluster, readMemberGroups, rebuiltRefusal } from "./serving";
import { finalSnapshotName } from "./snapshots";
import { WriteCheckTarget, readWriteCheckTarget } from "./writes";

export interface PlanDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    signal?: AbortSignal;
}

interface PlanBase {
    config: StackConfig;
    raw: RawConfig;
    servingRegion: string;
    servingGroupId: string;
    lines: string[];
}

/** A group to delete, with its final snapshot name; one already deleting is only waited for. */
export interface StaleGroup {
    region: string;
    replicationGroupId: string;
    finalSnapshot: string;
    alreadyDeleting: boolean;
}

export interface RetirePlan extends PlanBase {
    kind: "retire";
    serving: ServingCluster;
    /** What the writer parameter of every region is set to first. */
    writer: WriterTarget;
    /** The old datastore, when still visible. */
    old?: Topology;
    /** The region the old datastore's deletion is asked in: its primary's, or any member region that answers. */
    oldDatastoreRegion?: string;
    /** The old primary while the old datastore is visible: its writes are counted again right before its deletion. */
    oldPrimary?: { region: string; replicationGroupId: string };
    /** Old secondaries to detach before the datastore can be deleted. */
    detach: TopologyMember[];
    deleteGroups: StaleGroup[];
    /** Groups whose writes since the detach are counted: the old primary, or every stale group still there. */
    writeCheck: WriteCheckTarget[];
    configChanges: ConfigChange[];
}

export interface FinishPlan extends PlanBase {
    kind: "finish";
    rebuilt: RebuiltDatastore;
}

export type RejoinPlan = RetirePlan | FinishPlan;

/** The primary's region, else any member region that answered (datastore calls work from any member region). */
export function oldDatastoreRegion(old: Topology, servingRegion: string): string | undefined {
    const answered = old.regionsAsked.filter((r) => r !== servingRegion && !old.failures.some((f) => f.region === r));
    return old.members.find((m) => m.role === "PRIMARY" && answered.includes(m.region))?.region
        ?? old.members.map((m) => m.region).find((r) => answered.includes(r));
}

export async function planRejoin(deps: PlanDeps, dnsChecked: boolean): Promise<RejoinPlan> {
    const { driver, progress, clients } = deps;
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const { raw, config } = await progress.step("stack", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        step.found(`regions ${memberRegions(read.config).join(", ")} (primaryRegion ${read.config.primaryRegion}, foundingRegion ${read.config.foundingRegion})`);
        return read;
    });

    const state = await progress.step("serving-cluster", `finding the stack's standalone, available cluster in ${memberRegions(config).join(", ")}`, async (step) => {
        const found = await findServingCluster(config, await readMemberGroups(config, clientsFor, deps.signal), clients, deps.signal);
        if (found.kind === "standalone") {
            step.found(`${found.serving.group.replicationGroupId} in ${found.serving.region} serves writes and will found the new datastore (${found.serving.why})`);
            return found;
        }
        const refusal = rebuiltRefusal(config, found.rebuilt);
        if (refusal) {
            throw refusal;
        }
        const r = found.rebuilt;
        step.found(`${r.replicationGroupId} in ${r.region} is already PRIMARY of ${r.datastoreId} (secondaries: ` +
            `${r.secondaries.map((m) => `${m.region} ${m.status}`).join(", ") || "none"}; not yet members: ${r.missing.join(", ") || "none"}), and the ` +
            "configuration names it primary and founding region: an earlier rejoin's stack update was interrupted, and only that update remains", { level: "warn" });
        return found;
    });
    if (state.kind === "rebuilt") {
        return finishPlan(config, raw, state.rebuilt, driver.stackName);
    }
    return retirePlan(config, raw, state.serving, deps, dnsChecked);
}

function finishPlan(config: StackConfig, raw: RawConfig, rebuilt: RebuiltDatastore, stackName: string): FinishPlan {
    const joinAs = memberRegions(config).filter((r) => r !== rebuilt.region);
    return {
        kind: "finish", config, raw, servingRegion: rebuilt.region, servingGroupId: rebuilt.replicationGroupId, rebuilt,
        lines: [
            `check which region founded the datastore from every record (the stack's outputs may still name the old datastore: outputs that name ` +
                `another datastore than ${rebuilt.datastoreId} are stale and not used)`,
            `refresh stack ${stackName}, preview through the guard (no replace or delete of ${rebuilt.replicationGroupId}, its datastore or any cache), ` +
                `then up: the program keeps ${rebuilt.datastoreId} around ${rebuilt.replicationGroupId} and adds ${joinAs.join(", ")} as secondaries where missing`,
            "preview again: no replication group or datastore may be replaced or deleted",
            `nothing is sent to ${rebuilt.replicationGroupId}`,
        ],
    };
}

async function retirePlan(config: StackConfig, raw: RawConfig, serving: ServingCluster, deps: PlanDeps, dnsChecked: boolean): Promise<RetirePlan> {
    const { driver, progress, clients } = deps;
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const servingRegion = serving.region;
    const servingGroupId = serving.group.replicationGroupId;
    const writer: WriterTarget = {
        region: servingRegion, replicationGroupId: servingGroupId, configurationEndpoint: serving.group.endpoint.address,
        port: serving.group.endpoint.port, globalDatastoreId: "",
    };
    const others = memberRegions(config).filter((r) => r !== servingRegion);
    const old = await progress.step("old-datastore", `asking ${others.join(", ")} for the old datastore and its members`, async (step) => {
        try {
            const found = await discoverTopology({ clientsFor, config, onlyRegions: others });
            step.found(`old Global Datastore ${found.globalDatastoreId} is ${found.status}; members: ${describeMembers(found.members)}`);
            if (found.failures.length) {
                throw new RefusedError(`not every old region answers yet (${found.failures.map((f) => `${f.region}: ${f.error}`).join("; ")}); ` +
                    "rejoin needs them all. Run it again once they answer.");
            }
            return found;
        } catch (e) {
            if (!(e instanceof TopologyError)) {
                throw e;
            }
            step.found(`no old datastore visible: ${e.message}`, { level: "warn" });
            return undefined;
        }
    });
    const deleteFrom = old && oldDatastoreRegion(old, servingRegion);
    if (old && !deleteFrom) {
        throw new RefusedError(`no member region of ${old.globalDatastoreId} answered (members: ${describeMembers(old.members)}), so it cannot be deleted. ` +
            "Run rejoin again once they answer.");
    }

    const staleGroups = old
        ? old.members.filter((m) => m.region !== servingRegion)
        : await remainingStaleGroups(clientsFor, config, others, deps.signal);
    const deleteGroups = staleGroups.map((m) => ({
        region: m.region, replicationGroupId: m.replicationGroupId, finalSnapshot: finalSnapshotName(m.replicationGroupId, progress.startedAt),
        alreadyDeleting: m.replicationGroupStatus === "deleting",
    }));
    const oldPrimary = old?.members.find((m) => m.role === "PRIMARY" && m.region !== servingRegion);
    const writeCheck: WriteCheckTarget[] = [];
    for (const g of oldPrimary ? [oldPrimary] : staleGroups.filter((m) => m.replicationGroupStatus !== "deleting")) {
        const target = await readWriteCheckTarget(clientsFor, g.region, g.replicationGroupId, deps.signal);
        if (target) {
            writeCheck.push(target);
        }
    }
    const detach = old ? old.members.filter((m) => m.role === "SECONDARY" && m.region !== servingRegion) : [];
    const configChanges = configChangesForPrimary(raw, config, servingRegion, servingRegion);
    const dns = dnsPlanLine(config, writer.configurationEndpoint, dnsChecked);
    const lines = [
        ...(dns ? [dns] : []),
        `preview stack ${driver.stackName} with its current configuration: refuse before any change if it would replace or delete ${servingGroupId} or its KMS key`,
        `write ${writerParameterName(config)} = ${writerText(writer)} in ${memberRegions(config).join(", ")} (all must answer)`,
        ...(writeCheck.length ? [`count the writes the shard primaries of ${writeCheck.map((g) => `${g.replicationGroupId} (${g.region})`).join(", ")} ` +
            "took from the detach until the writers moved (CloudWatch SetTypeCmds per minute, waiting for CloudWatch to publish that moment); " +
            "refuse if any, or if a minute has no datapoint, unless --accept-lost-writes"] : []),
        ...detach.map((m) => `call DisassociateGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old!.globalDatastoreId, ReplicationGroupId: m.replicationGroupId, ReplicationGroupRegion: m.region })} in ${m.region}`),
        ...(old ? [old.status === "deleting" ? `wait for ${old.globalDatastoreId}, already deleting, to be gone`
            : `call DeleteGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true })} in ${deleteFrom}`] : []),
        ...(oldPrimary ? [`count the writes of ${oldPrimary.replicationGroupId} again up to that moment (standalone now, it accepts writes), same rule`] : []),
        ...deleteGroups.map((g) => g.alreadyDeleting ? `wait for ${g.replicationGroupId} in ${g.region}, already deleting, to be gone`
            : `call DeleteReplicationGroup ${JSON.stringify({ ReplicationGroupId: g.replicationGroupId, FinalSnapshotIdentifier: g.finalSnapshot })} in ${g.region}`),
        ...configChanges.map((c) => `set ${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`),
        `refresh stack ${driver.stackName}, preview through the guard (no replace or delete of ${servingGroupId} or any cache), then up: ` +
            `the program creates the datastore around ${servingGroupId} and adds ${others.join(", ")} as fresh secondaries; then preview again, ` +
            "which must plan no replacement or deletion of a replication group or the datastore",
        "wait until every final snapshot is available",
        `nothing is sent to ${servingGroupId}`,
    ];
    if (!old && deleteGroups.length === 0 && others.length > 0) {
        progress.found("the old datastore and stale members are gone already (an earlier rejoin, or deleted by hand): only the stack update remains");
    }
    return {
        kind: "retire", config, raw, servingRegion, servingGroupId, serving, writer, old, oldDatastoreRegion: deleteFrom, detach, deleteGroups, writeCheck, configChanges, lines,
        oldPrimary: oldPrimary && { region: oldPrimary.region, replicationGroupId: oldPrimary.replicationGroupId },
    };
}

/** Without a datastore, the program's groups in the other regions are stale leftovers (or already gone). */
async function remainingStaleGroups(clientsFor: ClientsFor, config: StackConfig, regions: string[], signal?: AbortSignal): Promise<TopologyMember[]> {
    const found: TopologyMember[] = [];
    for (const region of regions) {
        const id = replicationGroupId(config, region);
        const group = await readTargetGroup(clientsFor, region, id, signal);
        if (group) {
            found.push({ region, replicationGroupId: id, role: "UNKNOWN", memberStatus: group.datastoreId ? "member" : "standalone", replicationGroupStatus: group.status });
        }
    }
    return found;
}
