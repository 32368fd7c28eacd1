/**
 * The read-only half of retarget-primary: the stack's configuration, what the control plane shows, what
 * to do about it, and how much data it would cost. Nothing here changes anything, so a dry run is this
 * plus a preview.
 */
import { StackConfig } from "../../../components/config/types";
import { replicationGroupId } from "../../../components/naming";
import { RegionClients } from "../clients";
import { AwsCallError } from "../errors";
import { LagEstimate, judgeLag, readReplicationLag } from "../lag";
import { Progress } from "../progress";
import { RunReport } from "../report";
import { readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { ExpectedIds, Topology } from "../topology";
import { ClientsFor, readTargetGroup } from "./control-plane";
import { Decision, RetargetMode, TargetGroupState, checkTargetRegion, decideRetarget, describeMembers } from "./decide";
import { SOURCE_NAME, discoverWithCandidates, idCandidates } from "./ids";

/** The run stops here on purpose; the message says why and what to do. Nothing was changed. */
export class RefusedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RefusedError";
    }
}

export interface PreflightRequest {
    target: string;
    mode: RetargetMode;
    reconcileOnly: boolean;
    maxLagSeconds: number;
    force: boolean;
    /** outage: detach without trying a promotion (--detach). Default false. */
    detach?: boolean;
    /**
     * Read only. A lag a real run refuses is reported (PreflightResult.lagRefusal) instead of stopping
     * the run, so the plan is still printed. Default false.
     */
    dryRun?: boolean;
    /**
     * How long reading the stack outputs may take before the ids come from the configuration instead.
     * Default: unbounded. Outage runs bound it: a state backend that hangs must not hold the promotion up.
     */
    outputsTimeoutMs?: number;
}

export interface PreflightResult {
    config: StackConfig;
    topology?: Topology;
    targetGroup?: TargetGroupState;
    decision: Exclude<Decision, { action: "refuse" }>;
    lag?: LagEstimate;
    /** Dry run only: why a real run would refuse on the lag without --force. */
    lagRefusal?: string;
}

export async function preflight(req: PreflightRequest, driver: StackDriver, clients: RegionClients, progress: Progress, report: RunReport, signal?: AbortSignal): Promise<PreflightResult> {
    const { target, mode } = req;
    const config = await progress.step("stack", `reading and validating the configuration of stack ${driver.stackName}`, async (step) => {
        const { config: validated } = await readStackConfig(driver);
        const bad = checkTargetRegion(validated, target);
        if (bad) {
            throw new RefusedError(bad);
        }
        step.found(`primaryRegion ${validated.primaryRegion}, secondaryRegions ${validated.secondaryRegions.join(", ")}, foundingRegion ${validated.foundingRegion}`);
        step.summarize("configuration valid");
        return validated;
    });

    const clientsFor = (region: string) => clients.elastiCache(region);
    const { topology, targetGroup } = await progress.step("topology",
        mode === "outage" ? `asking only ${target} (outage: the old primary's region is not contacted) for the datastore and its members`
            : `asking ${target} first, then the other regions, for the datastore and its members`, async (step) => {
            const { candidates, findings } = await idCandidates(driver, config, { timeoutMs: req.outputsTimeoutMs, clock: progress.clock, signal });
            findings.forEach((f) => step.found(f.what, { level: f.level }));
            const discovered = await discoverWithCandidates(candidates, {
                clientsFor, regionOrder: [target], onlyRegions: mode === "outage" ? [target] : undefined,
            });
            discovered.findings.forEach((f) => step.found(f.what, { level: f.level }));
            const found = discovered.topology;
            if (discovered.notFound) {
                // In an outage run after a detach, the datastore is no longer visible from the target: decided below.
                if (mode !== "outage") {
                    throw discovered.notFound;
                }
                step.found(`no datastore visible from ${target}: ${discovered.notFound.message}`, { level: "warn" });
            }
            const group = await readTargetGroupOf(clientsFor, target, found, candidates, config, signal);
            if (found) {
                step.found(`Global Datastore ${found.globalDatastoreId} is ${found.status} (ids from ${SOURCE_NAME[found.source]}); ` +
                    `members: ${describeMembers(found.members)}`);
                found.failures.forEach((f) => step.found(`no answer from ${f.region}: ${f.error}`, { level: "warn" }));
            }
            step.found(group ? `${group.replicationGroupId} in ${target} is ${group.status}, ` +
                `${group.datastoreId ? `${group.role} of ${group.datastoreId}` : "standalone"}` : `no replication group for ${target} found`);
            return { topology: found, targetGroup: group };
        });

    const decision = await progress.step("decide", "deciding what to do from what the control plane shows", async (step) => {
        const decided = decideRetarget({ mode, reconcileOnly: req.reconcileOnly, detach: req.detach, target, config, topology, targetGroup });
        if (decided.action === "refuse") {
            throw new RefusedError(decided.summary);
        }
        if (req.reconcileOnly && decided.action !== "reconcile") {
            throw new RefusedError(`--reconcile-only: ${target} is not in charge yet (${decided.summary}). ` +
                "Run without --reconcile-only to promote it, or wait for the promotion in progress.");
        }
        step.found(decided.summary);
        step.next(nextFor(decided, mode));
        return decided;
    });

    let lag: { estimate: LagEstimate; refusal?: string } | undefined;
    // A detach loses what a promotion loses: whatever had not reached the target yet. A promotion under
    // way that an outage run may still turn into a detach has not decided the loss yet either.
    const targetRole = topology?.members.find((m) => m.region === target)?.role;
    if (decision.action === "failover" || decision.action === "detach" || (decision.action === "wait-promotion" && targetRole !== "PRIMARY")) {
        lag = await measureLag(req, targetGroup, clients, progress, report, signal);
    } else {
        report.setRecoveryPoint({ source: `not measured: ${target} was already promoted or detached when this run started; ` +
            "the data loss was decided by that earlier promotion" });
    }
    return { config, topology, targetGroup, decision, lag: lag?.estimate, lagRefusal: lag?.refusal };
}

