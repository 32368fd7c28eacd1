/**
 * The failover drill (runbook section 5, "conduct regular failover drills"): while the canary writes to
 * and reads from every shard, each chosen shard fails over in turn and, with the round trip, a
 * secondary region is promoted and then the original primary promoted back. For every event the drill
 * measures the write-unavailability window (RTO as clients see it) and the acknowledged writes lost
 * (RPO), and draws the timeline. Refusals (quota, a shard that cannot fail over, no data plane) come
 * before any change. Emits progress, never prints; the SVG is written next to the run's report.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Cluster } from "ioredis";
import { StackConfig } from "../../../components/config/types";
import { Canary } from "../../dataplane/canary";
import { DrillEvent, EventResult, drillTotals, measureEvents, toTimeline } from "../../dataplane/measure";
import { ShardInfo, formatSlots, hashTagFor, readShards } from "../../dataplane/slots";
import { renderTimelineSvg } from "../../report/timeline-svg";
import { RegionClients } from "../clients";
import { DEFAULT_MAX_LAG_SECONDS } from "../lag";
import { Progress } from "../progress";
import { Outcome, RunReport, fileTimestamp } from "../report";
import { RefusedError } from "../retarget/preflight";
import { StackDriver } from "../stack-driver";
import { DrillTarget, preflightDrill, readDrillTarget } from "./drill-plan";
import { resolveShardTarget } from "./target";
import { EventDeps, WriterConnection, promotionEvent, shardFailoverEvent } from "./drill-events";
import { testFailoverInput } from "./failover";
import { GroupState, middleSlot, readGroup } from "./shard";
import { DataPlaneAccess } from "./verify-writes";

export interface DrillRequest {
    /** "all" or comma-separated node group ids, already checked for form. */
    shards: string;
    /** Promote the first secondary region, then the original primary back. */
    globalRoundTrip: boolean;
    dryRun: boolean;
    /** Canary writes (and reads) per second to each shard. */
    ratePerShard: number;
    /** Canary traffic before the first event and after each one, before the reader checks. */
    settleMs: number;
    /** How long one failover or promotion may take. */
    waitTimeoutMs: number;
}

export interface DrillDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    report: RunReport;
    confirm(plan: string[]): Promise<void>;
    dataPlane(config: StackConfig): DataPlaneAccess;
    /** Where the run's report goes: the timeline SVG is written beside it. */
    reportDir: string;
    /** The program name in the report's file name. */
    program: string;
    invocation: string;
    rerunWithYes: string;
    signal?: AbortSignal;
}

export interface DrillResult {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
}

/** The canary's per-attempt timeout: a write that has not answered by then counts as failed. */
const ATTEMPT_TIMEOUT_MS = 250;
/** A gap between acknowledgements longer than this many write periods (and 100 ms) is an outage, even without a failed write. */
const STALL_PERIODS = 5;

function planLines(req: DrillRequest, drill: DrillTarget, access: DataPlaneAccess): string[] {
    const lines = [
        `canary: ${req.ratePerShard} writes and reads per second to every shard of ${drill.targets[0].replicationGroupId} through ` +
        `${access.available ? "the data plane" : `the data plane (a real run refuses: ${access.why})`}`,
        ...drill.targets.map((t) => `call TestFailover ${JSON.stringify(testFailoverInput(t))} in ${t.region}, follow it until the replaced node has recovered, ` +
            `${req.settleMs / 1000} s of traffic, then check for lost writes`),
    ];
    if (req.globalRoundTrip) {
        const [to] = drill.config.secondaryRegions;
        lines.push(`once ${to}'s replication lag is within ${DEFAULT_MAX_LAG_SECONDS} s, promote it (retarget-primary --mode planned: FailoverGlobalReplicationGroup, ` +
            "wait, reconcile the stack; its own checks run then), move the canary to it, measure",
            `once ${drill.region}'s lag is within ${DEFAULT_MAX_LAG_SECONDS} s again, promote it back the same way, move the canary back, measure`);
    }
    lines.push("draw the timeline as an SVG next to the report");
    return lines;
}

