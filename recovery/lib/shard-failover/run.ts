/**
 * failover-shard from preflight to verdict (runbook scenario 1, manual failover when automatic
 * failover did not trigger): check the group and the shard, confirm, call TestFailover (or follow
 * one under way), follow its events until the replaced node has recovered, then prove through the
 * data plane that every shard takes writes (on a read-only Global Datastore secondary: answers reads).
 * Emits progress, never prints.
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
import { FailoverEvent, FailoverProgress, describeTakeover } from "./events";
import { callTestFailover, followFailover, testFailoverInput } from "./failover";
import { MemberRole, describeRole, readMemberRole } from "./member-role";
import { ShardPreflight, preflightShard } from "./preflight";
import { ShardState, readGroup } from "./shard";
import { ShardTarget, checkShardRequest, resolveShardTarget } from "./target";
import { DataPlaneAccess } from "./verify-writes";
import { describeNewPrimary, verificationPlan, verifyDataPlane } from "./verify-after";

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

export function planLines(target: ShardTarget, pre: ShardPreflight, waitTimeoutMs: number, verification: string): string[] {
    return [
        pre.underWay
            ? `no call: follow the TestFailover of shard ${target.nodeGroupId} called at ${isoTime(pre.underWay.called.at)}, which is still under way`
            : `call TestFailover ${JSON.stringify(testFailoverInput(target))} in ${target.region} (quota: ${pre.quota.remaining} of ${pre.quota.limit} left)`,
        `follow the events until "Finished recovery for cache nodes" (up to ${waitTimeoutMs / 1000} s)`,
        verification,
    ];
}

/** The member's role (the "role" step): whether the check after the failover may write. */
async function memberRole(target: ShardTarget, config: StackConfig, deps: ShardFailoverDeps): Promise<MemberRole> {
    return deps.progress.step("role", `reading the role of ${target.replicationGroupId} in the Global Datastore: a secondary takes no writes`, async (step) => {
        const role = await readMemberRole(target, config, deps.driver, deps.clients);
        if (role.role === "unknown") {
            step.found(`${describeRole(target, role)}; the check after the failover writes, which fails on a read-only secondary`, { level: "warn" });
        }
        step.summarize(describeRole(target, role));
        return role;
    });
}

export async function runShardFailover(req: ShardFailoverRequest, deps: ShardFailoverDeps): Promise<ShardFailoverResult> {
    const { progress, report, clients } = deps;
    const { config, target } = await readShardTarget(deps.driver, progress, req.region, req.shard);
    // Settled before AWS is asked anything: a --redis-user the stack does not have is bad input.
    const access = deps.dataPlane(config);
    report.setRecoveryPoint({ source: "TestFailover promotes a replica in the same region: writes the old primary acknowledged and had not yet " +
        "replicated are lost, usually milliseconds (CloudWatch ReplicationLag of the replicas, which this run does not read)" });
    const pre = await preflightShard(target, clients, progress, { signal: deps.signal });
    const role = await memberRole(target, config, deps);
    const endpoint = endpointOf(target, pre);
    const plan = planLines(target, pre, req.waitTimeoutMs, verificationPlan(access, endpoint, role, target));
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
    const verified = await verifyDataPlane({ target, pre, access, endpoint, role }, deps);
    const what = `shard ${target.nodeGroupId} of ${target.replicationGroupId} in ${target.region} failed over (${describeNewPrimary(failover, verified, pre.shard)}), ` +
        `and the replaced node${failover.replaced ? ` ${failover.replaced}` : ""} has recovered`;
    if (verified.ok) {
        return { outcome: "succeeded", summary: `${what}; ${verified.detail}`, nextSteps: [] };
    }
    const byHand = role.role === "SECONDARY" ? "one GET per shard" : "one SET and GET per shard";
    return {
        outcome: "partial",
        summary: `${what}; ${role.role === "SECONDARY" ? "reads" : "writes"} NOT verified: ${verified.why}`,
        nextSteps: [`Verify ${role.role === "SECONDARY" ? "reads" : "writes"} by hand from a host that reaches the cluster: ${byHand} through the configuration endpoint ` +
            `${endpoint ? `${endpoint.host}:${endpoint.port}` : `(${target.replicationGroupId} in ${target.region})`} with TLS (redis-cli -c --tls ` +
            "--user <user> --askpass), with a key whose hash tag falls in each shard's slots. To let this command do it, run it where the endpoint " +
            "answers, with REDIS_PASSWORD set."],
    };
}

