/**
 * The local failover drill: a real Redis Cluster on loopback, the canary writing to every shard, and
 * one failover per kind, measured the way a drill against ElastiCache would be. A library: it reports
 * through events (recovery/lib/events.ts) and returns a typed result; local-cli.ts prints and files it.
 *
 * Each run starts its own cluster and stops it at the end. A killed primary could be restarted as a
 * replica instead, but the local cluster has no restart, and a fresh cluster gives every run the same
 * starting point (each primary in its original place, no node still catching up), so runs compare.
 */
import type { Cluster } from "ioredis";
import { Canary, describeUnacknowledged, refuseTheUser } from "../dataplane/canary";
import { connectCluster } from "../dataplane/connect";
import { DrillEvent, DrillTotals, EventResult, MeasureOptions, drillTotals, measureEvents, toTimeline } from "../dataplane/measure";
import { ShardInfo, formatSlots, hashTagFor, readShards } from "../dataplane/slots";
import { AvailabilityTimeline } from "../dataplane/timeline";
import { systemClock } from "../lib/clock";
import { Emit } from "../lib/events";
import { Progress, StepContext } from "../lib/progress";
import { LocalCluster, LocalNode, startLocalCluster } from "../local/cluster";
import { CpuCost, CpuMeter, addCosts } from "./cpu";
import { eventSummary, otherShardsNote } from "./figures";
import { clusterFailover, cutReplication } from "./node-commands";
import { Spread, countSpread, spread } from "./spread";

/**
 * cluster-failover: CLUSTER FAILOVER on a replica (coordinated, as a planned failover). kill: SIGKILL of
 * the primary. kill-unreplicated: replication to the shard's replicas cut first (replication-cut.ts),
 * writes acknowledged by the primary alone for UNREPLICATED_MS, then SIGKILL: the data-loss path, which
 * a plain kill on loopback never shows.
 */
export const FAILOVER_KINDS = ["cluster-failover", "kill", "kill-unreplicated"] as const;
export type FailoverKind = (typeof FAILOVER_KINDS)[number];

/** How long the primary acknowledges writes alone before a kill-unreplicated kills it. */
export const UNREPLICATED_MS = 500;

/** What an observer gets around each failover: enough to run its own probe of the shard. */
export interface EventContext {
    run: number;
    kind: FailoverKind;
    shard: ShardInfo;
    cluster: LocalCluster;
    /**
     * The canary's cluster client. Its slot table (`slots`) shows when it learned the new primary: the
     * canary's window ends no earlier than that, however soon the server accepted writes.
     */
    client: Cluster;
}

export interface LocalDrillOptions {
    /** Runs, each on a fresh cluster. Default 1. */
    runs?: number;
    /** Canary writes per second to each shard. Default 50. */
    ratePerShard?: number;
    /** Shards of each run's cluster. Default 3. */
    primaries?: number;
    /** Replicas per shard. Default 1. */
    replicasPerPrimary?: number;
    /** Failovers per run, in this order. Default: every kind, FAILOVER_KINDS. */
    kinds?: FailoverKind[];
    /** cluster-node-timeout of the local cluster. Default 2000 ms. */
    nodeTimeoutMs?: number;
    /** Canary traffic before the first failover and after each recovery, before the reader verifies. Default 1000 ms. */
    settleMs?: number;
    /** How long a failover may take to settle before the run gives up on it. Default 30000 ms. */
    recoveryDeadlineMs?: number;
    /** The canary's per-attempt timeout. Default 250 ms. */
    attemptTimeoutMs?: number;
    /** The redis-server (or valkey-server) binary: a path, or a name looked up on PATH. Default "redis-server". */
    redisServer?: string;
    /** Receives every progress event. Default: none. */
    emit?: Emit;
    /** Aborting stops the canary and the cluster, then the drill rejects with the signal's reason. */
    signal?: AbortSignal;
    /** Called right before each failover and after its verification; a probe of the shard can start and stop here. */
    observer?: {
        beforeEvent?(context: EventContext): Promise<void>;
        afterEvent?(context: EventContext, result: DrillEvent): Promise<void>;
    };
}

export interface LocalRunResult {
    run: number;
    startedAt: number;
    endedAt: number;
    events: EventResult[];
    totals: DrillTotals;
    timeline: AvailabilityTimeline;
    /** CPU over the whole run, failovers included (a client retrying against a dead node costs more). */
    cpu: CpuCost;
    /** CPU while the canary ran against a healthy cluster (the warm-up): the steady cost of measuring. */
    cpuSteadyState: CpuCost;
    /** Scheduled canary writes skipped because the event loop fell behind (a measurement-quality signal). */
    skippedTicks: number;
    /** Failovers planned for this run that were not made, because an earlier one never settled. */
    skippedKinds: FailoverKind[];
}