/** The SVG's file name: the report's base name (RunReport.finish) with .svg, so the Markdown can link it relatively. */
export function timelineFile(startedAt: number, program: string): string {
    return `${fileTimestamp(startedAt)}-${program}.svg`;
}

/** The data plane's shard for each node group, matched by the slots the control plane says the group owns. */
function matchShards(group: GroupState, shards: ShardInfo[]): { nodeGroupId: string; shard: ShardInfo }[] {
    return group.shards.map((g) => {
        const slot = middleSlot(g.slots);
        const shard = slot === undefined ? undefined : shards.find((s) => s.slots.some(([from, to]) => slot >= from && slot <= to));
        if (!shard) {
            throw new RefusedError(`node group ${g.nodeGroupId} (slots ${g.slots ?? "not reported"}) has no shard in the data plane's view ` +
                `(${shards.map((s) => `${s.id} ${formatSlots(s.slots)}`).join(", ")}): the canary cannot be placed. Nothing was changed.`);
        }
        return { nodeGroupId: g.nodeGroupId, shard };
    });
}

function describeResult(r: EventResult): string {
    return `${r.kind} of ${r.shard}: writes unavailable for ${r.windowMs} ms, ${r.lostAckedWrites} acknowledged writes lost (RPO ${r.rpoMs} ms), ` +
        `first failed write ${r.detectMs === null ? "none" : `after ${r.detectMs} ms`}, ${r.staleReads} stale reads` +
        `${r.recovered ? "" : "; writes did NOT recover within the event"}${r.unverified.length ? `; lost writes not checked on ${r.unverified.join(", ")}` : ""}`;
}

export async function runDrill(req: DrillRequest, deps: DrillDeps): Promise<DrillResult> {
    const { progress, clients } = deps;
    const drill = await readDrillTarget(deps.driver, progress, req.shards);
    const access = deps.dataPlane(drill.config);
    if (req.globalRoundTrip && drill.config.secondaryRegions.length === 0) {
        throw new RefusedError(`--global-round-trip needs a secondary region, and stack ${drill.config.stack} has none. Nothing was changed.`);
    }
    const { quota, shards } = await preflightDrill(drill, clients, progress, deps.signal);
    const plan = planLines(req, drill, access);
    progress.found(`plan: ${plan.join("; ")}`);
    const noDataPlane = access.available ? undefined : `the drill measures through the data plane, and this run has none: ${access.why}`;
    if (req.dryRun) {
        if (noDataPlane) {
            progress.found(`a real run refuses: ${noDataPlane}`, { level: "warn" });
        }
        return { outcome: "succeeded", summary: `dry run: ${drill.targets.length} shard(s) can fail over (${quota.remaining} of ${quota.limit} TestFailover left); nothing was changed`,
            nextSteps: [`Review the plan above, then run: ${deps.rerunWithYes}`] };
    }
    if (!access.available) {
        throw new RefusedError(`${noDataPlane}. Nothing was changed.`);
    }
    await deps.confirm(plan);
    return measureDrill(req, drill, shards[0].group, access, deps);
}

/** Connects to the data plane of `region`: the configuration endpoint from the stack outputs, else from AWS. */
function regionConnector(drill: DrillTarget, access: Extract<DataPlaneAccess, { available: true }>, deps: DrillDeps): (region: string) => Promise<Cluster> {
    return async (region) => {
        const { target } = await resolveShardTarget(deps.driver, drill.config, region, drill.targets[0].nodeGroupId);
        const endpoint = target.outputEndpoint ?? (await readGroup(deps.clients, region, target.replicationGroupId, deps.signal))?.configurationEndpoint;
        if (!endpoint) {
            throw new Error(`neither the stack outputs nor AWS give the configuration endpoint of ${target.replicationGroupId} in ${region}`);
        }
        return access.connect(endpoint);
    };
}

