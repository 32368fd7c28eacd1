/**
 * failover-shard from preflight to verdict (runbook scenario 1, manual failover when automatic
 * failover did not trigger): check the group and the shard, confirm, call TestFailover (or follow
 * one under way), follow its events until the replaced node has recovered, then prove through the
 * data plane that every shard takes writes. Emits progress, never prints.
 *
 * AWS documents TestFailover as a way to test failover, not as an operational tool, and may block it
 * during large-scale events; it is still the only API that fails one shard over. When AWS refuses
 * it, the run says so and what to check.
 */
import { StackConfig } from "../../../components/config/types";
import { RegionClients } from "../clients";
import { isoTime } from "../printer";
import { Progress, StepContext } from "../progress";
import { Outcome, RunReport } from "../report";
import { RefusedError } from "../retarget/preflight";
import { readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { FailoverEvent, FailoverProgress } from "./events";
import { callTestFailover, followFailover, testFailoverInput } from "./failover";
import { ShardPreflight, preflightShard } from "./preflight";
import { ShardState, middleSlot, readGroup } from "./shard";
import { ShardTarget, checkShardRequest, resolveShardTarget } from "./target";
import { DataPlaneAccess, describeCheck, verifyWritesPerShard } from "./verify-writes";

export interface ShardFailoverRequest {
    region: string;
    shard: string;
    dryRun: boolean;
    /** How long to follow the failover's events before giving up. */
    waitTimeoutMs: number;
}

export interface ShardFailoverDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    report: RunReport;
    /** Resolves when the human (or --yes) allows the plan; throws otherwise. */
    confirm(plan: string[]): Promise<void>;
    /** The data plane of the target's region, or why there is none (settled by the command from the config). */
    dataPlane(config: StackConfig): DataPlaneAccess;
    /** The command line that repeats this run for real: for the next steps of a dry run. */
    rerunWithYes: string;
    signal?: AbortSignal;
}

export interface ShardFailoverResult {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
}

/** The stack's configuration, and the shard the flags name, checked before AWS is asked anything. */
export async function readShardTarget(driver: StackDriver, progress: Progress, region: string, shard: string): Promise<{ config: StackConfig; target: ShardTarget }> {
    return progress.step("stack", `reading and validating the configuration of stack ${driver.stackName}`, async (step) => {
        const { config } = await readStackConfig(driver);
        const bad = checkShardRequest(config, region, shard);
        if (bad) {
            throw new RefusedError(bad);
        }
        const { target, finding } = await resolveShardTarget(driver, config, region, shard);
        if (finding) {
            step.found(finding, { level: "warn" });
        }
        step.summarize(`shard ${shard} of ${target.replicationGroupId} in ${region} (id from ${target.idSource})`);
        return { config, target };
    });
}

function endpointOf(target: ShardTarget, pre: ShardPreflight): { host: string; port: number } | undefined {
    return target.outputEndpoint ?? pre.group.configurationEndpoint;
}

function verificationPlan(access: DataPlaneAccess, endpoint: { host: string; port: number } | undefined): string {
    if (!access.available) {
        return `writes will NOT be verified: ${access.why}`;
    }
    return endpoint ? `write and read back one key per shard through ${access.describe(endpoint)}`
        : "writes will NOT be verified: neither the stack outputs nor AWS give the group's configuration endpoint";
}

export function planLines(target: ShardTarget, pre: ShardPreflight, waitTimeoutMs: number, verification: string): string[] {
    return [
        pre.underWay
            ? `no call: follow the TestFailover of shard ${target.nodeGroupId} called at ${isoTime(pre.underWay.called.at)}, which is still under way`
            : `call TestFailover ${JSON.stringify(testFailoverInput(target))} in ${target.region} (quota: ${pre.quota.remaining} of ${pre.quota.limit} left)`,
        `follow the events until "Finished recovery for cache nodes" (up to ${waitTimeoutMs / 1000} s)`,
        verification,
    ];
}

