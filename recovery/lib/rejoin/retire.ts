/**
 * Retiring the old datastore and its stale groups: detach the old secondaries, delete the datastore
 * keeping its primary, delete each stale group with a final snapshot. Each step is skipped or only
 * waited for when a rerun finds it already asked for. `beforeDeleting` runs right before a group's
 * DeleteReplicationGroup, so the caller can count the old primary's writes once more.
 */
import {
    DeleteGlobalReplicationGroupCommand, DeleteReplicationGroupCommand, DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand,
    DisassociateGlobalReplicationGroupCommand,
} from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { AwsCallError, callAws } from "../errors";
import { Progress } from "../progress";
import { ClientsFor, waitUntilStandalone } from "../retarget/control-plane";
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
    if (plan.old) {
        const old = plan.old;
        for (const member of plan.detach) {
            await progress.step("detach-old", `detaching ${member.replicationGroupId} (${member.region}) from ${old.globalDatastoreId}`, async () => {
                // A rerun finds a detach it already asked for under way: wait for it, do not ask again.
                if (member.memberStatus !== "disassociating") {
                    await callAws({ region: member.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" }, () =>
                        change(member.region).send(new DisassociateGlobalReplicationGroupCommand({
                            GlobalReplicationGroupId: old.globalDatastoreId, ReplicationGroupId: member.replicationGroupId, ReplicationGroupRegion: member.region,
                        }), { abortSignal: signal }));
                }
                changes.detached.push({ region: member.region, replicationGroupId: member.replicationGroupId });
                await waitUntilStandalone(read, member.region, member.replicationGroupId, deps.waitTimeoutMs, { ...wait, step: "detach-old" });
            });
        }
        const region = plan.oldDatastoreRegion!;
        await progress.step("delete-old-datastore", `deleting ${old.globalDatastoreId} in ${region}, keeping its primary group for its final snapshot`, async () => {
            if (old.status !== "deleting") {
                await callAws({ region, service: "elasticache", operation: "DeleteGlobalReplicationGroup" }, () =>
                    change(region).send(new DeleteGlobalReplicationGroupCommand({
                        GlobalReplicationGroupId: old.globalDatastoreId, RetainPrimaryReplicationGroup: true,
                    }), { abortSignal: signal }));
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
        await progress.step("delete-stale-member", `deleting stale ${group.replicationGroupId} in ${group.region} with a final snapshot`, async () => {
            if (!group.alreadyDeleting) {
                // Checked before it is asked for: AWS refuses a taken name, and nothing would be deleted.
                await assertSnapshotNameFree(read, group.region, group.finalSnapshot, `the final snapshot of ${group.replicationGroupId}`, signal);
                await callAws({ region: group.region, service: "elasticache", operation: "DeleteReplicationGroup" }, () =>
                    change(group.region).send(new DeleteReplicationGroupCommand({
                        ReplicationGroupId: group.replicationGroupId, FinalSnapshotIdentifier: group.finalSnapshot,
                    }), { abortSignal: signal }));
            }
            changes.deletedGroups.push({ region: group.region, replicationGroupId: group.replicationGroupId, finalSnapshot: group.finalSnapshot });
            await waitFor({
                waitingFor: `${group.replicationGroupId} in ${group.region} to be deleted`, timeoutMs: deps.waitTimeoutMs, step: "delete-stale-member", ...wait,
                check: (s) => groupGone(read, group.region, group.replicationGroupId, s),
            });
        });
    }
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
