/**
 * One measured event of a drill: a shard failover (TestFailover, followed to its end), or a promotion
 * of a region (retarget-primary, planned). Each one is bracketed for the measurement: the instant the
 * change was asked for, the first acknowledged canary write after it took effect, then the settle time
 * and the reader's check for lost writes (recovery/dataplane/measure.ts defines the numbers).
 *
 * The canary stamps its samples with Date.now(), so these instants do too: the measurement compares
 * them with the canary's, whatever clock the control-plane polling runs on.
 */
import type { Cluster } from "ioredis";
import { Canary, CanaryClient } from "../../dataplane/canary";
import { DrillEvent } from "../../dataplane/measure";
import { DEFAULT_MAX_LAG_SECONDS, judgeLag, readReplicationLag } from "../lag";
import { WaitTimeoutError, waitFor } from "../wait";
import { Progress, firstLine } from "../progress";
import { RunReport } from "../report";
import { runRetarget } from "../retarget/run";
import { RegionClients } from "../clients";
import { StackDriver } from "../stack-driver";
import { callTestFailover } from "./failover";
import { ShardPreflight, StoppedAfterChangesError, describeGroupCommand, preflightShard, refusal } from "./preflight";
import { readGroup } from "./shard";
import { followShardFailover } from "./run";
import { ShardTarget } from "./target";
import { writeMarkers } from "../../dataplane/marker";

/**
 * The canary's connection, which a promotion moves to the new primary region the way applications
 * move: when the writer endpoint changes. Writes in between fail or go to the old primary, and count.
 */
export class WriterConnection implements CanaryClient {
    constructor(private current: Cluster, public region: string) {}

    call(command: string, ...args: (string | number)[]): Promise<unknown> {
        return this.current.call(command, ...args);
    }

    /**
     * Writes the recovery-point markers (dataplane/marker.ts) on every shard: a later restore reads them
     * back to measure how much a snapshot taken after this instant really holds.
     */
    async markRecoveryPoint(now: number): Promise<number> {
        return (await writeMarkers(this.current, "drill", now)).length;
    }

    /** Points the canary at `next` and closes the previous connection. */
    moveTo(next: Cluster, region: string): void {
        const previous = this.current;
        this.current = next;
        this.region = region;
        previous.disconnect();
    }

    disconnect(): void {
        this.current.disconnect();
    }
}

export interface EventDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    report: RunReport;
    canary: Canary;
    /** Canary traffic after the change took effect, before the reader checks for lost writes. */
    settleMs: number;
    /** How long a failover or promotion may take. */
    waitTimeoutMs: number;
    invocation: string;
    signal?: AbortSignal;
}

/** The first acknowledgement of `shard` at or after `at` (Date.now() time), or undefined. */
function firstAckAfter(canary: Canary, shard: string, at: number): number | undefined {
    const acks = canary.acknowledged(shard).map((w) => w.ackedAt).filter((t) => t >= at);
    return acks.length ? Math.min(...acks) : undefined;
}

async function settleAndVerify(deps: EventDeps, kind: string, shard: string, startedAt: number, recoveredAt: number | undefined): Promise<DrillEvent> {
    await deps.progress.clock.sleep(deps.settleMs, deps.signal);
    const endedAt = Date.now();
    const verification = await deps.canary.verify();
    return { kind, shard, startedAt, ...(recoveredAt !== undefined ? { recoveredAt } : {}), endedAt, verification };
}

/**
 * Waits (bounded) until the replication group and the shard's node group are available: after the
 * previous failover's "Finished recovery", AWS may keep them modifying a while longer, and
 * TestFailover needs both available.
 */
