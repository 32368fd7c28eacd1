/**
 * rejoin: after an outage run detached the target, the serving cluster runs standalone and the old
 * datastore lingers with the old members. First the writer parameter of every region is pointed at the
 * serving cluster, so nothing writes to the old primary any more, and the old primary is checked for
 * writes it took after the detach (they would survive only in its final snapshot). Then, since a
 * cluster that holds data cannot join a datastore as a secondary, the old datastore and its stale
 * members are retired (with final snapshots), and the program rebuilds the datastore around the
 * serving cluster, adding the other regions as fresh secondaries. Nothing is ever sent to the serving
 * cluster, and the guard refuses any plan that would replace or delete it.
 *
 * Like retarget-primary it decides from what it observes: a rerun skips what is already gone.
 */
import {
    DeleteGlobalReplicationGroupCommand, DeleteReplicationGroupCommand, DescribeGlobalReplicationGroupsCommand,
    DescribeReplicationGroupsCommand, DisassociateGlobalReplicationGroupCommand,
} from "@aws-sdk/client-elasticache";
import { StackConfig, memberRegions } from "../../components/config/types";
import { replicationGroupId, writerParameterName } from "../../components/naming";
import { RegionClients } from "./clients";
import { AwsCallError, callAws } from "./errors";
import { fileTimestamp } from "./report";
import { previewThenUp } from "./guard";
import { formatDuration } from "./printer";
import { Progress } from "./progress";
import { RefusedError } from "./retarget/preflight";
import { ClientsFor, readTargetGroup, waitUntilStandalone } from "./retarget/control-plane";
import { describeMembers } from "./retarget/decide";
import { ServingCluster, findServingCluster, readMemberGroups } from "./rejoin/serving";
import { FinalSnapshot, checkFinalSnapshots, finalSnapshotPrefix, findFinalSnapshot } from "./rejoin/snapshots";
import { DetachTime, WritesSince, detachTimeFromEvents, lostWritesMessage, writesSince } from "./rejoin/writes";
import { ConfigChange, applyConfigChanges, configChangesForPrimary, readStackConfig } from "./stack-config";
import { StackDriver } from "./stack-driver";
import { Topology, TopologyError, TopologyMember, discoverTopology } from "./topology";
import { PollResult, waitFor } from "./wait";
import { WriterTarget, describeWrites, writeWriterParameters, writerText } from "./writer-parameter";

export interface RejoinRequest {
    dryRun: boolean;
    /** How long each deletion or detach may take. */
    waitTimeoutMs: number;
    /** --detached-at: when the serving cluster was detached (epoch ms), when its events do not say. Default: from the events. */
    detachedAtMs?: number;
    /** --accept-lost-writes: go on although the old primary took writes after the detach (or that is unknown). Default false. */
    acceptLostWrites?: boolean;
}

export interface RejoinDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    confirm(plan: string[], servingRegion: string): Promise<void>;
    invocation: string;
    signal?: AbortSignal;
}

/** What rejoin found, and what it will do about it. */
export interface RejoinPlan {
    config: StackConfig;
    servingRegion: string;
    servingGroupId: string;
    /** What the writer parameter of every region is set to first. */
    writer: WriterTarget;
    /** The old datastore, when still visible. */
    old?: Topology;
    /** The region the old datastore's deletion is asked in: its primary's, or any member region that answers. */
    oldDatastoreRegion?: string;
    /** Old secondaries to detach before the datastore can be deleted. */
    detach: TopologyMember[];
    /** Stale groups to delete, with their final snapshot names; a group already deleting is only waited for. */
    deleteGroups: { region: string; replicationGroupId: string; finalSnapshot: string; alreadyDeleting: boolean }[];
    /** Groups whose writes since the detach are counted: the old primary, or every stale group still there. */
    writeCheck: { region: string; replicationGroupId: string; nodes: string[] }[];
    configChanges: ConfigChange[];
    lines: string[];
}

export interface RejoinResult {
    summary: string;
    nextSteps: string[];
    plan: string[];
}

/** Item 14: the primary's region, else any member region that answered (datastore calls work from any member region). */
export function oldDatastoreRegion(old: Topology, servingRegion: string): string | undefined {
    const answered = old.regionsAsked.filter((r) => r !== servingRegion && !old.failures.some((f) => f.region === r));
    return old.members.find((m) => m.role === "PRIMARY" && answered.includes(m.region))?.region
        ?? old.members.map((m) => m.region).find((r) => answered.includes(r));
}

