/**
 * The mutating half of a shard failover: one TestFailover call, then its events followed until the
 * replaced node has recovered. The call goes through change.ts (clients for changes): a throttled one is
 * asked again after the events show no such call, and when its answer is lost the events decide
 * whether AWS took it, so a failover is never started twice.
 */
import { TestFailoverCommand } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { sendChange } from "../change";
import { AwsCallError } from "../errors";
import { formatDuration, isoTime } from "../printer";
import { StepContext, firstLine } from "../progress";
import { Clock } from "../clock";
import { WaitTimeoutError, waitFor } from "../wait";
import { FailoverEvent, FailoverProgress, describeProgress, describeTakeover, latestFailover, readEvents, shardFailoverEvents } from "./events";
import { describeEventsCommand, describeGroupCommand, refusal } from "./preflight";
import { ShardState } from "./shard";
import { ShardTarget } from "./target";

/**
 * How far before our own clock's "now" AWS may stamp the events of our call: the two clocks are not
 * the same, and an event a few seconds "before" the call must still count as its own.
 */
export const EVENT_CLOCK_SKEW_MS = 60_000;

export function testFailoverInput(target: ShardTarget) {
    return { ReplicationGroupId: target.replicationGroupId, NodeGroupId: target.nodeGroupId };
}

export interface FailoverCallOptions {
    clients: RegionClients;
    target: ShardTarget;
    shard: ShardState;
    clock: Clock;
    /** Events before this instant belong to earlier failovers (the newest earlier "called" event of the shard, plus 1 ms). */
    notBeforeMs: number;
    /**
     * What this run has already changed (a drill's earlier failovers). Default: nothing, and a refusal
     * says "Nothing was changed"; with it, a refusal names those changes instead.
     */
    changedSoFar?: string;
    signal?: AbortSignal;
}

/** Kinds of AWS errors that mean the call was refused, so nothing started (throttled: only once change.ts gave up asking). */
const REFUSED_KINDS = new Set(["invalid-state", "not-found", "throttled", "access-denied", "credentials"]);

/**
 * Calls TestFailover through change.ts. Resolves with the instant events of this failover may start
 * from. A throttled call is asked again once the events show no such call; a refusal (quota, state,
 * one at a time, or throttling that outlasted its bound) is a refusal that explains it (preflight.ts
 * refusal()); an unclear failure (no answer, a 5xx) is settled by the events: if AWS reports the
 * call, the failover goes on, otherwise the error stands.
 */
export async function callTestFailover(step: StepContext, opts: FailoverCallOptions): Promise<number> {
    const { target, clients, clock } = opts;
    const sentAt = clock.now();
    const since = Math.max(opts.notBeforeMs, sentAt - EVENT_CLOCK_SKEW_MS);
    try {
        const outcome = await sendChange({
            context: { region: target.region, service: "elasticache", operation: "TestFailover" },
            send: (signal) => clients.elastiCacheForChanges(target.region).send(new TestFailoverCommand(testFailoverInput(target)), { abortSignal: signal }),
            lookFor: async () => {
                const seen = await calledSince(opts, since);
                return seen ? `the events report the call at ${isoTime(seen.at)}` : undefined;
            },
            clock, signal: opts.signal, step,
        });
        step.summarize(outcome.result === "accepted"
            ? `AWS accepted TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} at ${isoTime(sentAt)}`
            : `AWS reports a TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} under way (${outcome.seen})`);
        return since;
    } catch (e) {
        if (e instanceof AwsCallError && REFUSED_KINDS.has(e.kind)) {
            throw refusal(opts.changedSoFar, (changed) => `AWS refused TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region}: ` +
                `${e.message} ${changed} AWS allows 15 node groups per rolling 24 hours, one at a time per replication group, and may block ` +
                `the API during large-scale events. Check the events (${describeEventsCommand(target)}) and the group (${describeGroupCommand(target)}).`);
        }
        throw new Error(`TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region} failed: ${firstLine(e)} ` +
            "The events show no such call, so no failover started as far as AWS reports. Run the same command again: it reads the events " +
            "first and follows a failover under way instead of calling twice.", { cause: e });
    }
}

async function shardEventsSince(opts: FailoverCallOptions, since: number): Promise<FailoverEvent[]> {
    const events = await readEvents(opts.clients, opts.target.region, since, opts.signal);
    return shardFailoverEvents(events, opts.target.replicationGroupId, opts.target.nodeGroupId, opts.shard.nodes.map((n) => n.cacheClusterId));
}

async function calledSince(opts: FailoverCallOptions, since: number): Promise<FailoverEvent | undefined> {
    return latestFailover(await shardEventsSince(opts, since), since)?.called;
}

export interface FollowOptions extends FailoverCallOptions {
    /** How long to wait for "Finished recovery for cache nodes". */
    timeoutMs: number;
    /** Called once, when AWS first reports the replica promoted (writes go to it from then on). */
    onPromoted?: (event: FailoverEvent) => void;
}

/** The run waited longer than --wait-timeout; the message says where the failover stood and what to check. */
export class FailoverTimeoutError extends Error {
    constructor(message: string, readonly progress: FailoverProgress | undefined, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "FailoverTimeoutError";
    }
}

/** Follows the failover's events (from `since`) until the replaced node has recovered. */
export async function followFailover(step: StepContext, since: number, opts: FollowOptions): Promise<FailoverProgress> {
    const { target } = opts;
    let latest: FailoverProgress | undefined;
    let promotedSeen = false;
    try {
        await waitFor({
            waitingFor: `the TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} to finish ("Finished recovery for cache nodes")`,
            timeoutMs: opts.timeoutMs, clock: opts.clock, signal: opts.signal, emit: step.emit, step: step.name,
            check: async () => {
                latest = latestFailover(await shardEventsSince(opts, since), since) ?? latest;
                if (latest?.promoted && !promotedSeen) {
                    promotedSeen = true;
                    opts.onPromoted?.(latest.promoted);
                }
                return { state: latest ? describeProgress(latest) : "no event about the call yet", done: latest?.recovered !== undefined };
            },
        });
    } catch (e) {
        if (!(e instanceof WaitTimeoutError)) {
            throw e;
        }
        throw new FailoverTimeoutError(timeoutMessage(target, latest, opts.timeoutMs), latest, { cause: e });
    }
    return latest!;
}

function timeoutMessage(target: ShardTarget, latest: FailoverProgress | undefined, timeoutMs: number): string {
    const where = `shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region}`;
    const last = latest ? `The last event seen: "${latest.last.message}" (${latest.last.source}) at ${isoTime(latest.last.at)}.` : "AWS reported no event about the call at all.";
    const writes = latest?.promoted
        ? `The replica was promoted (${describeTakeover(latest)}), so writes should go to it; only the replacement of the old primary has not been reported finished.`
        : "AWS has not reported the promotion yet: the old primary may still be in charge, or the shard may be without a primary.";
    return `the TestFailover of ${where} did not finish within ${formatDuration(timeoutMs)} (no "Finished recovery for cache nodes" event). ${last} ${writes} ` +
        `Check: the events (${describeEventsCommand(target)}), the node group's status (${describeGroupCommand(target)}), the shard's alarms and ` +
        "the AWS Health Dashboard. Run the same command again to keep following it: it does not call TestFailover again while this one is under way.";
}