/**
 * Follows the failover (the "follow" step) until "Finished recovery" on the shard. The report's
 * recovery time ends when AWS reports the replica promoted; a failover whose events never report the
 * promotion (neither form) still ends at the recovery, and its new primary is left to the data plane.
 */
export async function followShardFailover(target: ShardTarget, shard: ShardState, since: number, timeoutMs: number,
    deps: Pick<ShardFailoverDeps, "clients" | "progress" | "report" | "signal">, onPromoted?: (event: FailoverEvent) => void): Promise<FailoverProgress> {
    return deps.progress.step("follow", `following the events of shard ${target.nodeGroupId} of ${target.replicationGroupId} until the replaced node has recovered`, async (step) => {
        const done = await followFailover(step, since, {
            clients: deps.clients, target, shard, clock: deps.progress.clock, notBeforeMs: since, timeoutMs, signal: deps.signal,
            onPromoted: (event) => {
                deps.report.markWritesAccepted(`AWS reports the failover of shard ${target.nodeGroupId} completed: "${event.message}"`);
                step.found(`promoted: ${event.to} took over${event.from ? ` from ${event.from}` : " (the event does not name the replaced primary)"} at ${isoTime(event.at)}`);
                onPromoted?.(event);
            },
        });
        const recovered = done.recovered!;
        if (!done.promoted) {
            deps.report.markWritesAccepted(`AWS reports the shard ${target.nodeGroupId} recovered ("${recovered.message}"); no event reported the promotion`);
            step.found(`AWS reported the recovery of shard ${target.nodeGroupId} without an event naming the new primary ("Failover to replica node ..."): ` +
                "the data plane is asked which node is primary now", { level: "warn" });
        }
        step.summarize(`recovered at ${isoTime(recovered.at)}: "${recovered.message}"; ${describeTakeover(done)}`);
        return done;
    });
}

async function checkAfter(step: StepContext, target: ShardTarget, failover: FailoverProgress, deps: Pick<ShardFailoverDeps, "clients" | "signal">): Promise<void> {
    const group = await readGroup(deps.clients, target.region, target.replicationGroupId, deps.signal);
    const shard = group?.shards.find((s) => s.nodeGroupId === target.nodeGroupId);
    const az = (id?: string) => shard?.nodes.find((n) => n.cacheClusterId === id)?.availabilityZone ?? "AZ unknown";
    const { newPrimary: to, replaced: from } = failover;
    if (to === undefined) {
        step.found(`AWS's events do not name the new primary${from ? ` (${from}, ${az(from)}, was replaced)` : ""}: its availability zone is not checked`,
            { level: "warn" });
    } else if (az(from) === az(to) && az(to) !== "AZ unknown") {
        step.found(`the new primary ${to} is in ${az(to)}, the same AZ as the old primary ${from}: if that AZ is failing, fail over again ` +
            "once another replica is healthy", { level: "warn" });
    } else {
        step.found(`new primary ${to} in ${az(to)}${from ? `; old primary ${from} (${az(from)}) was replaced and is now a replica` : ""}`);
    }
    if (group && group.status !== "available") {
        step.found(`${target.replicationGroupId} is ${group.status}, not yet available again`, { level: "warn" });
    }
    step.summarize(`${target.replicationGroupId} is ${group?.status ?? "not found"}; shard ${target.nodeGroupId} is ${shard?.status ?? "not found"}`);
}