/**
 * The target's replication group as its region reports it. The datastore's member list names it when
 * the datastore is visible; otherwise (an outage run after a detach) each candidate's id is asked in
 * turn, and the first the region knows is the one.
 */
async function readTargetGroupOf(clientsFor: ClientsFor, target: string, topology: Topology | undefined, candidates: readonly ExpectedIds[],
    config: StackConfig, signal?: AbortSignal): Promise<TargetGroupState | undefined> {
    const member = topology?.members.find((m) => m.region === target)?.replicationGroupId;
    const ids = member ? [member] : [...new Set([...candidates.map((c) => c.replicationGroupIds[target]), replicationGroupId(config, target)]
        .filter((id): id is string => id !== undefined))];
    for (const id of ids) {
        const group = await readTargetGroup(clientsFor, target, id, signal);
        if (group) {
            return group;
        }
    }
    return undefined;
}

function nextFor(decision: Exclude<Decision, { action: "refuse" }>, mode: RetargetMode): string {
    switch (decision.action) {
        case "failover":
            return "check the replication lag, then promote with FailoverGlobalReplicationGroup";
        case "detach":
            return "check the replication lag, then detach with DisassociateGlobalReplicationGroup";
        case "wait-promotion":
            return mode === "outage"
                ? "wait for the promotion up to --promotion-timeout (no new call), detach the target if it is not in charge by then, then move the writer parameter"
                : "wait for the promotion to complete (no new call), then reconcile the stack";
        case "wait-detach":
            return "wait for the detached group to be available (no new call), then move the writer parameter";
        case "reconcile":
            return "reconcile the stack with the control plane";
    }
}

async function measureLag(req: PreflightRequest, group: TargetGroupState | undefined, clients: RegionClients, progress: Progress,
    report: RunReport, signal?: AbortSignal): Promise<{ estimate: LagEstimate; refusal?: string }> {
    return progress.step("lag", `reading GlobalDatastoreReplicationLag of ${req.target} from CloudWatch in ${req.target}`, async (step) => {
        let estimate: LagEstimate;
        try {
            estimate = await readReplicationLag(clients.cloudWatch(req.target), group?.replicationGroupId ?? "", group?.memberClusters ?? [],
                req.target, progress.clock.now(), signal);
        } catch (e) {
            throw e instanceof AwsCallError ? e : new AwsCallError({ region: req.target, service: "cloudwatch", operation: "GetMetricData" }, e);
        }
        const silent = typeof estimate.silentSince === "object" ? estimate.silentSince : undefined;
        report.setRecoveryPoint({
            estimatedDataLossSeconds: estimate.maxSeconds, source: `${estimate.source}, ${estimate.windowStart} to ${estimate.windowEnd}`,
            ...(silent ? { silentSince: { at: Date.parse(silent.at), seconds: silent.seconds } } : {}),
        });
        const verdict = judgeLag(estimate, req.maxLagSeconds, req.force);
        if (!verdict.proceed) {
            if (!req.dryRun) {
                throw new RefusedError(verdict.message);
            }
            step.found(`a real run refuses without --force: ${verdict.message}`, { level: "warn" });
            step.summarize("a real run refuses without --force");
            return { estimate, refusal: verdict.message };
        }
        step.found(verdict.message, { level: verdict.forced ? "warn" : "info", detail: { maxSeconds: estimate.maxSeconds, datapoints: estimate.datapoints } });
        return { estimate };
    });
}