export interface KindAggregate {
    events: number;
    /** The write-unavailability window: the recovery time a client sees. */
    windowMs?: Spread;
    /** From the failover command (or SIGKILL) to the new primary seen in place (roles settled). */
    promotedAfterStartMs?: Spread;
    /** From the failover command (or SIGKILL) to the first acknowledgement after the outage. */
    recoveryAfterStartMs?: Spread;
    /** From the failover command (or SIGKILL) to the first failed write becoming known (error or attempt timeout). */
    firstFailureAfterStartMs?: Spread;
    /** From the last acknowledgement before the first failed write to that failure becoming known: the client's view, not the cluster's. */
    firstFailureAfterLastAckMs?: Spread;
    /** Over the events whose loss is known (eventsWithUnknownLoss are left out, never counted as 0). */
    lostAckedWrites?: Spread;
    rpoMs?: Spread;
    staleReads?: Spread;
    /** Events after which the reader could not read some shard: their lost writes and RPO are unknown. */
    eventsWithUnknownLoss: number;
}

export interface LocalDrillResult {
    startedAt: number;
    finishedAt: number;
    settings: Required<Omit<LocalDrillOptions, "emit" | "signal" | "observer">> & { readRatePerShard: number };
    runs: LocalRunResult[];
    aggregate: Partial<Record<FailoverKind, KindAggregate>>;
    cpu?: CpuCost;
    cpuSteadyState?: CpuCost;
}

const DEFAULTS = {
    runs: 1, ratePerShard: 50, primaries: 3, replicasPerPrimary: 1, kinds: [...FAILOVER_KINDS] as FailoverKind[], nodeTimeoutMs: 2000, settleMs: 1000,
    recoveryDeadlineMs: 30_000, attemptTimeoutMs: 250, redisServer: "redis-server",
};
/** Checks of the canary's own bookkeeping are free; a look at the cluster's roles opens a connection, so it is rarer. */
const CANARY_POLL_MS = 25;
const ROLES_POLL_MS = 100;
/** A gap between acknowledgements longer than this many write periods (and at least 100 ms) is an outage. */
const STALL_PERIODS = 5;

function resolveSettings(options: LocalDrillOptions): LocalDrillResult["settings"] {
    const s = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && !["emit", "signal", "observer"].includes(k))) } as typeof DEFAULTS;
    const whole = (field: string, value: number, min: number, max: number) => {
        if (!Number.isInteger(value) || value < min || value > max) {
            throw new Error(`runLocalDrill: ${field} is ${JSON.stringify(value)}. Accepted: a whole number from ${min} to ${max}.`);
        }
    };
    whole("runs", s.runs, 1, 100);
    whole("ratePerShard", s.ratePerShard, 1, 1000);
    whole("primaries", s.primaries, 1, 16);
    whole("replicasPerPrimary", s.replicasPerPrimary, 1, 3);
    whole("nodeTimeoutMs", s.nodeTimeoutMs, 100, 60_000);
    whole("settleMs", s.settleMs, 0, 60_000);
    whole("recoveryDeadlineMs", s.recoveryDeadlineMs, 1000, 600_000);
    whole("attemptTimeoutMs", s.attemptTimeoutMs, 10, 10_000);
    const unknown = s.kinds.filter((k) => !(FAILOVER_KINDS as readonly string[]).includes(k));
    if (s.kinds.length === 0 || unknown.length > 0) {
        throw new Error(`runLocalDrill: kinds is ${JSON.stringify(s.kinds)}. Accepted: one or more of ${FAILOVER_KINDS.join(", ")}.`);
    }
    return { ...s, readRatePerShard: s.ratePerShard };
}

/** Polls `check` until it returns a value; undefined at the deadline. */
async function pollFor<T>(check: () => Promise<T | undefined>, intervalMs: number, deadline: number, signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
        const value = await check().catch(() => undefined);
        if (value !== undefined) {
            return value;
        }
        if (Date.now() >= deadline) {
            return undefined;
        }
        await systemClock.sleep(intervalMs, signal);
    }
}

function shardLabel(shard: ShardInfo): string {
    return `slots ${formatSlots(shard.slots)}, primary ${shard.primary.host}:${shard.primary.port} at start`;
}

