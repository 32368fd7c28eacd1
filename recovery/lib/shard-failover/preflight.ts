/**
 * The read-only half of a shard failover: the replication group and the shard as the control plane
 * shows them, the events of the last 24 hours (quota, failovers under way, nodes being replaced, the
 * current primary), and the decision: call TestFailover, follow one already under way, or refuse.
 * Reruns are safe because a failover of the shard that is still running is followed, never repeated.
 */
import { Event } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { isoTime } from "../printer";
import { Progress } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { FailoverProgress, describeProgress, latestFailover, readEvents, shardFailoverEvents, FailoverEvent } from "./events";
import { QUOTA_WINDOW_MS, TestFailoverQuota, countQuota, describeQuota, quotaRefusal } from "./quota";
import { GroupState, ShardState, crossAzReplica, describeNodes, knownPrimary, nodesInRecovery, readGroup } from "./shard";
import { ShardTarget } from "./target";

export interface ShardPreflight {
    group: GroupState;
    shard: ShardState;
    quota: TestFailoverQuota;
    /** The shard's failover events of the last 24 hours, oldest first. */
    shardEvents: FailoverEvent[];
    /** A TestFailover of this shard that has not finished: the run follows it instead of calling again. */
    underWay?: FailoverProgress;
    /** What the replica check found (when a new call is to be made). */
    replicaDetail?: string;
}

export interface ShardPreflightOptions {
    /** TestFailover calls the caller is about to make in this region, this one included. Default 1; 0 skips the quota check. */
    quotaNeeded?: number;
    /**
     * What this run has already changed (a drill's earlier failovers). Default: nothing, and a refusal
     * says "Nothing was changed"; with it, a refusal names those changes instead.
     */
    changedSoFar?: string;
    signal?: AbortSignal;
}

/**
 * A run that stops after it has changed something must not say "Nothing was changed", and must not
 * be taken for a refusal (the CLI would tell the operator nothing changed). Before any change: a
 * RefusedError. After: an error that says what this run has already changed.
 */
export class StoppedAfterChangesError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StoppedAfterChangesError";
    }
}

/** The error for a refusal: `text` gets the sentence that says what was changed so far. */
export function refusal(changedSoFar: string | undefined, text: (changed: string) => string): Error {
    return changedSoFar === undefined ? new RefusedError(text("Nothing was changed."))
        : new StoppedAfterChangesError(text(`This run stops here, but it has already changed: ${changedSoFar}.`));
}

/** Tells how to look at the group by hand: the first thing to do when the run refuses. */
export function describeGroupCommand(target: ShardTarget): string {
    return `aws elasticache describe-replication-groups --replication-group-id ${target.replicationGroupId} --region ${target.region}`;
}

export function describeEventsCommand(target: ShardTarget, minutes = 60): string {
    return `aws elasticache describe-events --region ${target.region} --duration ${minutes}`;
}

function nodeIds(shard: ShardState): string[] {
    return shard.nodes.map((n) => n.cacheClusterId);
}

/** Failovers of other shards of the same group that have not finished: AWS runs one at a time per group. */
function othersUnderWay(events: readonly Event[], group: GroupState, shardId: string): { shard: string; progress: FailoverProgress }[] {
    return group.shards.filter((s) => s.nodeGroupId !== shardId).flatMap((s) => {
        const progress = latestFailover(shardFailoverEvents(events, group.replicationGroupId, s.nodeGroupId, nodeIds(s)));
        return progress && !progress.recovered ? [{ shard: s.nodeGroupId, progress }] : [];
    });
}

