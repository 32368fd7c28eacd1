/**
 * rejoin: after an outage run detached the target, the serving cluster runs standalone and the old
 * datastore lingers with the old members. A cluster that holds data cannot join a datastore as a
 * secondary, so the old datastore and its stale members are retired (with final snapshots), and the
 * program rebuilds the datastore around the serving cluster, adding the other regions as fresh
 * secondaries. Nothing is ever sent to the serving cluster, and the guard refuses any plan that would
 * replace or delete it.
 *
 * Like retarget-primary it decides from what it observes: a rerun skips what is already gone.
 */
import {
    DeleteGlobalReplicationGroupCommand, DeleteReplicationGroupCommand, DescribeGlobalReplicationGroupsCommand,
    DescribeReplicationGroupsCommand, DisassociateGlobalReplicationGroupCommand,
} from "@aws-sdk/client-elasticache";
import { fullKey } from "../../components/config/keys";
import { StackConfig, memberRegions } from "../../components/config/types";
import { finalSnapshotName, replicationGroupId } from "../../components/naming";
import { RegionClients } from "./clients";
import { AwsCallError, callAws } from "./errors";
import { fileTimestamp } from "./report";
import { previewThenUp } from "./guard";
import { Progress } from "./progress";
import { RefusedError } from "./retarget/preflight";
import { ClientsFor, readTargetGroup, waitUntilStandalone } from "./retarget/control-plane";
import { describeMembers } from "./retarget/decide";
import { ConfigChange, applyConfigChanges, readStackConfig } from "./stack-config";
import { StackDriver } from "./stack-driver";
import { Topology, TopologyError, TopologyMember, discoverTopology } from "./topology";
import { PollResult, waitFor } from "./wait";

export interface RejoinRequest {
    dryRun: boolean;
    /** How long each deletion or detach may take. */
    waitTimeoutMs: number;
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
    /** The old datastore, when still visible. */
    old?: Topology;
    /** Old secondaries to detach before the datastore can be deleted. */
    detach: TopologyMember[];
    /** Stale groups to delete, with their final snapshot names; a group already deleting is only waited for. */
    deleteGroups: { region: string; replicationGroupId: string; finalSnapshot: string; alreadyDeleting: boolean }[];
    configChanges: ConfigChange[];
    lines: string[];
}

export interface RejoinResult {
    summary: string;
    nextSteps: string[];
    plan: string[];
}

export async function planRejoin(deps: RejoinDeps): Promise<RejoinPlan> {
    const { driver, progress, clients } = deps;
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const { raw, config } = await progress.step("stack", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        step.found(`serving (primaryRegion) ${read.config.primaryRegion}, foundingRegion ${read.config.foundingRegion}, other regions ${read.config.secondaryRegions.join(", ")}`);
        return read;
    });
    const servingRegion = config.primaryRegion;
    const servingGroupId = replicationGroupId(config, servingRegion);

    await progress.step("serving-cluster", `checking that ${servingGroupId} in ${servingRegion} is standalone and available`, async (step) => {
        const group = await readTargetGroup(clientsFor, servingRegion, servingGroupId, deps.signal);
        if (!group) {
            throw new RefusedError(`the serving cluster ${servingGroupId} does not exist in ${servingRegion}; rejoin rebuilds around it, so nothing can be done.`);
        }
        if (group.datastoreId) {
            throw new RefusedError(`the serving cluster ${servingGroupId} is ${group.role} of ${group.datastoreId}, not standalone: ` +
                "rejoin is only for after retarget-primary --mode outage detached it. If the datastore is whole, use retarget-primary --reconcile-only.");
        }
        if (group.status !== "available") {
            throw new RefusedError(`the serving cluster ${servingGroupId} is ${group.status}; wait until it is available and run rejoin again.`);
        }
        step.found(`${servingGroupId} is standalone and available: it serves writes and will found the new datastore`);
    });

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
            // Either an earlier rejoin already deleted it, or its regions do not answer yet: the member groups tell which.
            step.found(`no old datastore visible: ${e.message}`, { level: "warn" });
            return undefined;
        }
    });

    const stamp = fileTimestamp(progress.startedAt).slice(0, 15).toLowerCase().replace(/[^a-z0-9]/g, "");
    const staleGroups = old
        ? old.members.filter((m) => m.region !== servingRegion)
        : await remainingStaleGroups(clientsFor, config, others, deps.signal);
    const deleteGroups = staleGroups.map((m) => ({
        region: m.region, replicationGroupId: m.replicationGroupId, finalSnapshot: `${finalSnapshotName(config, m.region)}-rejoin-${stamp}`,
        alreadyDeleting: m.replicationGroupStatus === "deleting",
    }));
    const detach = old ? old.members.filter((m) => m.role === "SECONDARY" && m.region !== servingRegion) : [];
    const configChanges: ConfigChange[] = config.foundingRegion === servingRegion && raw.foundingRegion !== undefined ? []
        : [{ key: fullKey("foundingRegion"), from: raw.foundingRegion, to: servingRegion }];
    const lines = [
        ...detach.map((m) => `call DisassociateGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old!.globalDatastoreId, ReplicationGroupId: m.replicationGroupId, ReplicationGroupRegion: m.region })} in ${m.region}`),
        ...(old ? [old.status === "deleting" ? `wait for ${old.globalDatastoreId}, already deleting, to be gone`
            : `call DeleteGlobalReplicationGroup ${JSON.stringify({ GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true })} in ${oldPrimaryRegion(old, others)}`] : []),
        ...deleteGroups.map((g) => g.alreadyDeleting ? `wait for ${g.replicationGroupId} in ${g.region}, already deleting, to be gone`
            : `call DeleteReplicationGroup ${JSON.stringify({ ReplicationGroupId: g.replicationGroupId, FinalSnapshotIdentifier: g.finalSnapshot })} in ${g.region}`),
        ...configChanges.map((c) => `set ${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`),
        `refresh stack ${driver.stackName}, preview through the guard (no replace or delete of ${servingGroupId} or any cache), then up: ` +
            `the program creates the datastore around ${servingGroupId} and adds ${others.join(", ")} as fresh secondaries`,
        `nothing is sent to ${servingGroupId}`,
    ];
    if (!old && deleteGroups.length === 0 && others.length > 0) {
        progress.found("the old datastore and stale members are gone already (an earlier rejoin, or deleted by hand): only the stack update remains");
    }
    return { config, servingRegion, servingGroupId, old, detach, deleteGroups, configChanges, lines };
}