async function groupAvailable(target: ShardTarget, deps: EventDeps, changedSoFar: string | undefined): Promise<void> {
    await deps.progress.step(`available-${target.nodeGroupId}`, `waiting until ${target.replicationGroupId} and its shard ${target.nodeGroupId} are available`, async (step) => {
        try {
            const result = await waitFor({
                waitingFor: `${target.replicationGroupId} and its node group ${target.nodeGroupId} in ${target.region} to be available`,
                timeoutMs: deps.waitTimeoutMs, clock: deps.progress.clock, signal: deps.signal, emit: step.emit, step: step.name,
                check: async () => {
                    const group = await readGroup(deps.clients, target.region, target.replicationGroupId, deps.signal);
                    const shard = group?.shards.find((s) => s.nodeGroupId === target.nodeGroupId);
                    return { state: `group ${group?.status ?? "not found"}, shard ${shard?.status ?? "not found"}`,
                        done: group?.status === "available" && shard?.status === "available" };
                },
            });
            step.summarize(`${result.state}, after ${Math.round(result.elapsedMs / 1000)} s`);
        } catch (e) {
            if (!(e instanceof WaitTimeoutError) || changedSoFar === undefined) {
                throw e;
            }
            throw new StoppedAfterChangesError(`${firstLine(e)} The drill stops before the TestFailover of shard ${target.nodeGroupId}, but it has ` +
                `already changed: ${changedSoFar}. Check the group (${describeGroupCommand(target)}).`);
        }
    });
}

/**
 * Fails one shard over and measures it. The group and the shard must be available again (waited for,
 * bounded) and the shard is checked again (the previous failover of the same group must have
 * finished, and AWS takes one at a time); the quota was counted up front. `changedSoFar`: the drill's
 * earlier failovers, which a refusal names instead of saying nothing was changed.
 */
export async function shardFailoverEvent(target: ShardTarget, deps: EventDeps, changedSoFar?: string): Promise<DrillEvent> {
    const { progress, report } = deps;
    await groupAvailable(target, deps, changedSoFar);
    const pre: ShardPreflight = await preflightShard(target, deps.clients, progress, { quotaNeeded: 0, changedSoFar, signal: deps.signal });
    if (pre.underWay) {
        throw refusal(changedSoFar, (changed) => `a TestFailover of shard ${target.nodeGroupId} started by someone else is under way; the drill ` +
            `measures only failovers it starts. ${changed}`);
    }
    const startedAt = Date.now();
    const since = await progress.step(`test-failover-${target.nodeGroupId}`, `calling TestFailover on shard ${target.nodeGroupId} of ${target.replicationGroupId}`, async (step) => {
        report.markFirstMutatingCall(`TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region}`);
        const earlier = pre.shardEvents.filter((e) => e.kind === "called").map((e) => e.at);
        return callTestFailover(step, { clients: deps.clients, target, shard: pre.shard, clock: progress.clock, signal: deps.signal,
            notBeforeMs: earlier.length ? Math.max(...earlier) + 1 : 0, changedSoFar });
    });
    const done = await followShardFailover(target, pre.shard, since, deps.waitTimeoutMs, deps);
    // AWS's own time of the promotion (the canary may have written successfully to the new primary
    // before this run polled); without a promotion event, the recovery's.
    const awsEvent = done.promoted ?? done.recovered!;
    const what = done.promoted ? "AWS reported the promotion" : "AWS reported the recovery (no event reported the promotion)";
    const recoveredAt = firstAckAfter(deps.canary, target.nodeGroupId, Math.min(awsEvent.at, Date.now()));
    return progress.step(`measure-${target.nodeGroupId}`, `canary traffic for ${deps.settleMs / 1000} s more, then the reader checks every acknowledged write`, async (step) => {
        const event = await settleAndVerify(deps, "test-failover", target.nodeGroupId, startedAt, recoveredAt);
        step.summarize(recoveredAt === undefined ? `no canary write to ${target.nodeGroupId} acknowledged after ${what}`
            : `first canary write to ${target.nodeGroupId} acknowledged after ${what}: ${recoveredAt - startedAt} ms after the TestFailover call`);
        return event;
    });
}

