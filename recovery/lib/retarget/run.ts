/**
 * retarget-primary from preflight to report: decide from the control plane, confirm, promote (or in an
 * outage detach), then reconcile the stack. Every step is observable and every rerun continues from
 * what it finds (see decide.ts), so an interrupted run is finished by running the same command again.
 * The stack is needed only for the reconcile: when it is out of reach (state backend down, Pulumi CLI
 * missing), before or after the promotion, the promotion stands and the reconcile is left for a
 * --reconcile-only run (outcome.ts says how).
 */
import { RegionClients } from "../clients";
import { AwsCallError } from "../errors";
import { Progress, firstLine } from "../progress";
import { ReconcileOptions, ReconcileResult, reconcileStack } from "../reconcile";
import { RunReport } from "../report";
import { stackUnavailability, unavailableBriefly } from "../stack-file";
import { StackDriver, StackUnavailableError } from "../stack-driver";
import { WaitAbortedError, WaitError } from "../wait";
import {
    ClientsFor, PromotionTarget, WaitContext, disassociateInput, failoverInput, requestDetach, requestFailover,
    waitUntilPromoted, waitUntilStandalone,
} from "./control-plane";
import {
    Promotion, RetargetResult, RunFacts, deferredPlanLine, deferredResult, dryRunResult, reconciledResult, skipReconcile,
} from "./outcome";
import { PreflightRequest, PreflightResult, preflight } from "./preflight";

export type { RetargetResult } from "./outcome";

export interface RetargetRequest extends PreflightRequest {
    dryRun: boolean;
    /** outage: how long the promotion may take before the target is detached instead. */
    promotionTimeoutMs: number;
    /** How long a promotion or detach may take before the run gives up. */
    waitTimeoutMs: number;
}

export interface RetargetDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    report: RunReport;
    /** Resolves when the human (or --yes) allows the plan; throws otherwise. */
    confirm(plan: string[]): Promise<void>;
    /** The command line that runs this program, for next steps: "npm run recovery --". */
    invocation: string;
    signal?: AbortSignal;
}

export async function runRetarget(req: RetargetRequest, deps: RetargetDeps): Promise<RetargetResult> {
    const { progress, report, driver } = deps;
    const unavailable = stackUnavailability(driver);
    const pre = await preflight(req, driver, deps.clients, progress, report, deps.signal);
    const facts: Omit<RunFacts, "plan"> = { target: req.target, mode: req.mode, stackName: driver.stackName, invocation: deps.invocation, pre };
    const plan = planLines(req, pre, unavailable && deferredPlanLine(facts, unavailable));
    const run: RunFacts = { ...facts, plan };
    progress.found(`plan: ${plan.join("; ")}`);
    const reconcileOptions: ReconcileOptions = { driver, progress, target: req.target, dryRun: req.dryRun, onlyRegion: req.mode === "outage" ? req.target : undefined };

    if (req.dryRun) {
        if (unavailable) {
            await skipReconcile(progress, run, unavailable, true);
            return dryRunResult(run, unavailable);
        }
        const dry = await reconcileOrDefer(reconcileOptions, progress);
        return dryRunResult(run, dry instanceof StackUnavailableError ? dry : undefined);
    }
    await deps.confirm(plan);

    const ctx: WaitContext = { clock: progress.clock, emit: progress.emit, step: "promote", signal: deps.signal };
    const clientsFor: ClientsFor = (region) => deps.clients.elastiCache(region);
    const promotion = await promote(req, pre, clientsFor, deps, ctx);

    if (unavailable) {
        await skipReconcile(progress, run, unavailable, false);
        return deferredResult(run, promotion, unavailable, "not-started");
    }
    const reconciled = await reconcileOrDefer(reconcileOptions, progress);
    if (reconciled instanceof StackUnavailableError) {
        const update = progress.steps.find((s) => s.name === "stack-update");
        return deferredResult(run, promotion, reconciled, !update ? "not-started" : update.result === "ok" ? "done" : "interrupted");
    }
    return reconciledResult(run, promotion, reconciled);
}

/**
 * Reconciles, or returns the StackUnavailableError that stopped it halfway: by then the control-plane
 * part may be done, and losing the stack must not turn a promotion that happened into a failed run.
 */
async function reconcileOrDefer(options: ReconcileOptions, progress: Progress): Promise<ReconcileResult | StackUnavailableError> {
    try {
        return await reconcileStack(options);
    } catch (e) {
        if (!(e instanceof StackUnavailableError)) {
            throw e;
        }
        progress.found(`the stack became unavailable while it was being reconciled (${unavailableBriefly(e)}): ${e.message} ` +
            (options.dryRun ? "A real run would do the same control-plane steps and leave the reconcile for later."
                : "What the control plane did stands; only the reconcile is left for later."), { level: "warn" });
        return e;
    }
}

function target(req: RetargetRequest, pre: PreflightResult): PromotionTarget {
    return { datastoreId: pre.decision.datastoreId ?? "", region: req.target, replicationGroupId: pre.decision.targetGroupId };
}

