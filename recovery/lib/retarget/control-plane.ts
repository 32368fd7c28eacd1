/**
 * The ElastiCache calls of a promotion, each asked of one named region only: in an outage the old
 * primary's region is never contacted, because every call here takes the region it talks to.
 */
import {
    DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, DisassociateGlobalReplicationGroupCommand,
    ElastiCacheClient, FailoverGlobalReplicationGroupCommand,
} from "@aws-sdk/client-elasticache";
import { Clock } from "../clock";
import { AwsCallError, callAws } from "../errors";
import { Emit } from "../events";
import { PollResult, WaitResult, waitFor } from "../wait";
import { TargetGroupState } from "./decide";

export type ClientsFor = (region: string) => ElastiCacheClient;

/** The replication group as its own region reports it; undefined when AWS does not know it. */
export async function readTargetGroup(clientsFor: ClientsFor, region: string, replicationGroupId: string, signal?: AbortSignal): Promise<TargetGroupState | undefined> {
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeReplicationGroups" },
            () => clientsFor(region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }), { abortSignal: signal }));
        const group = answer.ReplicationGroups?.[0];
        if (!group) {
            return undefined;
        }
        const endpoint = group.ConfigurationEndpoint ?? group.NodeGroups?.[0]?.PrimaryEndpoint;
        return {
            replicationGroupId,
            status: group.Status ?? "unknown",
            datastoreId: group.GlobalReplicationGroupInfo?.GlobalReplicationGroupId,
            role: group.GlobalReplicationGroupInfo?.GlobalReplicationGroupMemberRole,
            memberClusters: group.MemberClusters ?? [],
            endpoint: endpoint?.Address && endpoint.Port !== undefined ? { address: endpoint.Address, port: endpoint.Port } : undefined,
        };
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return undefined;
        }
        throw e;
    }
}

export interface PromotionTarget {
    datastoreId: string;
    region: string;
    replicationGroupId: string;
}

/** PrimaryRegion and PrimaryReplicationGroupId name the secondary to promote, not the current primary. */
export function failoverInput(t: PromotionTarget) {
    return { GlobalReplicationGroupId: t.datastoreId, PrimaryRegion: t.region, PrimaryReplicationGroupId: t.replicationGroupId };
}

export function disassociateInput(t: PromotionTarget) {
    return { GlobalReplicationGroupId: t.datastoreId, ReplicationGroupId: t.replicationGroupId, ReplicationGroupRegion: t.region };
}

/**
 * Sent to the target's region: it answers for the datastore during an outage of the old primary's
 * region. Give it the clients for changes (one attempt): see RegionClients.elastiCacheForChanges.
 */
export async function requestFailover(clientsFor: ClientsFor, t: PromotionTarget, signal?: AbortSignal): Promise<void> {
    await callAws({ region: t.region, service: "elasticache", operation: "FailoverGlobalReplicationGroup" },
        () => clientsFor(t.region).send(new FailoverGlobalReplicationGroupCommand(failoverInput(t)), { abortSignal: signal }));
}

export async function requestDetach(clientsFor: ClientsFor, t: PromotionTarget, signal?: AbortSignal): Promise<void> {
    await callAws({ region: t.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" },
        () => clientsFor(t.region).send(new DisassociateGlobalReplicationGroupCommand(disassociateInput(t)), { abortSignal: signal }));
}

export interface WaitContext {
    clock: Clock;
    emit: Emit;
    step: string;
    signal?: AbortSignal;
}

/** Where the target stands in the datastore, as its own region reports it. */
export interface MembershipState {
    /** standalone: in no datastore; disassociating: a detach is under way; primary / secondary: a member with that role. */
    kind: "standalone" | "disassociating" | "primary" | "secondary" | "gone";
    /** For messages: "datastore modifying, us-west-2 SECONDARY (associated)". */
    state: string;
    datastoreStatus?: string;
    /** The target group's own status (DescribeReplicationGroups); undefined when it is gone. */
    groupStatus?: string;
}

export async function readMembership(clientsFor: ClientsFor, t: PromotionTarget, signal?: AbortSignal): Promise<MembershipState> {
    const group = await readTargetGroup(clientsFor, t.region, t.replicationGroupId, signal);
    if (!group) {
        return { kind: "gone", state: `${t.replicationGroupId} not found in ${t.region}` };
    }
    if (!group.datastoreId) {
        return { kind: "standalone", state: `standalone, ${group.status}` };
    }
    const answer = await callAws({ region: t.region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" },
        () => clientsFor(t.region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: group.datastoreId, ShowMemberInfo: true }), { abortSignal: signal }));
    const datastore = answer.GlobalReplicationGroups?.[0];
    const member = datastore?.Members?.find((m) => m.ReplicationGroupId === t.replicationGroupId);
    const state = `datastore ${datastore?.Status ?? "not found"}, ${t.region} ${member?.Role ?? "not listed"} (${member?.Status ?? "unknown"}), ` +
        `group ${group.status}`;
    if (!member || member.Status === "disassociating") {
        return { kind: "disassociating", state, datastoreStatus: datastore?.Status, groupStatus: group.status };
    }
    return { kind: member.Role === "PRIMARY" ? "primary" : "secondary", state, datastoreStatus: datastore?.Status, groupStatus: group.status };
}