/** The replication group of `region` and its nodes: whose GlobalDatastoreReplicationLag to read before promoting it. */
async function lagSource(drill: DrillTarget, region: string, deps: DrillDeps): Promise<{ replicationGroupId: string; nodeIds: string[] }> {
    const { target } = await resolveShardTarget(deps.driver, drill.config, region, drill.targets[0].nodeGroupId);
    const group = await readGroup(deps.clients, region, target.replicationGroupId, deps.signal);
    if (!group) {
        throw new Error(`replication group ${target.replicationGroupId} (from ${target.idSource}) does not exist in ${region}: the round trip cannot promote it.`);
    }
    return { replicationGroupId: group.replicationGroupId, nodeIds: group.shards.flatMap((s) => s.nodes.map((n) => n.cacheClusterId)) };
}

interface Running {
    canary: Canary;
    writer: WriterConnection;
    startedAt: number;
    /** Node group ids in the canary's order. */
    shards: string[];
}

/** Connects, places one canary key in each node group's slots, starts the canary and waits until every shard acknowledges. */
async function startCanary(req: DrillRequest, group: GroupState, eventCount: number, connect: (region: string) => Promise<Cluster>,
    region: string, deps: DrillDeps): Promise<Running> {
    return deps.progress.step("canary", `connecting to the data plane of ${region} and starting the canary (${req.ratePerShard} writes/s per shard)`, async (step) => {
        const cluster = await connect(region);
        const writer = new WriterConnection(cluster, region);
        try {
            const placed = matchShards(group, await readShards(cluster));
            placed.forEach((p) => step.found(`node group ${p.nodeGroupId}: data-plane ${p.shard.id}, slots ${formatSlots(p.shard.slots)}, primary ` +
                `${p.shard.primary.host}:${p.shard.primary.port}`));
            const perEventMs = req.waitTimeoutMs + 2 * req.settleMs + 60_000;
            const canary = new Canary(writer, placed.map((p) => ({ shard: p.nodeGroupId, label: `slots ${formatSlots(p.shard.slots)}`, tag: hashTagFor(p.shard) })), {
                ratePerShard: req.ratePerShard, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, keyPrefix: "drill",
                // It stops by itself should this run hang: every event's worst case plus a margin, at most a day.
                maxDurationMs: Math.min(86_400_000, 60_000 + eventCount * perEventMs),
            });
            const startedAt = Date.now();
            canary.start();
            const shards = placed.map((p) => p.nodeGroupId);
            const deadline = Date.now() + 10_000;
            while (shards.some((s) => canary.lastAckAt(s) === undefined)) {
                if (Date.now() > deadline) {
                    await canary.stop();
                    throw new Error(`the canary got no acknowledgement from ${shards.filter((s) => canary.lastAckAt(s) === undefined).join(", ")} within 10 s: ` +
                        "the drill cannot measure a cluster that does not take writes. Nothing was changed.");
                }
                await deps.progress.clock.sleep(25, deps.signal);
            }
            await deps.progress.clock.sleep(req.settleMs, deps.signal);
            step.summarize(`every shard acknowledges the canary's writes; keys ${Object.values(canary.keys).join(", ")}`);
            return { canary, writer, startedAt, shards };
        } catch (e) {
            writer.disconnect();
            throw e;
        }
    });
}

