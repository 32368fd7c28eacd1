/**
 * retarget-primary from preflight to report: decide from the control plane, confirm, promote (or in an
 * outage detach), then bring the writer in line. Every step is observable and every rerun continues
 * from what it finds (see decide.ts), so an interrupted run is finished by running the same command
 * again.
 *
 * planned and adopt reconcile the stack, which moves the writer endpoint; when the stack is out of
 * reach (state backend down, Pulumi CLI missing) the promotion stands and the reconcile is left for a
 * --reconcile-only run (outcome.ts). outage never runs Pulumi: it writes the writer parameter directly
 * (outage.ts).
 */
import { RegionClients } from "../clients";
import { Progress, firstLine } from "../progress";
import { ReconcileOptions, ReconcileRefusedError, ReconcileResult, checkFoundingRegion, reconcileStack } from "../reconcile";
import { RunReport } from "../report";
import { stackUnavailability, unavailableBriefly } from "../stack-file";
import { StackDriver, StackUnavailableError } from "../stack-driver";
import { PromotionTarget, disassociateInput, failoverInput } from "./control-plane";
import { moveWriters, outagePlanLines, outageResult } from "./outage";
import {
    RetargetResult, RunFacts, deferredPlanLine, deferredResult, dryRunResult, reconciledResult, skipReconcile,
} from "./outcome";
import { OUTAGE_STACK_TIMEOUT_MS } from "./deadline";
import { DETACH_RETRY_JITTER_MS, DETACH_RETRY_MS } from "./detach";
import { PreflightRequest, PreflightResult, RefusedError, preflight } from "./preflight";
import { PromotionDeps, carryOut } from "./promotion";

export type { RetargetResult } from "./outcome";

export interface RetargetRequest extends PreflightRequest {
    dryRun: boolean;
    /** outage: how long the promotion may take before the target is detached instead. */
    promotionTimeoutMs: number;
    /** How long a promotion or detach may take (a detach AWS refuses is asked again until then) before the run gives up. */
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
    if (req.mode === "outage" && req.reconcileOnly) {
        throw new RefusedError("--reconcile-only cannot be combined with --mode outage: outage mode never updates the stack, since any preview or " +
            "update runs the whole program, which needs every region. Once the old primary's region answers again, run rejoin (after a detach) or " +
            "--mode planned --reconcile-only (after a completed promotion).");
    }
    const unavailable = req.mode === "outage" ? undefined : stackUnavailability(driver);
    const pre = await preflight({ ...req, outputsTimeoutMs: req.mode === "outage" ? OUTAGE_STACK_TIMEOUT_MS : undefined },
        driver, deps.clients, progress, report, deps.signal);
    const facts: Omit<RunFacts, "plan"> = {
        target: req.target, mode: req.mode, stackName: driver.stackName, invocation: deps.invocation, pre,
        rerunFlags: `${req.force ? " --force" : ""}${req.detach ? " --detach" : ""}`,
    };
    const plan = planLines(req, pre, req.mode === "outage" ? outagePlanLines(pre.config, req.target) : unavailable && [deferredPlanLine(facts, unavailable)]);
    const run: RunFacts = { ...facts, plan };
    progress.found(`plan: ${plan.join("; ")}`);
    const reconcileOptions: ReconcileOptions = { driver, progress, target: req.target, dryRun: req.dryRun, controlPlaneDatastoreId: pre.topology?.globalDatastoreId };

    if (req.dryRun) {
        if (req.mode === "outage") {
            return dryRunResult(run, undefined, pre.lagRefusal);
        }
        if (unavailable) {
            await skipReconcile(progress, run, unavailable, true);
            return dryRunResult(run, unavailable, pre.lagRefusal);
        }
        const dry = await reconcileOrDefer(reconcileOptions, progress);
        return dryRunResult(run, dry instanceof StackUnavailableError ? dry : undefined, pre.lagRefusal);
    }
    if (req.mode !== "outage" && !unavailable && pre.decision.action !== "reconcile") {
        await checkFoundingRegion(driver, progress, pre.topology?.globalDatastoreId);
    }
    await deps.confirm(plan);

    const promotionDeps: PromotionDeps = {
        read: (region) => deps.clients.elastiCache(region), change: (region) => deps.clients.elastiCacheForChanges(region),
        progress, report, signal: deps.signal,
    };
    const promotion = await carryOut(req, pre, target(req, pre), promotionDeps);

    if (req.mode === "outage") {
        return outageResult(run, promotion, await moveWriters(run, promotion, deps.clients, progress, deps.signal));
    }
    if (unavailable) {
        await skipReconcile(progress, run, unavailable, false);
        return deferredResult(run, promotion, unavailable, "not-started");
    }
    let reconciled: ReconcileResult | StackUnavailableError;
    try {
        reconciled = await reconcileOrDefer(reconcileOptions, progress);
    } catch (e) {
        if (!(e instanceof ReconcileRefusedError) || promotion === "already") {
            throw e;
        }
        // This run promoted, and the promotion stands; only the stack is behind. That is a partial result, not a failed one, and the
        // refusal's own next steps (what changed, how to revert it) replace the generic "run it again". The refusal may come from
        // the guard before up or from the check after it: its own first line says which.
        progress.found(e.message, { level: "error" });
        return {
            outcome: "partial", plan,
            summary: `${req.target} accepts writes; the stack is behind: ${firstLine(e)}`,
            nextSteps: e.nextSteps,
        };
    }
    if (reconciled instanceof StackUnavailableError) {
        // guard.previewThenUp opens the "stack-update" step only to run up, so its record tells how far the stack got.
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

/** The control-plane calls the run makes, then what it does about the writer and the stack (`after`, when not the usual reconcile). */
export function planLines(req: RetargetRequest, pre: PreflightResult, after?: string[]): string[] {
    const t = target(req, pre);
    const detach = `call DisassociateGlobalReplicationGroup ${JSON.stringify(disassociateInput(t))} in ${req.target} (asked again every ` +
        `${DETACH_RETRY_MS / 1000} to ${(DETACH_RETRY_MS + DETACH_RETRY_JITTER_MS) / 1000} s while AWS answers InvalidGlobalReplicationGroupState, for up to ` +
        `${req.waitTimeoutMs / 1000} s; if the target turns PRIMARY meanwhile, no detach), then wait until it is standalone and available`;
    const lines: string[] = [];
    switch (pre.decision.action) {
        case "failover":
            lines.push(`call FailoverGlobalReplicationGroup ${JSON.stringify(failoverInput(t))} in ${req.target}`);
            if (req.mode === "outage") {
                lines.push(`if the promotion has not completed within ${req.promotionTimeoutMs / 1000} s or AWS refuses it: ${detach}`);
            } else {
                lines.push("wait until the datastore is available with the target as PRIMARY");
            }
            break;
        case "detach":
            lines.push(detach);
            break;
        case "wait-promotion":
            lines.push(req.mode === "outage"
                ? `wait for the promotion already in progress (no new call) for up to ${req.promotionTimeoutMs / 1000} s; if it does not complete: ${detach}`
                : "wait for the promotion already in progress (no new call)");
            break;
        case "wait-detach":
            lines.push("wait for the detached group to be available (no new call)");
            break;
        case "reconcile":
            lines.push("no control-plane call: the target is already in charge");
            break;
    }
    lines.push(...(after ?? ["set primaryRegion/secondaryRegions (and pin foundingRegion) in the stack config, refresh, preview through the guard, up"]));
    return lines;
}