export async function runShardFailover(req: ShardFailoverRequest, deps: ShardFailoverDeps): Promise<ShardFailoverResult> {
    const { progress, report, clients } = deps;
    const { config, target } = await readShardTarget(deps.driver, progress, req.region, req.shard);
    // Settled before AWS is asked anything: a --redis-user the stack does not have is bad input.
    const access = deps.dataPlane(config);
    report.setRecoveryPoint({ source: "TestFailover promotes a replica in the same region: writes the old primary acknowledged and had not yet " +
        "replicated are lost, usually milliseconds (CloudWatch ReplicationLag of the replicas, which this run does not read)" });
    const pre = await preflightShard(target, clients, progress, { signal: deps.signal });
    const endpoint = endpointOf(target, pre);
    const plan = planLines(target, pre, req.waitTimeoutMs, verificationPlan(access, endpoint));
    progress.found(`plan: ${plan.join("; ")}`);
    if (req.dryRun) {
        return { outcome: "succeeded", summary: `dry run: shard ${target.nodeGroupId} of ${target.replicationGroupId} can fail over; nothing was changed`,
            nextSteps: [`Review the plan above, then run: ${deps.rerunWithYes}`] };
    }
    await deps.confirm(plan);

    const since = pre.underWay ? pre.underWay.called.at : await progress.step("test-failover",
        `calling TestFailover on shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region}`, async (step) => {
            report.markFirstMutatingCall(`TestFailover of shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region}`);
            const earlier = pre.shardEvents.filter((e) => e.kind === "called").map((e) => e.at);
            return callTestFailover(step, { clients, target, shard: pre.shard, clock: progress.clock, signal: deps.signal,
                notBeforeMs: earlier.length ? Math.max(...earlier) + 1 : 0 });
        });
    const failover = await followShardFailover(target, pre.shard, since, req.waitTimeoutMs, deps);
    await progress.step("after", `reading ${target.replicationGroupId} again: the new primary's availability zone and the group's status`, (step) =>
        checkAfter(step, target, failover, deps));
    const verified = await verifyWrites(target, pre, access, endpoint, deps);
    const promoted = failover.promoted!;
    const what = `shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region} failed over: ${promoted.to} took over from ${promoted.from}, ` +
        "and the replaced node has recovered";
    if (verified.ok) {
        return { outcome: "succeeded", summary: `${what}; ${verified.detail}`, nextSteps: [] };
    }
    return {
        outcome: "partial",
        summary: `${what}; writes NOT verified: ${verified.why}`,
        nextSteps: [`Verify writes by hand from a host that reaches the cluster: one SET and GET per shard through the configuration endpoint ` +
            `${endpoint ? `${endpoint.host}:${endpoint.port}` : `(${target.replicationGroupId} in ${target.region})`} with TLS (redis-cli -c --tls ` +
            "--user <user> --askpass), with a key whose hash tag falls in each shard's slots. To let this command do it, run it where the endpoint " +
            "answers, with REDIS_PASSWORD set."],
    };
}

/** Follows the failover (the "follow" step); the report's recovery time ends when AWS reports the replica promoted. */
export async function followShardFailover(target: ShardTarget, shard: ShardState, since: number, timeoutMs: number,
    deps: Pick<ShardFailoverDeps, "clients" | "progress" | "report" | "signal">, onPromoted?: (event: FailoverEvent) => void): Promise<FailoverProgress> {
    return deps.progress.step("follow", `following the events of shard ${target.nodeGroupId} of ${target.replicationGroupId} until the replaced node has recovered`, async (step) => {
        const done = await followFailover(step, since, {
            clients: deps.clients, target, shard, clock: deps.progress.clock, notBeforeMs: since, timeoutMs, signal: deps.signal,
            onPromoted: (event) => {
                deps.report.markWritesAccepted(`AWS reports the failover of shard ${target.nodeGroupId} completed: "${event.message}"`);
                step.found(`promoted: ${event.to} took over from ${event.from} at ${isoTime(event.at)}`);
                onPromoted?.(event);
            },
        });
        if (!done.promoted) {
            // AWS documents the promotion before the recovery; a recovery alone does not say who is primary now.
            throw new Error(`AWS reported the recovery of shard ${target.nodeGroupId} ("${done.recovered?.message}") without a "Failover from primary node" ` +
                "event: which node is primary now is not known. Check the events and the shard's nodes before relying on it.");
        }
        step.summarize(`recovered at ${isoTime(done.recovered!.at)}: "${done.recovered!.message}"`);
        return done;
    });
}