export interface PromotionEventOptions {
    /** The region to make primary. */
    to: string;
    /** Its replication group and the cache cluster ids of its nodes, whose replication lag CloudWatch reports. */
    group: { replicationGroupId: string; nodeIds: string[] };
    /** Connects to the data plane of a region (its configuration endpoint, from the stack outputs or AWS). */
    connectRegion(region: string): Promise<Cluster>;
    writer: WriterConnection;
    /** The shard the event is filed under: a promotion moves every shard, the measurement covers them all. */
    shard: string;
}

/**
 * Promotes `to` the way retarget-primary does in planned mode (failover, wait, reconcile the stack,
 * which moves the writer endpoint), then moves the canary to it, as applications that follow the
 * writer endpoint move. The window therefore includes the reconcile: that is when writers learn.
 */
export async function promotionEvent(opts: PromotionEventOptions, deps: EventDeps): Promise<DrillEvent> {
    await lagWithinLimit(opts, deps);
    const startedAt = Date.now();
    const result = await runRetarget({
        target: opts.to, mode: "planned", reconcileOnly: false, maxLagSeconds: DEFAULT_MAX_LAG_SECONDS, force: false, detach: false, dryRun: false,
        promotionTimeoutMs: deps.waitTimeoutMs, waitTimeoutMs: deps.waitTimeoutMs,
    }, {
        driver: deps.driver, clients: deps.clients, progress: deps.progress, report: deps.report, invocation: deps.invocation, signal: deps.signal,
        // The drill's own confirmation covered the round trip.
        confirm: async () => undefined,
    });
    if (result.outcome !== "succeeded" && result.outcome !== "nothing-to-do") {
        throw Object.assign(new Error(`the promotion of ${opts.to} ended ${result.outcome}: ${result.summary}. The drill stops here; ` +
            "finish the promotion first (next steps)."), { nextSteps: result.nextSteps });
    }
    return deps.progress.step(`writer-${opts.to}`, `moving the canary to the new primary ${opts.to}, as writers following the writer endpoint do`, async (step) => {
        const movedAt = Date.now();
        opts.writer.moveTo(await opts.connectRegion(opts.to), opts.to);
        step.found(`canary writes go to ${opts.to} from ${new Date(movedAt).toISOString()}`);
        const event = await settleAndVerify(deps, `promotion-${opts.to}`, opts.shard, startedAt, firstAckAfter(deps.canary, opts.shard, movedAt));
        step.summarize(`${opts.to} takes the canary's writes; reader checked`);
        return event;
    });
}

/**
 * Waits until CloudWatch reports the target's replication lag within the limit retarget-primary
 * applies. Right after the first promotion of a round trip, the old primary has just become a
 * secondary and publishes no lag yet (a minute or two): promoting it back then would be refused, and
 * rightly, since what it has not received would be lost.
 */
async function lagWithinLimit(opts: PromotionEventOptions, deps: EventDeps): Promise<void> {
    await deps.progress.step(`lag-${opts.to}`, `waiting until the replication lag of ${opts.to} is known and within ${DEFAULT_MAX_LAG_SECONDS} s`, async (step) => {
        const result = await waitFor({
            waitingFor: `a GlobalDatastoreReplicationLag datapoint of ${opts.group.replicationGroupId} in ${opts.to} within ${DEFAULT_MAX_LAG_SECONDS} s`,
            timeoutMs: deps.waitTimeoutMs, clock: deps.progress.clock, signal: deps.signal, emit: step.emit, step: step.name,
            check: async () => {
                const estimate = await readReplicationLag(deps.clients.cloudWatch(opts.to), opts.group.replicationGroupId, opts.group.nodeIds, opts.to,
                    deps.progress.clock.now(), deps.signal);
                const verdict = judgeLag(estimate, DEFAULT_MAX_LAG_SECONDS, false);
                return { state: verdict.proceed ? `lag ${estimate.maxSeconds} s` : verdict.message.split(". Estimated")[0], done: verdict.proceed };
            },
        });
        step.summarize(`${result.state}, after ${Math.round(result.elapsedMs / 1000)} s`);
    });
}
