/**
 * Retiring the old datastore and its stale groups: detach the old secondaries, delete the datastore
 * keeping its primary, delete each stale group with a final snapshot. Each step is skipped or only
 * waited for when a rerun finds it already asked for. Each request goes through change.ts: a throttled
 * one is asked again, an unclear one settled by reading the state. `beforeDeleting` runs right before a
 * group's DeleteReplicationGroup, so the caller can count the old primary's writes once more.
 */
import {
    DeleteGlobalReplicationGroupCommand, DeleteReplicationGroupCommand, DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand,
    DisassociateGlobalReplicationGroupCommand,
} from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { sendChange } from "../change";
import { AwsCallError, callAws } from "../errors";
import { Progress, StepContext } from "../progress";
import { ClientsFor, readMembership, waitUntilStandalone } from "../retarget/control-plane";
import { PollResult, waitFor } from "../wait";
import { assertSnapshotNameFree } from "../snapshots/list";
import { RejoinChanges } from "./errors";
import { RetirePlan, StaleGroup } from "./plan";

export interface RetireDeps {
    clients: RegionClients;
    progress: Progress;
    /** How long each detach or deletion may take. */
    waitTimeoutMs: number;
    signal?: AbortSignal;
    /** Records what was done, for the messages of a later stop. */
    changes: RejoinChanges;
    beforeDeleting(group: StaleGroup): Promise<void>;
}

export async function retireOld(plan: RetirePlan, deps: RetireDeps): Promise<void> {
    const { progress, clients, signal, changes } = deps;
    const read: ClientsFor = (region) => clients.elastiCache(region);
    const change: ClientsFor = (region) => clients.elastiCacheForChanges(region);
    const wait = { clock: progress.clock, emit: progress.emit, signal };
    const changeContext = (step: StepContext) => ({ clock: progress.clock, signal, step });
    if (plan.old) {
        const old = plan.old;
        for (const member of plan.detach) {
            await progress.step("detach-old", `detaching ${member.replicationGroupId} (${member.region}) from ${old.globalDatastoreId}`, async (step) => {
                // A rerun finds a detach it already asked for under way: wait for it, do not ask again.
                if (member.memberStatus !== "disassociating") {
                    const target = { datastoreId: old.globalDatastoreId, region: member.region, replicationGroupId: member.replicationGroupId };
                    await sendChange({
                        context: { region: member.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" },
                        send: (s) => change(member.region).send(new DisassociateGlobalReplicationGroupCommand({
                            GlobalReplicationGroupId: old.globalDatastoreId, ReplicationGroupId: member.replicationGroupId, ReplicationGroupRegion: member.region,
                        }), { abortSignal: s }),
                        lookFor: async (_reason, s) => {
                            const seen = await readMembership(read, target, s);
                            return seen.kind === "standalone" || seen.kind === "disassociating" ? `${member.replicationGroupId} shows ${seen.state}` : undefined;
                        },
                        ...changeContext(step),
                    });
                }
                changes.detached.push({ region: member.region, replicationGroupId: member.replicationGroupId });
                await waitUntilStandalone(read, member.region, member.replicationGroupId, deps.waitTimeoutMs, { ...wait, step: "detach-old" });
            });
        }
        const region = plan.oldDatastoreRegion!;
        await progress.step("delete-old-datastore", `deleting ${old.globalDatastoreId} in ${region}, keeping its primary group for its final snapshot`, async (step) => {
            if (old.status !== "deleting") {
                await sendChange({
                    context: { region, service: "elasticache", operation: "DeleteGlobalReplicationGroup" },
                    send: (s) => change(region).send(new DeleteGlobalReplicationGroupCommand({
                        GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true,
                    }), { abortSignal: s }),
                    lookFor: async (_reason, s) => deletionShows(old.globalDatastoreId, await datastoreGone(read, region, old.globalDatastoreId, s)),
                    ...changeContext(step),
                });
            }
            changes.deletedDatastore = old.globalDatastoreId;
            await waitFor({
                waitingFor: `${old.globalDatastoreId} to be deleted`, timeoutMs: deps.waitTimeoutMs, step: "delete-old-datastore", ...wait,
                check: (s) => datastoreGone(read, region, old.globalDatastoreId, s),
            });
        });
    }
    for (const group of plan.deleteGroups) {
        if (!group.alreadyDeleting) {
            await deps.beforeDeleting(group);
        }
        await progress.step("delete-stale-member", `deleting stale ${group.replicationGroupId} in ${group.region} with a final snapshot`, async (step) => {
            if (!group.alreadyDeleting) {
                // Checked before it is asked for: AWS refuses a taken name, and nothing would be deleted.
                await assertSnapshotNameFree(read, group.region, group.finalSnapshot, `the final snapshot of ${group.replicationGroupId}`, signal);
                // The deletion takes the final snapshot: a throttled one is asked again (nothing was deleted, nothing snapshotted).
                await sendChange({
                    context: { region: group.region, service: "elasticache", operation: "DeleteReplicationGroup" },
                    send: (s) => change(group.region).send(new DeleteReplicationGroupCommand({
                        ReplicationGroupId: group.replicationGroupId, FinalSnapshotIdentifier: group.finalSnapshot,
                    }), { abortSignal: s }),
                    lookFor: async (_reason, s) => deletionShows(group.replicationGroupId, await groupGone(read, group.region, group.replicationGroupId, s)),
                    ...changeContext(step),
                });
            }
            changes.deletedGroups.push({ region: group.region, replicationGroupId: group.replicationGroupId, finalSnapshot: group.finalSnapshot });
            await waitFor({
                waitingFor: `${group.replicationGroupId} in ${group.region} to be deleted`, timeoutMs: deps.waitTimeoutMs, step: "delete-stale-member", ...wait,
                check: (s) => groupGone(read, group.region, group.replicationGroupId, s),
            });
        });
    }
}

/** A deletion shows once the resource is deleting or gone. */
function deletionShows(id: string, poll: PollResult): string | undefined {
    return poll.done || poll.state === "deleting" ? `${id} is ${poll.state}` : undefined;
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