async function measureDrill(req: DrillRequest, drill: DrillTarget, group: GroupState, access: Extract<DataPlaneAccess, { available: true }>, deps: DrillDeps): Promise<DrillResult> {
    const connect = regionConnector(drill, access, deps);
    const eventCount = drill.targets.length + (req.globalRoundTrip ? 2 : 0);
    const running = await startCanary(req, group, eventCount, connect, drill.region, deps);
    const events: DrillEvent[] = [];
    let failure: unknown;
    const eventDeps: EventDeps = { ...deps, canary: running.canary, settleMs: req.settleMs, waitTimeoutMs: req.waitTimeoutMs };
    try {
        for (const target of drill.targets) {
            events.push(await shardFailoverEvent(target, eventDeps));
        }
        if (req.globalRoundTrip) {
            for (const to of [drill.config.secondaryRegions[0], drill.region]) {
                events.push(await promotionEvent({ to, group: await lagSource(drill, to, deps), connectRegion: connect, writer: running.writer, shard: running.shards[0] },
                    eventDeps));
            }
        }
    } catch (e) {
        failure = e;
    } finally {
        await running.canary.stop().catch(() => undefined);
        running.writer.disconnect();
    }
    // Whatever happened, the events measured so far and the timeline go into the report.
    const results = await measureAndDraw(events, running, drill, deps);
    if (failure !== undefined) {
        throw failure;
    }
    const unrecovered = results.filter((r) => !r.recovered);
    if (unrecovered.length > 0) {
        throw new Error(`writes did not recover after ${unrecovered.map((r) => `${r.kind} of ${r.shard}`).join(", ")}: ${describeResult(unrecovered[0])}. ` +
            "Check the cluster now (events, node group status, alarms): clients cannot write to those slots.");
    }
    const lost = results.reduce((sum, r) => sum + r.lostAckedWrites, 0);
    const worst = results.reduce((max, r) => Math.max(max, r.windowMs), 0);
    return {
        outcome: "succeeded",
        summary: `${results.length} event(s) measured: writes unavailable for at most ${worst} ms, ${lost} acknowledged write(s) lost`,
        nextSteps: lost > 0 ? ["Acknowledged writes were lost: compare the RPO with what the applications accept, and read the timeline in the report."] : [],
    };
}

async function measureAndDraw(events: DrillEvent[], running: Running, drill: DrillTarget, deps: DrillDeps): Promise<EventResult[]> {
    return deps.progress.step("results", "measuring every event from the canary's records, and drawing the timeline", async (step) => {
        const endedAt = Date.now();
        const records = running.canary.records();
        const results = measureEvents(records, events, {
            attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, stallThresholdMs: Math.max(100, (STALL_PERIODS * 1000) / running.canary.ratePerShard), start: running.startedAt,
        });
        for (const r of results) {
            step.found(describeResult(r), { level: r.recovered && r.unverified.length === 0 ? "info" : "warn", detail: {
                windowMs: r.windowMs, rpoMs: r.rpoMs, lostAckedWrites: r.lostAckedWrites, detectMs: r.detectMs, recoveryMs: r.recoveryMs, staleReads: r.staleReads,
            } });
        }
        const totals = drillTotals(records, results);
        step.found(`canary: ${totals.writesAttempted} writes (${totals.writesFailed} failed), ${totals.reads} reads (${totals.staleReads} stale), ` +
            `${totals.lostAckedWrites} acknowledged writes lost${running.canary.skippedTicks ? `; ${running.canary.skippedTicks} scheduled writes skipped (the event loop fell behind)` : ""}`,
        { detail: { ...totals } });
        const rpo = results.reduce((max, r) => Math.max(max, r.rpoMs), 0);
        deps.report.setRecoveryPoint({ estimatedDataLossSeconds: rpo / 1000, source: "the drill's canary: acknowledged writes missing after each event, " +
            "as the newest lost acknowledgement minus the newest surviving one before it (largest over the events)" });
        const timeline = toTimeline(`Failover drill of stack ${drill.config.stack}: canary write availability per shard`, records, results,
            { from: running.startedAt, to: endedAt }, ATTEMPT_TIMEOUT_MS);
        const file = timelineFile(deps.progress.startedAt, deps.program);
        await fs.mkdir(deps.reportDir, { recursive: true });
        await fs.writeFile(path.join(deps.reportDir, file), renderTimelineSvg(timeline));
        // Markdown image syntax: the report's Markdown lists findings as they are, so the timeline shows inline next to it.
        step.found(`timeline: ![canary write availability per shard](${file})`, { detail: { file: path.join(deps.reportDir, file) } });
        step.summarize(`${results.length} event(s) measured; timeline in ${file}`);
        return results;
    });
}