export async function planRejoin(deps: RejoinDeps): Promise<RejoinPlan> {
    const { driver, progress, clients } = deps;
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const { raw, config } = await progress.step("stack", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        step.found(`regions ${memberRegions(read.config).join(", ")} (primaryRegion ${read.config.primaryRegion}, foundingRegion ${read.config.foundingRegion})`);
        return read;
    });

    const serving = await progress.step("serving-cluster", `finding the stack's standalone, available cluster in ${memberRegions(config).join(", ")}`, async (step) => {
        const found: ServingCluster = await findServingCluster(config, await readMemberGroups(config, clientsFor, deps.signal), clients, deps.signal);
        step.found(`${found.group.replicationGroupId} in ${found.region} serves writes and will found the new datastore (${found.why})`);
        return found;
    });
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

    const stamp = fileTimestamp(progress.startedAt).slice(0, 15).toLowerCase().replace(/[^a-z0-9]/g, "");
    const staleGroups = old
        ? old.members.filter((m) => m.region !== servingRegion)
        : await remainingStaleGroups(clientsFor, config, others, deps.signal);
    const deleteGroups = staleGroups.map((m) => ({
        region: m.region, replicationGroupId: m.replicationGroupId, finalSnapshot: `${finalSnapshotPrefix(m.replicationGroupId)}${stamp}`,
        alreadyDeleting: m.replicationGroupStatus === "deleting",
    }));
    const oldPrimary = old?.members.find((m) => m.role === "PRIMARY" && m.region !== servingRegion);
    const writeCheck: RejoinPlan["writeCheck"] = [];
    for (const g of oldPrimary ? [oldPrimary] : staleGroups.filter((m) => m.replicationGroupStatus !== "deleting")) {
        const group = await readTargetGroup(clientsFor, g.region, g.replicationGroupId, deps.signal);
        if (group && group.status !== "deleting") {
            writeCheck.push({ region: g.region, replicationGroupId: g.replicationGroupId, nodes: group.memberClusters });
        }
    }
    const detach = old ? old.members.filter((m) => m.role === "SECONDARY" && m.region !== servingRegion) : [];
    const configChanges = configChangesForPrimary(raw, config, servingRegion, servingRegion);
    const lines = [
        `write ${writerParameterName(config)} = ${writerText(writer)} in ${memberRegions(config).join(", ")} (all must answer)`,
        ...(writeCheck.length ? [`count the writes ${writeCheck.map((g) => `${g.replicationGroupId} (${g.region})`).join(", ")} took since the detach ` +
            "(CloudWatch SetTypeCmds); refuse if any, unless --accept-lost-writes"] : []),
        ...detach.map((m) => `call DisassociateGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old!.globalDatastoreId, ReplicationGroupId: m.replicationGroupId, ReplicationGroupRegion: m.region })} in ${m.region}`),
        ...(old ? [old.status === "deleting" ? `wait for ${old.globalDatastoreId}, already deleting, to be gone`
            : `call DeleteGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true })} in ${deleteFrom}`] : []),
        ...deleteGroups.map((g) => g.alreadyDeleting ? `wait for ${g.replicationGroupId} in ${g.region}, already deleting, to be gone`
            : `call DeleteReplicationGroup ${JSON.stringify({ ReplicationGroupId: g.replicationGroupId, FinalSnapshotIdentifier: g.finalSnapshot })} in ${g.region}`),
        ...configChanges.map((c) => `set ${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`),
        `refresh stack ${driver.stackName}, preview through the guard (no replace or delete of ${servingGroupId} or any cache), then up: ` +
            `the program creates the datastore around ${servingGroupId} and adds ${others.join(", ")} as fresh secondaries`,
        "wait until every final snapshot is available",
        `nothing is sent to ${servingGroupId}`,
    ];
    if (!old && deleteGroups.length === 0 && others.length > 0) {
        progress.found("the old datastore and stale members are gone already (an earlier rejoin, or deleted by hand): only the stack update remains");
    }
    return { config, servingRegion, servingGroupId, writer, old, oldDatastoreRegion: deleteFrom, detach, deleteGroups, writeCheck, configChanges, lines };
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