/** The control-plane calls the run makes, then what it does to the stack (`stackLine` when that differs from the usual reconcile). */
export function planLines(req: RetargetRequest, pre: PreflightResult, stackLine?: string): string[] {
    const t = target(req, pre);
    const lines: string[] = [];
    switch (pre.decision.action) {
        case "failover":
            lines.push(`call FailoverGlobalReplicationGroup ${JSON.stringify(failoverInput(t))} in ${req.target}`);
            if (req.mode === "outage") {
                lines.push(`if the promotion has not completed within ${req.promotionTimeoutMs / 1000} s or fails: ` +
                    `call DisassociateGlobalReplicationGroup ${JSON.stringify(disassociateInput(t))} in ${req.target} and wait until it is standalone`);
            } else {
                lines.push("wait until the datastore is available with the target as PRIMARY");
            }
            break;
        case "wait-promotion":
            lines.push("wait for the promotion already in progress (no new call)");
            break;
        case "wait-detach":
            lines.push("wait for the detached group to be available (no new call)");
            break;
        case "reconcile":
            lines.push("no control-plane call: the target is already in charge");
            break;
    }
    lines.push(stackLine ?? (req.mode === "outage"
        ? `update only the resources in ${req.target} that follow the primary (writer/reader parameters, alarms, dashboards) with a targeted up`
        : "set primaryRegion/secondaryRegions (and pin foundingRegion) in the stack config, refresh, preview through the guard, up"));
    return lines;
}

async function promote(req: RetargetRequest, pre: PreflightResult, clientsFor: ClientsFor, deps: RetargetDeps, ctx: WaitContext): Promise<Promotion> {
    const { progress, report } = deps;
    const t = target(req, pre);
    const accepted = (how: string) => report.markWritesAccepted(how);
    switch (pre.decision.action) {
        case "reconcile":
            progress.found(pre.decision.standalone ? `${t.replicationGroupId} already accepts writes (detached before this run)`
                : `${req.target} was already the primary before this run; no control-plane call`);
            return pre.decision.standalone ? "detached" : "already";
        case "wait-detach":
            await progress.step("detach", `waiting for ${t.replicationGroupId} to be standalone and available (detach already requested)`, async () => {
                await waitUntilStandalone(clientsFor, req.target, t.replicationGroupId, req.waitTimeoutMs, { ...ctx, step: "detach" });
                accepted(`${t.replicationGroupId} standalone and available in ${req.target}`);
            });
            return "detached";
        case "wait-promotion":
            await progress.step("promote", `waiting for the promotion of ${t.replicationGroupId} already in progress`, async () => {
                await waitUntilPromoted(clientsFor, t, req.waitTimeoutMs, ctx);
                accepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
            });
            return "promoted";
        case "failover":
            if (req.mode !== "outage") {
                await progress.step("promote", `promoting ${t.replicationGroupId} in ${req.target}`, async (step) => {
                    await requestFailover(clientsFor, t, deps.signal);
                    step.found("FailoverGlobalReplicationGroup accepted");
                    step.next("poll DescribeGlobalReplicationGroups in the target region until the roles have swapped");
                    await waitUntilPromoted(clientsFor, t, req.waitTimeoutMs, ctx);
                    accepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
                });
                return "promoted";
            }
            return promoteOrDetach(req, t, clientsFor, deps, ctx);
    }
}

/** outage: a promotion needs the old primary to hand over; when it cannot, detaching is what still works. */
async function promoteOrDetach(req: RetargetRequest, t: PromotionTarget, clientsFor: ClientsFor, deps: RetargetDeps, ctx: WaitContext): Promise<Promotion> {
    const { progress, report } = deps;
    const promoted = await progress.step("promote", `trying to promote ${t.replicationGroupId} (deadline ${req.promotionTimeoutMs / 1000} s)`, async (step) => {
        try {
            await requestFailover(clientsFor, t, deps.signal);
            step.found("FailoverGlobalReplicationGroup accepted");
            await waitUntilPromoted(clientsFor, t, req.promotionTimeoutMs, ctx);
            report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
            return true;
        } catch (e) {
            if (e instanceof WaitAbortedError || (!(e instanceof WaitError) && !(e instanceof AwsCallError))) {
                throw e;
            }
            step.found(`the promotion did not complete: ${firstLine(e)}`, { level: "warn" });
            step.next(`detach ${t.replicationGroupId} from ${t.datastoreId} so it accepts writes on its own`);
            step.skip("promotion did not complete; detaching instead");
            return false;
        }
    });
    if (promoted) {
        return "promoted";
    }
    await progress.step("detach", `detaching ${t.replicationGroupId} from ${t.datastoreId}`, async (step) => {
        await requestDetach(clientsFor, t, deps.signal);
        step.found("DisassociateGlobalReplicationGroup accepted");
        await waitUntilStandalone(clientsFor, req.target, t.replicationGroupId, req.waitTimeoutMs, { ...ctx, step: "detach" });
        report.markWritesAccepted(`${t.replicationGroupId} standalone and available in ${req.target}`);
    });
    return "detached";
}
