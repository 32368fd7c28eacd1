/**
 * The failover drill (runbook section 5, "conduct regular failover drills"): while the canary writes to
 * and reads from every shard, each chosen shard fails over in turn and, with the round trip, a
 * secondary region is promoted and then the original primary promoted back. For every event the drill
 * measures the write-unavailability window (RTO as clients see it) and the acknowledged writes lost
 * (RPO), and draws the timeline. Refusals (quota, a shard that cannot fail over, no data plane) come
 * before any change. Emits progress, never prints; the SVG is written next to the run's report.
 */
import type { Cluster } from "ioredis";
import { StackConfig } from "../../../components/config/types";
import { Canary, describeUnacknowledged, refuseTheUser } from "../../dataplane/canary";
import { DrillEvent } from "../../dataplane/measure";
import { ShardInfo, formatSlots, hashTagFor, readShards } from "../../dataplane/slots";
import { RegionClients } from "../clients";
import { DEFAULT_MAX_LAG_SECONDS } from "../lag";
import { Progress } from "../progress";
import { Outcome, RunReport } from "../report";
import { RefusedError } from "../retarget/preflight";
import { StackDriver } from "../stack-driver";
import { DrillTarget, preflightDrill, readDrillTarget } from "./drill-plan";
import { resolveShardTarget } from "./target";
import { EventDeps, WriterConnection, promotionEvent, shardFailoverEvent } from "./drill-events";
import { ATTEMPT_TIMEOUT_MS, drillVerdict, measureAndDraw } from "./drill-results";
import { StoppedAfterChangesError } from "./preflight";
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

/**
 * How long every shard has to acknowledge the canary's first writes before the drill gives up, with
 * nothing changed; sooner when the shards refuse the canary's user (refuseTheUser).
 */
const FIRST_ACK_TIMEOUT_MS = 10_000;

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
            const deadline = Date.now() + FIRST_ACK_TIMEOUT_MS;
            for (let silent = canary.unacknowledged(); silent.length > 0; silent = canary.unacknowledged()) {
                const refused = refuseTheUser(silent);
                if (refused || Date.now() > deadline) {
                    await canary.stop();
                    throw new Error(`the canary got no acknowledgement from ${describeUnacknowledged(canary.unacknowledged())}` +
                        `${refused ? ", which refuse its user the writes" : ` within ${FIRST_ACK_TIMEOUT_MS / 1000} s`}: ` +
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
            events.push(await shardFailoverEvent(target, eventDeps, describeChanges(events, drill)));
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
        if (failure === undefined) {
            await markRecoveryPoint(running.writer, deps);
        }
        running.writer.disconnect();
    }
    // Whatever happened, the events measured so far and the timeline go into the report.
    const results = await measureAndDraw(events, running, drill.config.stack, deps);
    if (failure !== undefined) {
        throw stoppedMidDrill(failure, events, drill);
    }
    return drillVerdict(results);
}

/** A drill that ran through leaves fresh recovery-point markers; failing to write them only costs a later restore its precise data-loss figure. */
async function markRecoveryPoint(writer: WriterConnection, deps: DrillDeps): Promise<void> {
    await deps.progress.step("recovery-point-markers", "writing the recovery-point markers a later restore reads back", async (step) => {
        try {
            step.summarize(`markers written on ${await writer.markRecoveryPoint(Date.now())} shards`);
        } catch (e) {
            step.found(`the markers could not be written: ${(e as Error).message}`, { level: "warn" });
            step.summarize("no markers written");
        }
    });
}

/** What the drill's finished events changed, in words; undefined before the first. */
function describeChanges(events: readonly DrillEvent[], drill: DrillTarget): string | undefined {
    if (events.length === 0) {
        return undefined;
    }
    const failovers = events.filter((e) => e.kind === "test-failover").map((e) => e.shard);
    const promotions = events.filter((e) => e.kind.startsWith("promotion-")).map((e) => e.kind.slice("promotion-".length));
    return [
        ...(failovers.length ? [`shard(s) ${failovers.join(", ")} of ${drill.targets[0].replicationGroupId} failed over (each has another primary now)`] : []),
        ...(promotions.length ? [`promoted ${promotions.join(", then ")}`] : []),
    ].join("; ");
}

/**
 * A failure after the first event is not a refusal, whatever raised it: the drill has changed things,
 * and the message and next steps say which, never "Nothing was changed".
 */
function stoppedMidDrill(failure: unknown, events: readonly DrillEvent[], drill: DrillTarget): unknown {
    const changed = describeChanges(events, drill);
    if (changed === undefined) {
        return failure;
    }
    const done = new Set(events.filter((e) => e.kind === "test-failover").map((e) => e.shard));
    const remaining = drill.targets.map((t) => t.nodeGroupId).filter((id) => !done.has(id));
    const ownSteps = (failure as { nextSteps?: unknown }).nextSteps;
    const nextSteps = [
        ...(Array.isArray(ownSteps) ? ownSteps as string[] : []),
        `Already done by this drill: ${changed}; their measurements are in the report. Fix what the message above says` +
            `${remaining.length ? `, then run the drill for the shards left: --shards ${remaining.join(",")}` : ""}.`,
    ];
    const stopped = failure instanceof RefusedError
        ? new StoppedAfterChangesError(`${failure.message.replace(/\s*Nothing was changed\.?/g, " That step changed nothing.")} The drill stops here, but it has ` +
            `already changed: ${changed}.`)
        : failure instanceof Error ? failure : new Error(String(failure));
    return Object.assign(stopped, { nextSteps });
}