/** Step (b): the writes the old primary took since the detach; refuses unless they are none or accepted. */
async function checkLostWrites(req: RejoinRequest, plan: RejoinPlan, deps: RejoinDeps): Promise<void> {
    if (plan.writeCheck.length === 0) {
        return;
    }
    const { progress, clients } = deps;
    await progress.step("lost-writes", `counting the writes ${plan.writeCheck.map((g) => g.replicationGroupId).join(", ")} took since the detach`, async (step) => {
        const now = progress.clock.now();
        const detached: DetachTime | undefined = req.detachedAtMs !== undefined
            ? { at: req.detachedAtMs, source: "--detached-at" }
            : await detachTimeFromEvents(clients, plan.servingRegion, plan.servingGroupId, now, deps.signal);
        if (!detached) {
            throw new RefusedError(`the detach time of ${plan.servingGroupId} is unknown: no event of it in ${plan.servingRegion} mentions a disassociation ` +
                "(AWS keeps events for 14 days). Without it, the writes the old primary took after the detach cannot be counted. Give it with " +
                "--detached-at <ISO time>, for example from the outage run's report (the detach step's end); nothing was deleted.");
        }
        step.found(`detached at ${new Date(detached.at).toISOString()} (from ${detached.source})`);
        const problems: string[] = [];
        for (const g of plan.writeCheck) {
            const w: WritesSince = await writesSince(clients, g.region, g.replicationGroupId, g.nodes, detached.at, now, deps.signal);
            const lost = lostWritesMessage(w, g.replicationGroupId, finalSnapshotPrefix(g.replicationGroupId));
            step.found(lost ?? `${g.replicationGroupId} took no writes from ${w.windowStart} to ${w.windowEnd} (${w.source})`, { level: lost ? "warn" : "info" });
            if (lost) {
                problems.push(lost);
            }
        }
        if (problems.length && !req.acceptLostWrites) {
            throw new RefusedError(`refusing to retire the old clusters: ${problems.join(" ")} Recover those writes first (from the old cluster, which ` +
                "is still there), or accept their loss and rerun with --accept-lost-writes. The writer parameters now name the serving cluster; nothing was deleted.");
        }
        if (problems.length) {
            step.found("going on because of --accept-lost-writes", { level: "warn" });
        }
    });
}
export async function runRejoin(req: RejoinRequest, deps: RejoinDeps): Promise<RejoinResult> {
    const { driver, progress, clients } = deps;
    const plan = await planRejoin(deps);
    progress.found(`plan: ${plan.lines.join("; ")}`);
    const rerun = `${deps.invocation} rejoin --stack ${driver.stackName}${req.acceptLostWrites ? " --accept-lost-writes" : ""}` +
        `${req.detachedAtMs !== undefined ? ` --detached-at ${new Date(req.detachedAtMs).toISOString()}` : ""} --yes`;
    if (req.dryRun) {
        await progress.step("preview", `previewing stack ${driver.stackName} (dry run: current configuration and state)`, async (step) => {
            const steps = await driver.preview();
            step.found(`the current preview plans ${steps.filter((s) => s.op !== "same").length} changes; the real run deletes the stale resources, ` +
                "sets the regions and refreshes first, then previews again through the guard before any up");
        });
        return { summary: "dry run: nothing was changed", plan: plan.lines, nextSteps: [`Review the plan above, then run: ${rerun}`] };
    }
    await deps.confirm(plan.lines, plan.servingRegion);
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const change: ClientsFor = (region) => clients.elastiCacheForChanges(region);
    const wait = { clock: progress.clock, emit: progress.emit, signal: deps.signal };

    await progress.step("writer", `pointing ${writerParameterName(plan.config)} at ${plan.servingGroupId} in every region`, async (step) => {
        const writes = await writeWriterParameters(plan.config, plan.writer, memberRegions(plan.config), clients, step, deps.signal);
        if (writes.some((w) => w.result !== "updated")) {
            throw new Error(`the writer parameter could not be written everywhere (${describeWrites(writes)}); rejoin stops before retiring anything, ` +
                "so that no application still writes to an old cluster. Fix what the lines above say and run rejoin again.");
        }
        step.summarize(describeWrites(writes));
    });
    await checkLostWrites(req, plan, deps);

    if (plan.old) {
        const old = plan.old;
        for (const member of plan.detach) {
            await progress.step("detach-old", `detaching ${member.replicationGroupId} (${member.region}) from ${old.globalDatastoreId}`, async () => {
                // A rerun finds a detach it already asked for under way: wait for it, do not ask again.
                if (member.memberStatus !== "disassociating") {
                    await callAws({ region: member.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" }, () =>
                        change(member.region).send(new DisassociateGlobalReplicationGroupCommand({
                            GlobalReplicationGroupId: old.globalDatastoreId, ReplicationGroupId: member.replicationGroupId, ReplicationGroupRegion: member.region,
                        }), { abortSignal: deps.signal }));
                }
                await waitUntilStandalone(clientsFor, member.region, member.replicationGroupId, req.waitTimeoutMs, { ...wait, step: "detach-old" });
            });
        }
        const region = plan.oldDatastoreRegion!;
        await progress.step("delete-old-datastore", `deleting ${old.globalDatastoreId} in ${region}, keeping its primary group for its final snapshot`, async () => {
            if (old.status !== "deleting") {
                await callAws({ region, service: "elasticache", operation: "DeleteGlobalReplicationGroup" }, () =>
                    change(region).send(new DeleteGlobalReplicationGroupCommand({
                        GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true,
                    }), { abortSignal: deps.signal }));
            }
            await waitFor({
                waitingFor: `${old.globalDatastoreId} to be deleted`, timeoutMs: req.waitTimeoutMs, step: "delete-old-datastore", ...wait,
                check: (signal) => datastoreGone(clientsFor, region, old.globalDatastoreId, signal),
            });
        });
    }
    for (const group of plan.deleteGroups) {
        await progress.step("delete-stale-member", `deleting stale ${group.replicationGroupId} in ${group.region} with a final snapshot`, async () => {
            if (!group.alreadyDeleting) {
                await callAws({ region: group.region, service: "elasticache", operation: "DeleteReplicationGroup" }, () =>
                    change(group.region).send(new DeleteReplicationGroupCommand({
                        ReplicationGroupId: group.replicationGroupId, FinalSnapshotIdentifier: group.finalSnapshot,
                    }), { abortSignal: deps.signal }));
            }
            await waitFor({
                waitingFor: `${group.replicationGroupId} in ${group.region} to be deleted`, timeoutMs: req.waitTimeoutMs, step: "delete-stale-member", ...wait,
                check: (signal) => groupGone(clientsFor, group.region, group.replicationGroupId, signal),
            });
        });
    }
    if (plan.configChanges.length) {
        await progress.step("stack-config-update", `making ${plan.servingRegion} the primary and founding region of stack ${driver.stackName}`, async (step) => {
            await applyConfigChanges(driver, plan.configChanges);
            plan.configChanges.forEach((c) => step.found(`set ${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`));
        });
    }
    await progress.step("refresh", `refreshing stack ${driver.stackName}: the deleted resources leave the state`, () => driver.refresh());
    await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock });
    const snapshots = await waitForFinalSnapshots(req, plan, deps);
    return {
        summary: `the datastore is declared again around ${plan.servingGroupId}; the other regions join as fresh secondaries`,
        plan: plan.lines,
        nextSteps: [
            `Watch the new secondaries join (tens of minutes): DescribeGlobalReplicationGroups in ${plan.servingRegion}.`,
            `Commit the updated stack configuration (Pulumi.${driver.stackName}.yaml: primaryRegion, secondaryRegions and foundingRegion ${plan.servingRegion}).`,
            `Final snapshots of the retired groups: ${snapshots.map((s) => `${s.name} (${s.region}, ${s.status})`).join(", ") || "none were needed"}; ` +
                "delete them once you are sure no write is missing.",
        ],
    };
}