/** Datastore statuses in which a PRIMARY member is settled and accepts writes. */
export function isSettled(datastoreStatus: string | undefined): boolean {
    return datastoreStatus === "available" || datastoreStatus === "primary-only";
}

/** The datastore's status and the target's role in it, as the target's region sees them. */
export interface PromotionState {
    /** Undefined when the datastore is not visible from the target's region. */
    datastoreStatus?: string;
    role: string;
    state: string;
}

export async function readPromotion(clientsFor: ClientsFor, t: PromotionTarget, signal?: AbortSignal): Promise<PromotionState> {
    const answer = await callAws({ region: t.region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" },
        () => clientsFor(t.region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: t.datastoreId, ShowMemberInfo: true }), { abortSignal: signal }));
    const datastore = answer.GlobalReplicationGroups?.[0];
    const role = datastore?.Members?.find((m) => m.ReplicationGroupId === t.replicationGroupId)?.Role ?? "not a member";
    return { datastoreStatus: datastore?.Status, role, state: `datastore ${datastore?.Status ?? "not found"}, ${t.region} ${role}` };
}

/**
 * Judges one view of a promotion: done when the datastore is settled with the target PRIMARY. A
 * datastore that is available again with the target still SECONDARY, after a change was seen
 * (`changeSeen`), went through some change that was not this promotion, or AWS dropped it: waiting
 * longer cannot help.
 */
export function judgePromotion(seen: PromotionState, t: PromotionTarget, changeSeen: boolean): PollResult {
    if (!seen.datastoreStatus) {
        return { state: seen.state, done: false, failed: `${t.datastoreId} is no longer visible from ${t.region}` };
    }
    if (isSettled(seen.datastoreStatus) && seen.role === "PRIMARY") {
        return { state: seen.state, done: true };
    }
    if (changeSeen && seen.datastoreStatus === "available" && seen.role === "SECONDARY") {
        return { state: seen.state, done: false, failed: `${t.datastoreId} is available again and ${t.replicationGroupId} is still SECONDARY: ` +
            "the change the datastore went through was not this promotion (someone else's change), or AWS dropped the promotion" };
    }
    return { state: seen.state, done: false };
}

export interface PromotionWaitOptions {
    /**
     * The datastore was already seen changing before this wait (a promotion under way, perhaps someone
     * else's change): from the first poll on, available with the target SECONDARY ends the wait.
     * Default false: only after the wait itself has seen it modifying.
     */
    changeSeen?: boolean;
}

export function waitUntilPromoted(clientsFor: ClientsFor, t: PromotionTarget, timeoutMs: number, ctx: WaitContext, opts: PromotionWaitOptions = {}): Promise<WaitResult> {
    let changeSeen = opts.changeSeen ?? false;
    return waitFor({
        waitingFor: `${t.replicationGroupId} in ${t.region} to be the primary of an available ${t.datastoreId}`,
        check: async (signal) => {
            const seen = await readPromotion(clientsFor, t, signal);
            changeSeen ||= seen.datastoreStatus === "modifying";
            return judgePromotion(seen, t, changeSeen);
        },
        timeoutMs, clock: ctx.clock, emit: ctx.emit, step: ctx.step, signal: ctx.signal,
    });
}

/** One poll: done when the group belongs to no datastore and is available, i.e. it accepts writes. */
export async function checkStandalone(clientsFor: ClientsFor, region: string, replicationGroupId: string, signal?: AbortSignal): Promise<PollResult> {
    const group = await readTargetGroup(clientsFor, region, replicationGroupId, signal);
    if (!group) {
        return { state: "not found", done: false, failed: `${replicationGroupId} no longer exists in ${region}` };
    }
    const membership = group.datastoreId ? `member of ${group.datastoreId} (${group.role ?? "unknown role"})` : "standalone";
    return { state: `${membership}, ${group.status}`, done: !group.datastoreId && group.status === "available" };
}

export function waitUntilStandalone(clientsFor: ClientsFor, region: string, replicationGroupId: string, timeoutMs: number, ctx: WaitContext): Promise<WaitResult> {
    return waitFor({
        waitingFor: `${replicationGroupId} in ${region} to be standalone and available`,
        check: (signal) => checkStandalone(clientsFor, region, replicationGroupId, signal),
        timeoutMs, clock: ctx.clock, emit: ctx.emit, step: ctx.step, signal: ctx.signal,
    });
}