/** The shard that owns the same slots now (its primary may have changed since `shard` was read). */
function sameSlots(shards: ShardInfo[], shard: ShardInfo): ShardInfo | undefined {
    return shards.find((s) => formatSlots(s.slots) === formatSlots(shard.slots));
}

function describeRoles(nodes: LocalNode[]): string {
    return nodes.map((n) => `${n.port} ${n.role}`).join(", ");
}

/** Runs the drill: `runs` fresh clusters, each with the canary and one failover per kind. */
export async function runLocalDrill(options: LocalDrillOptions = {}): Promise<LocalDrillResult> {
    const settings = resolveSettings(options);
    const progress = new Progress({ sinks: options.emit ? [options.emit] : [] });
    const startedAt = Date.now();
    const runs: LocalRunResult[] = [];
    for (let run = 1; run <= settings.runs; run++) {
        runs.push(await runOnce(run, settings, progress, options));
    }
    const aggregate = aggregateByKind(runs, settings.kinds);
    return { startedAt, finishedAt: Date.now(), settings, runs, aggregate, cpu: addCosts(runs.map((r) => r.cpu)), cpuSteadyState: addCosts(runs.map((r) => r.cpuSteadyState)) };
}

/** Per failover kind, the spread of each figure over the runs; events whose loss is unknown are counted apart, never as 0. */
export function aggregateByKind(runs: readonly LocalRunResult[], kinds: readonly FailoverKind[]): LocalDrillResult["aggregate"] {
    const aggregate: LocalDrillResult["aggregate"] = {};
    for (const kind of kinds) {
        const events = runs.flatMap((r) => r.events.filter((e) => e.kind === kind));
        const of = (pick: (e: EventResult) => number | null) => spread(events.map(pick).filter((v): v is number => v !== null));
        aggregate[kind] = {
            events: events.length,
            windowMs: of((e) => e.windowMs),
            promotedAfterStartMs: of((e) => e.promotedAfterStartMs),
            recoveryAfterStartMs: of((e) => e.recoveryAfterStartMs),
            firstFailureAfterStartMs: of((e) => e.firstFailureAfterStartMs),
            firstFailureAfterLastAckMs: of((e) => e.firstFailureAfterLastAckMs),
            lostAckedWrites: countSpread(events.map((e) => e.lostAckedWrites).filter((v): v is number => v !== null)),
            rpoMs: of((e) => e.rpoMs),
            staleReads: countSpread(events.map((e) => e.staleReads)),
            eventsWithUnknownLoss: events.filter((e) => e.lostAckedWrites === null).length,
        };
    }
    return aggregate;
}

