/**
 * retarget-primary from preflight to report: decide from the control plane, confirm, promote (or in an
 * outage detach), then reconcile the stack. Every step is observable and every rerun continues from
 * what it finds (see decide.ts), so an interrupted run is finished by running the same command again.
 */
import { RegionClients } from "../clients";
import { AwsCallError } from "../errors";
import { Progress, firstLine } from "../progress";
import { ReconcileResult, reconcileStack } from "../reconcile";
import { Outcome, RunReport } from "../report";
import { StackDriver } from "../stack-driver";
import { WaitAbortedError, WaitError } from "../wait";
import {
    ClientsFor, PromotionTarget, WaitContext, disassociateInput, failoverInput, requestDetach, requestFailover,
    waitUntilPromoted, waitUntilStandalone,
} from "./control-plane";
import { PreflightRequest, PreflightResult, preflight } from "./preflight";

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

export interface RetargetResult {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
    /** What the run did or, in a dry run, would do. */
    plan: string[];
}

/** How the target came to accept writes, which decides what the stack may be told afterwards. */
type Promotion = "promoted" | "detached" | "already";

export async function runRetarget(req: RetargetRequest, deps: RetargetDeps): Promise<RetargetResult> {
    const { progress, report, driver } = deps;
    const pre = await preflight(req, driver, deps.clients, progress, report, deps.signal);
    const plan = planLines(req, pre);
    progress.found(`plan: ${plan.join("; ")}`);
    const command = (extra: string) => `${deps.invocation} retarget-primary --stack ${driver.stackName} --to ${req.target} --mode ${req.mode}${extra}`;

    const outageTargeted = req.mode === "outage";
    if (req.dryRun) {
        await reconcileStack({ driver, progress, target: req.target, dryRun: true, onlyRegion: outageTargeted ? req.target : undefined });
        return { outcome: "succeeded", summary: "dry run: nothing was changed; the plan is printed above", plan,
            nextSteps: [`Review the plan above, then run: ${command(" --yes")}`] };
    }
    await deps.confirm(plan);

    const ctx: WaitContext = { clock: progress.clock, emit: progress.emit, step: "promote", signal: deps.signal };
    const clientsFor: ClientsFor = (region) => deps.clients.elastiCache(region);
    const promotion = await promote(req, pre, clientsFor, deps, ctx);

    const reconcile = await reconcileStack({
        driver, progress, target: req.target, dryRun: false, onlyRegion: outageTargeted ? req.target : undefined,
    });
    return finish(req, pre, promotion, reconcile, plan, deps);
}

function target(req: RetargetRequest, pre: PreflightResult): PromotionTarget {
    return { datastoreId: pre.decision.datastoreId ?? "", region: req.target, replicationGroupId: pre.decision.targetGroupId };
}

export function planLines(req: RetargetRequest, pre: PreflightResult): string[] {
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
    lines.push(req.mode === "outage"
        ? `update only the resources in ${req.target} that follow the primary (writer/reader parameters, alarms, dashboards) with a targeted up`
        : "set primaryRegion/secondaryRegions (and pin foundingRegion) in the stack config, refresh, preview through the guard, up");
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

function finish(req: RetargetRequest, pre: PreflightResult, promotion: Promotion, reconcile: ReconcileResult, plan: string[], deps: RetargetDeps): RetargetResult {
    const stack = deps.driver.stackName;
    const oldPrimary = pre.config.primaryRegion === req.target ? undefined : pre.config.primaryRegion;
    const commit = `Commit the updated stack configuration (Pulumi.${stack}.yaml: ${reconcile.changes.map((c) => c.key).join(", ")}) ` +
        "so the next deployment from CI does not move the primary back.";
    const checkWriter = `Check that applications write to ${req.target}: the SSM parameter /elasticache-global/${stack}/writer in ${req.target} names it.`;
    if (reconcile.nothingToDo) {
        return { outcome: "nothing-to-do", plan, summary: `nothing to do: ${req.target} is the primary, the stack configuration says so and a preview plans no change`, nextSteps: [] };
    }
    if (req.mode === "outage") {
        const rebuild = promotion === "detached"
            ? `The Global Datastore must be rebuilt: ${req.target} now runs standalone. When ${oldPrimary ?? "the old primary's region"} answers again, ` +
              `run ${deps.invocation} rejoin --stack ${stack} --dry-run, review it, then run it with --yes.`
            : `When ${oldPrimary ?? "the old primary's region"} answers again, run ${deps.invocation} retarget-primary --stack ${stack} --to ${req.target} --reconcile-only --yes ` +
              "to bring the whole stack in line.";
        return {
            outcome: "succeeded", plan,
            summary: promotion === "detached" ? `${req.target} detached and accepting writes; only its own endpoint resources were updated`
                : `${req.target} promoted; only its own endpoint resources were updated`,
            nextSteps: [
                rebuild,
                `Do NOT run a plain pulumi up on stack ${stack} until then: it cannot reach ${oldPrimary ?? "the failed region"}. ` +
                "The protect option on the replication groups and the datastore makes it fail rather than destroy them, but it would fail halfway.",
                checkWriter,
                ...(reconcile.changes.length ? [commit] : []),
            ],
        };
    }
    return {
        outcome: "succeeded", plan,
        summary: `${req.target} is the primary; the stack's config and state follow it and a final preview replaces or deletes no cache or datastore`,
        nextSteps: [
            checkWriter,
            ...(reconcile.changes.length ? [commit] : []),
            ...(oldPrimary ? [`To roll back once ${oldPrimary} is healthy: ${deps.invocation} retarget-primary --stack ${stack} --to ${oldPrimary} --dry-run, then --yes.`] : []),
        ],
    };
}