function oldPrimaryRegion(old: Topology, fallback: string[]): string {
    return old.members.find((m) => m.role === "PRIMARY")?.region ?? fallback[0];
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

export async function runRejoin(req: RejoinRequest, deps: RejoinDeps): Promise<RejoinResult> {
    const { driver, progress, clients } = deps;
    const plan = await planRejoin(deps);
    progress.found(`plan: ${plan.lines.join("; ")}`);
    const rerun = `${deps.invocation} rejoin --stack ${driver.stackName} --yes`;
    if (req.dryRun) {
        await progress.step("preview", `previewing stack ${driver.stackName} (dry run: current configuration and state)`, async (step) => {
            const steps = await driver.preview();
            step.found(`the current preview plans ${steps.filter((s) => s.op !== "same").length} changes; the real run deletes the stale resources, ` +
                "sets foundingRegion and refreshes first, then previews again through the guard before any up");
        });
        return { summary: "dry run: nothing was changed", plan: plan.lines, nextSteps: [`Review the plan above, then run: ${rerun}`] };
    }
    await deps.confirm(plan.lines, plan.servingRegion);
    const clientsFor: ClientsFor = (region) => clients.elastiCache(region);
    const wait = { clock: progress.clock, emit: progress.emit, signal: deps.signal };

    if (plan.old) {
        const old = plan.old;
        for (const member of plan.detach) {
            await progress.step("detach-old", `detaching ${member.replicationGroupId} (${member.region}) from ${old.globalDatastoreId}`, async () => {
                // A rerun finds a detach it already asked for under way: wait for it, do not ask again.
                if (member.memberStatus !== "disassociating") {
                    await callAws({ region: member.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" }, () =>
                        clientsFor(member.region).send(new DisassociateGlobalReplicationGroupCommand({
                            GlobalReplicationGroupId: old.globalDatastoreId, ReplicationGroupId: member.replicationGroupId, ReplicationGroupRegion: member.region,
                        }), { abortSignal: deps.signal }));
                }
                await waitUntilStandalone(clientsFor, member.region, member.replicationGroupId, req.waitTimeoutMs, { ...wait, step: "detach-old" });
            });
        }
        const region = oldPrimaryRegion(old, []);
        await progress.step("delete-old-datastore", `deleting ${old.globalDatastoreId}, keeping its primary group for its final snapshot`, async () => {
            if (old.status !== "deleting") {
                await callAws({ region, service: "elasticache", operation: "DeleteGlobalReplicationGroup" }, () =>
                    clientsFor(region).send(new DeleteGlobalReplicationGroupCommand({
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
        await progress.step("delete-stale-member", `deleting stale ${group.replicationGroupId} in ${group.region} with final snapshot ${group.finalSnapshot}`, async () => {
            if (!group.alreadyDeleting) {
                await callAws({ region: group.region, service: "elasticache", operation: "DeleteReplicationGroup" }, () =>
                    clientsFor(group.region).send(new DeleteReplicationGroupCommand({
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
        await progress.step("stack-config-update", `setting foundingRegion to ${plan.servingRegion}`, async () => {
            await applyConfigChanges(driver, plan.configChanges);
        });
    }
    await progress.step("refresh", `refreshing stack ${driver.stackName}: the deleted resources leave the state`, () => driver.refresh());
    await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock });
    return {
        summary: `the datastore is declared again around ${plan.servingGroupId}; the other regions join as fresh secondaries`,
        plan: plan.lines,
        nextSteps: [
            `Watch the new secondaries join (tens of minutes): DescribeGlobalReplicationGroups in ${plan.servingRegion}.`,
            `Commit the updated stack configuration (Pulumi.${driver.stackName}.yaml: foundingRegion ${plan.servingRegion}).`,
            `Final snapshots of the retired groups: ${plan.deleteGroups.map((g) => `${g.finalSnapshot} (${g.region})`).join(", ") || "none were needed"}; ` +
                "delete them once you are sure no write is missing.",
        ],
    };
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