async function runOnce(run: number, settings: LocalDrillResult["settings"], progress: Progress, options: LocalDrillOptions): Promise<LocalRunResult> {
    const { signal } = options;
    let cluster: LocalCluster | undefined;
    let client: Cluster | undefined;
    let canary: Canary | undefined;
    try {
        const shards = await progress.step(`run-${run}-start`, `starting a local cluster for run ${run} of ${settings.runs}`, async (step) => {
            const started = await startLocalCluster({
                primaries: settings.primaries, replicasPerPrimary: settings.replicasPerPrimary, nodeTimeoutMs: settings.nodeTimeoutMs, redisServer: settings.redisServer,
                log: (line) => step.found(line) });
            cluster = started;
            signal?.throwIfAborted();
            // ioredis retries a failed command every ~50 ms up to maxRedirections times; past the canary's
            // attempt timeout those retries are wasted work that only inflates the drill's own CPU cost.
            client = await connectCluster({ seeds: started.seeds }, { maxRedirections: Math.max(2, Math.ceil(settings.attemptTimeoutMs / 50) + 1) });
            const shards = await readShards(client);
            signal?.throwIfAborted();
            step.summarize(`${shards.length} shards: ${shards.map((s) => `${s.id} ${shardLabel(s)}`).join("; ")}`);
            return shards;
        });
        const meter = new CpuMeter();
        const pids = async () => (await cluster!.nodes()).map((n) => n.pid);
        meter.sample(await pids());
        // Each shard's key carries its own name ({shard-2-...} on shard-2), so a key read in the cluster names its shard.
        canary = new Canary(client!, shards.map((s) => ({ shard: s.id, label: shardLabel(s), tag: hashTagFor(s, `${s.id}-`) })), {
            ratePerShard: settings.ratePerShard,
            attemptTimeoutMs: settings.attemptTimeoutMs,
            // The canary stops by itself even if this run hangs: every event's worst case, plus a margin.
            maxDurationMs: 60_000 + settings.kinds.length * (settings.recoveryDeadlineMs + 2 * settings.settleMs + 10_000),
        });
        const canaryStartedAt = Date.now();
        canary.start();
        const cpuSteadyState = await progress.step(`run-${run}-warm-up`, `canary writing ${settings.ratePerShard}/s and reading ${settings.readRatePerShard}/s per shard`, async (step) => {
            // Every shard acknowledged, or the shards left refuse the canary's user: waiting longer would not help.
            const settled = await pollFor(async () => {
                const silent = canary!.unacknowledged();
                return silent.length === 0 ? "acknowledged" : refuseTheUser(silent) ? "refused" : undefined;
            }, CANARY_POLL_MS, Date.now() + 10_000, signal);
            if (settled !== "acknowledged") {
                throw new Error(`the canary got no acknowledgement from ${describeUnacknowledged(canary!.unacknowledged())}` +
                    `${settled === "refused" ? ", which refuse its user the writes" : " within 10 s"}`);
            }
            const steady = new CpuMeter();
            steady.sample(await pids());
            await systemClock.sleep(settings.settleMs, signal);
            steady.sample(await pids());
            const cost = steady.finish();
            step.summarize(`every shard acknowledges writes; keys ${Object.values(canary!.keys).join(", ")}; ` +
                `measuring costs ${cost.processPercent} % of one core here${cost.serversPercent !== undefined ? `, ${cost.serversPercent} % in redis-server` : ""}`);
            return cost;
        });
        const events: DrillEvent[] = [];
        const results: EventResult[] = [];
        const skippedKinds: FailoverKind[] = [];
        const measureOptions: MeasureOptions = {
            attemptTimeoutMs: settings.attemptTimeoutMs,
            stallThresholdMs: Math.max(100, (STALL_PERIODS * 1000) / settings.ratePerShard),
            start: canaryStartedAt,
        };
        for (const [index, kind] of settings.kinds.entries()) {
            const target = shards[((run - 1) * settings.kinds.length + index) % shards.length];
            const { event, result } = await failover(run, kind, target, { cluster: cluster!, client: client!, canary, meter, settings, progress, options, events, measureOptions });
            events.push(event);
            results.push(result);
            if (event.recoveredAt === undefined) {
                skippedKinds.push(...settings.kinds.slice(index + 1));
                progress.found(`run ${run}: ${target.id} did not settle; the remaining failovers of this run are skipped`, { level: "warn" });
                break;
            }
        }
        meter.sample(await pids().catch(() => []));
        await canary.stop();
        const endedAt = Date.now();
        const records = canary.records();
        const note = otherShardsNote(results);
        return {
            run,
            startedAt: canaryStartedAt,
            endedAt,
            events: results,
            totals: drillTotals(records, results),
            timeline: toTimeline(`Local drill, run ${run}: canary write availability per shard`, records, results, { from: canaryStartedAt, to: endedAt },
                settings.attemptTimeoutMs, note ? [note] : []),
            cpu: meter.finish(),
            cpuSteadyState,
            skippedTicks: canary.skippedTicks,
            skippedKinds,
        };
    } finally {
        await progress.step(`run-${run}-teardown`, "stopping the canary and the local cluster", async () => {
            await canary?.stop().catch(() => undefined);
            client?.disconnect();
            await cluster?.stop();
        });
    }
}

interface FailoverDeps {
    cluster: LocalCluster;
    client: Cluster;
    canary: Canary;
    meter: CpuMeter;
    settings: LocalDrillResult["settings"];
    progress: Progress;
    options: LocalDrillOptions;
    /** The run's earlier events: each event is measured from where the previous one ended. */
    events: readonly DrillEvent[];
    measureOptions: MeasureOptions;
}

/**
 * One failover: the command (or kill), the wait for the new primary and for writes, the reader's check,
 * and the event's figures, measured here once, right after it: the step's line and the run's result
 * are the same numbers.
 */