async function checkAfter(step: StepContext, target: ShardTarget, failover: FailoverProgress, deps: Pick<ShardFailoverDeps, "clients" | "signal">): Promise<void> {
    const group = await readGroup(deps.clients, target.region, target.replicationGroupId, deps.signal);
    const shard = group?.shards.find((s) => s.nodeGroupId === target.nodeGroupId);
    const az = (id?: string) => shard?.nodes.find((n) => n.cacheClusterId === id)?.availabilityZone ?? "AZ unknown";
    const { from, to } = failover.promoted!;
    if (az(from) === az(to) && az(to) !== "AZ unknown") {
        step.found(`the new primary ${to} is in ${az(to)}, the same AZ as the old primary ${from}: if that AZ is failing, fail over again ` +
            "once another replica is healthy", { level: "warn" });
    } else {
        step.found(`new primary ${to} in ${az(to)}; old primary ${from} (${az(from)}) was replaced and is now a replica`);
    }
    if (group && group.status !== "available") {
        step.found(`${target.replicationGroupId} is ${group.status}, not yet available again`, { level: "warn" });
    }
    step.summarize(`${target.replicationGroupId} is ${group?.status ?? "not found"}; shard ${target.nodeGroupId} is ${shard?.status ?? "not found"}`);
}

type Verified = { ok: true; detail: string } | { ok: false; why: string };

async function verifyWrites(target: ShardTarget, pre: ShardPreflight, access: DataPlaneAccess, endpoint: { host: string; port: number } | undefined,
    deps: Pick<ShardFailoverDeps, "progress" | "signal">): Promise<Verified> {
    return deps.progress.step("verify-writes", "verifying writes through the data plane: one write and read back per shard", async (step) => {
        const notVerified = (why: string): Verified => {
            step.found(`writes not verified: ${why}`, { level: "warn" });
            step.summarize(`writes not verified: ${why}`);
            return { ok: false, why };
        };
        if (!access.available) {
            return notVerified(access.why);
        }
        if (!endpoint) {
            return notVerified("neither the stack outputs nor AWS give the group's configuration endpoint");
        }
        let cluster;
        try {
            cluster = await access.connect(endpoint);
        } catch (e) {
            return notVerified(`could not connect to ${access.describe(endpoint)}: ${(e as Error).message}`);
        }
        try {
            const checks = await verifyWritesPerShard(cluster, { clock: deps.progress.clock, targetSlot: middleSlot(pre.shard.slots), signal: deps.signal });
            checks.forEach((c) => step.found(describeCheck(c), { level: c.ok ? "info" : "error" }));
            const failed = checks.filter((c) => !c.ok);
            if (failed.length > 0) {
                throw new Error(`writes FAILED through the data plane on ${failed.map((c) => c.shard).join(", ")} after the failover of shard ` +
                    `${target.nodeGroupId}: ${describeCheck(failed[0])}. Clients cannot write to those slots: check the shard's nodes, the events and CloudWatch.`);
            }
            const covered = checks.some((c) => c.isTarget) ? ", including the failed-over shard" : "";
            const detail = `writes verified through the data plane on every shard (${checks.length}${covered})`;
            step.summarize(detail);
            return { ok: true, detail };
        } finally {
            cluster.disconnect();
        }
    });
}