/** The final snapshots as AWS names them (also those an earlier run took), once all are available. */
async function waitForFinalSnapshots(req: RejoinRequest, plan: RejoinPlan, deps: RejoinDeps): Promise<FinalSnapshot[]> {
    const { progress } = deps;
    const clientsFor: ClientsFor = (region) => deps.clients.elastiCache(region);
    const retired = plan.deleteGroups.map((g) => ({ region: g.region, replicationGroupId: g.replicationGroupId }));
    // Groups an earlier run already deleted are no longer in the plan; their snapshots still are rejoin's to report.
    for (const region of memberRegions(plan.config).filter((r) => r !== plan.servingRegion && !retired.some((g) => g.region === r))) {
        const id = replicationGroupId(plan.config, region);
        if (await findFinalSnapshot(clientsFor, region, id, deps.signal)) {
            retired.push({ region, replicationGroupId: id });
        }
    }
    if (retired.length === 0) {
        return [];
    }
    return progress.step("final-snapshots", `waiting for the final snapshots of ${retired.map((g) => g.replicationGroupId).join(", ")} to be available ` +
        `(up to ${formatDuration(req.waitTimeoutMs)})`, async (step) => {
        let last: FinalSnapshot[] = [];
        await waitFor({
            waitingFor: "every final snapshot to be available", timeoutMs: req.waitTimeoutMs, step: "final-snapshots",
            clock: progress.clock, emit: progress.emit, signal: deps.signal,
            check: async (signal) => {
                const seen = await checkFinalSnapshots(clientsFor, retired, signal);
                last = seen.snapshots;
                return seen;
            },
        });
        step.summarize(last.map((s) => s.name).join(", "));
        return last;
    });
}

async function datastoreGone(clientsFor: ClientsFor, region: string, id: string, signal?: AbortSignal): Promise<PollResult> {
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" }, () =>
            clientsFor(region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id }), { abortSignal: signal }));
        return { state: answer.GlobalReplicationGroups?.[0]?.Status ?? "gone", done: !answer.GlobalReplicationGroups?.length };
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return { state: "deleted", done: true };
        }
        throw e;
    }
}

async function groupGone(clientsFor: ClientsFor, region: string, id: string, signal?: AbortSignal): Promise<PollResult> {
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeReplicationGroups" }, () =>
            clientsFor(region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }), { abortSignal: signal }));
        return { state: answer.ReplicationGroups?.[0]?.Status ?? "gone", done: !answer.ReplicationGroups?.length };
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return { state: "deleted", done: true };
        }
        throw e;
    }
}