async function failover(run: number, kind: FailoverKind, initial: ShardInfo, deps: FailoverDeps): Promise<{ event: DrillEvent; result: EventResult }> {
    const { cluster, client, canary, meter, settings, progress, options } = deps;
    const { signal } = options;
    const shard = sameSlots(await readShards(client), initial) ?? initial;
    const context: EventContext = { run, kind, shard, cluster, client };
    const replica = shard.replicas[0];
    if (!replica) {
        throw new Error(`run ${run}: ${shard.id} has no healthy replica to fail over to; the cluster shows primary ${shard.primary.port} alone.`);
    }
    const doing = kind === "cluster-failover" ? `CLUSTER FAILOVER on replica ${replica.port}`
        : kind === "kill" ? `SIGKILL of primary ${shard.primary.port}`
            : `replication to ${shard.replicas.map((r) => r.port).join(", ")} cut, then SIGKILL of primary ${shard.primary.port}`;
    return progress.step(`run-${run}-${kind}`, `${doing} of ${shard.id}`, async (step) => {
        await options.observer?.beforeEvent?.(context);
        meter.sample((await cluster.nodes()).map((n) => n.pid));
        const cut = kind === "kill-unreplicated" ? await cutReplication(shard.primary, shard.replicas, settings.recoveryDeadlineMs, signal) : undefined;
        try {
            if (cut) {
                step.found(`replication to ${shard.replicas.map((r) => r.port).join(", ")} cut at ${new Date(cut.cutAt).toISOString()}: ` +
                    `for ${UNREPLICATED_MS} ms primary ${shard.primary.port} alone acknowledges writes, then it is killed`);
                await systemClock.sleep(UNREPLICATED_MS, signal);
            }
            const startedAt = Date.now();
            await (kind === "cluster-failover" ? clusterFailover(replica.host, replica.port) : cluster.kill(shard.primary.port, "SIGKILL"));
            step.found(`${kind} sent at ${new Date(startedAt).toISOString()}`);
            const { promotedAt, recoveredAt } = await waitForRecovery(step, kind, shard, startedAt, deps);
            await systemClock.sleep(settings.settleMs, signal);
            const endedAt = Date.now();
            const verification = await canary.verify();
            const event: DrillEvent = {
                kind, shard: shard.id, startedAt, ...(promotedAt !== undefined ? { promotedAt } : {}), ...(recoveredAt !== undefined ? { recoveredAt } : {}), endedAt, verification,
            };
            await options.observer?.afterEvent?.(context, event);
            // Every write sent before the event ended has answered or timed out by now: its span is complete.
            await systemClock.sleep(Math.max(0, endedAt + settings.attemptTimeoutMs + 10 - Date.now()), signal);
            const result = measureEvents(canary.records(), [...deps.events, event], deps.measureOptions).at(-1)!;
            step.summarize(recoveredAt === undefined ? `not settled within ${settings.recoveryDeadlineMs} ms; ${eventSummary(result)}` : eventSummary(result));
            return { event, result };
        } finally {
            await cut?.restore();
        }
    });
}

/**
 * Waits until a former replica of the shard is primary (for a kill, with the old primary gone): the
 * promotion, as often as the roles are polled; then until the canary has a write on the shard
 * acknowledged after that: the failover is over from a client's point of view. Either is undefined
 * when it did not happen before the deadline.
 */
async function waitForRecovery(step: StepContext, kind: FailoverKind, shard: ShardInfo, startedAt: number, deps: FailoverDeps): Promise<{ promotedAt?: number; recoveredAt?: number }> {
    const { cluster, canary, settings, options } = deps;
    const deadline = startedAt + settings.recoveryDeadlineMs;
    const formerReplicas = new Set(shard.replicas.map((r) => r.nodeId));
    let lastRoles = "";
    const settledAt = await pollFor(async () => {
        const nodes = await cluster.nodes();
        lastRoles = describeRoles(nodes);
        const promoted = nodes.find((n) => formerReplicas.has(n.nodeId) && n.role === "primary");
        const oldPrimary = nodes.find((n) => n.nodeId === shard.primary.nodeId);
        const oldSettled = kind === "cluster-failover" ? oldPrimary?.role === "replica" && oldPrimary.primaryId === promoted?.nodeId : oldPrimary === undefined;
        return promoted && oldSettled ? Date.now() : undefined;
    }, ROLES_POLL_MS, deadline, options.signal);
    if (settledAt === undefined) {
        step.found(`roles did not settle within ${settings.recoveryDeadlineMs} ms; last seen: ${lastRoles}`, { level: "warn" });
        return {};
    }
    step.found(`promoted: roles settled ${settledAt - startedAt} ms after the ${kind} (polled every ${ROLES_POLL_MS} ms): ${lastRoles}`);
    const ackedAt = await pollFor(async () => {
        const last = canary.lastAckAt(shard.id);
        return last !== undefined && last >= settledAt ? last : undefined;
    }, CANARY_POLL_MS, deadline, options.signal);
    if (ackedAt === undefined) {
        step.found(`roles settled, but no canary write to ${shard.id} was acknowledged within ${settings.recoveryDeadlineMs} ms of the ${kind}`, { level: "warn" });
    }
    return { promotedAt: settledAt, ...(ackedAt !== undefined ? { recoveredAt: ackedAt } : {}) };
}