export async function preflightShard(target: ShardTarget, clients: RegionClients, progress: Progress, options: ShardPreflightOptions = {}): Promise<ShardPreflight> {
    const { region, replicationGroupId: rgId, nodeGroupId } = target;
    const label = `shard ${nodeGroupId} of ${rgId} in ${region}`;
    const group = await progress.step("group", `reading replication group ${rgId} and its shard ${nodeGroupId} in ${region}`, async (step) => {
        const found = await readGroup(clients, region, rgId, options.signal);
        if (!found) {
            throw refusal(options.changedSoFar, (changed) => `replication group ${rgId} (from ${target.idSource}) does not exist in ${region}: ` +
                `check the stack and the region (${describeGroupCommand(target)}). ${changed}`);
        }
        step.found(`${rgId} is ${found.status}; automatic failover ${found.automaticFailover ?? "unknown"}, Multi-AZ ${found.multiAz ?? "unknown"}; ` +
            `shards ${found.shards.map((s) => `${s.nodeGroupId} (${s.status})`).join(", ")}`);
        if (!found.shards.some((s) => s.nodeGroupId === nodeGroupId)) {
            throw refusal(options.changedSoFar, (changed) => `--shard ${nodeGroupId} is not a node group of ${rgId} in ${region}. Accepted: ` +
                `${found.shards.map((s) => s.nodeGroupId).join(", ") || "none (the group reports no node groups)"}. ${changed}`);
        }
        step.summarize(`${rgId} is ${found.status}`);
        return found;
    });
    const shard = group.shards.find((s) => s.nodeGroupId === nodeGroupId)!;

    return progress.step("events", `reading the events of ${region} of the last 24 hours: the TestFailover quota, failovers under way, nodes being replaced`, async (step) => {
        const now = progress.clock.now();
        const events = await readEvents(clients, region, now - QUOTA_WINDOW_MS, options.signal);
        const quota = countQuota(events, now);
        step.found(describeQuota(quota), { detail: { used: quota.used, limit: quota.limit } });
        const shardEvents = shardFailoverEvents(events, rgId, nodeGroupId, nodeIds(shard));
        const latest = latestFailover(shardEvents);
        if (latest && !latest.recovered) {
            step.found(`a TestFailover of ${label} called at ${isoTime(latest.called.at)} has not finished (${describeProgress(latest)}): ` +
                "following it, without a new call");
            step.summarize("a failover of this shard is under way");
            return { group, shard, quota, shardEvents, underWay: latest };
        }
        const others = othersUnderWay(events, group, nodeGroupId);
        if (others.length > 0) {
            const other = others[0];
            throw refusal(options.changedSoFar, (changed) => `a TestFailover of shard ${other.shard} of ${rgId} is still under way ` +
                `(${describeProgress(other.progress)}); AWS allows one at a time per replication group, until "Finished recovery for cache nodes". ${changed} ` +
                `Run the same command again once it has finished (${describeEventsCommand(target)}).`);
        }
        if (group.status !== "available" || shard.status !== "available") {
            throw refusal(options.changedSoFar, (changed) => `replication group ${rgId} in ${region} is ${group.status} and its shard ${nodeGroupId} is ` +
                `${shard.status}: TestFailover needs both available. ${changed} Wait until they are (${describeGroupCommand(target)}), then run the same command again.`);
        }
        const primary = knownPrimary(shardEvents, shard.nodes);
        if (primary) {
            step.found(`the primary of shard ${nodeGroupId} is ${primary.node.cacheClusterId} (${primary.node.availabilityZone}), ` +
                `from the event at ${isoTime(primary.event.at)}: "${primary.event.message}"`);
        }
        const verdict = crossAzReplica(shard, nodesInRecovery(shardEvents), primary?.node);
        if (!verdict.ok) {
            throw refusal(options.changedSoFar, (changed) => `no healthy replica in another availability zone: ${verdict.reason}. A failover would leave ` +
                `the shard's primary in the AZ that may be failing, or with no replica at all. ${changed} Add a replica in another AZ (config replicasPerShard, ` +
                `then deploy), or wait until the node being replaced has recovered, then run the same command again.`);
        }
        step.found(verdict.detail);
        // After the replica check: a shard without a replica also turns automatic failover off, and "no replica" is the actionable finding.
        if (group.automaticFailover === "disabled") {
            throw refusal(options.changedSoFar, (changed) => `automatic failover is disabled on ${rgId} in ${region}: TestFailover needs it, and the ` +
                `program always enables it. ${changed} Check the group (${describeGroupCommand(target)}) and deploy the stack.`);
        }
        const quotaProblem = options.quotaNeeded === 0 ? undefined : quotaRefusal(quota, options.quotaNeeded ?? 1, region);
        if (quotaProblem) {
            throw refusal(options.changedSoFar, (changed) => `refusing before calling TestFailover: ${quotaProblem} ${changed}`);
        }
        step.summarize(`${label} can fail over: ${describeNodes(shard.nodes)}`);
        return { group, shard, quota, shardEvents, replicaDetail: verdict.detail };
    });
}
