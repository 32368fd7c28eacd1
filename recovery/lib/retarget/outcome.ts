/**
 * How a retarget-primary run ends: its outcome, the one-line summary and the next steps a human acts
 * on. Two endings: the stack was reconciled, or it could not be reached (state backend down, Pulumi
 * CLI missing) and the reconcile is left for a --reconcile-only run, while the promotion stands.
 */
import { writerParameterName } from "../../../components/naming";
import { Progress } from "../progress";
import { ReconcileResult } from "../reconcile";
import { Outcome } from "../report";
import { PulumiCliMissingError, StackUnavailableError } from "../stack-driver";
import { unavailableBriefly } from "../stack-file";
import { RetargetMode } from "./decide";
import { PreflightResult } from "./preflight";

export interface RetargetResult {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
    /** What the run did or, in a dry run, would do. */
    plan: string[];
}

/**
 * How the target came to accept writes, which decides what the stack may be told afterwards.
 * "primary-unsettled" (outage only): the target is PRIMARY and its own region reports it available,
 * while the datastore has not settled (still modifying).
 */
export type Promotion = "promoted" | "detached" | "already" | "primary-unsettled";

/** "<target> promoted", "<target> detached", ...: how the target came to accept writes, in a few words. */
export function describePromotion(promotion: Promotion): string {
    switch (promotion) {
        case "promoted":
            return "promoted";
        case "detached":
            return "detached";
        case "already":
            return "was already in charge";
        case "primary-unsettled":
            return "is PRIMARY and accepts writes (its own region reports it available) while the datastore is still changing";
    }
}

/** What the endings need to know about the run. */
export interface RunFacts {
    target: string;
    mode: RetargetMode;
    stackName: string;
    /** The command line that runs this program, for next steps: "npm run recovery --". */
    invocation: string;
    pre: PreflightResult;
    plan: string[];
    /** Flags of this run that a rerun of the same promotion needs too (" --force --detach"). Default none. */
    rerunFlags?: string;
}

/** The exact retarget-primary command line for this stack, target and mode, with `extra` flags. */
export function retargetCommand(run: Omit<RunFacts, "plan">, extra: string): string {
    return `${run.invocation} retarget-primary --stack ${run.stackName} --to ${run.target} --mode ${run.mode}${extra}`;
}

/** What must change before the stack can be reconciled. */
function whenAvailable(unavailable: StackUnavailableError): string {
    return unavailable instanceof PulumiCliMissingError
        ? "the Pulumi CLI is installed (here, or on another machine with this project)"
        : "the state backend answers again";
}

function reconcileLater(run: Omit<RunFacts, "plan">, unavailable: StackUnavailableError): string {
    return `When ${whenAvailable(unavailable)}, reconcile the stack: run ${retargetCommand(run, " --reconcile-only --dry-run")}, ` +
        `review it, then ${retargetCommand(run, " --reconcile-only --yes")}.`;
}

function oldPrimaryOf(run: RunFacts): string | undefined {
    return run.pre.config.primaryRegion === run.target ? undefined : run.pre.config.primaryRegion;
}

/** The plan's last line when the stack is unavailable: what this run will not do. */
export function deferredPlanLine(run: Omit<RunFacts, "plan">, unavailable: StackUnavailableError): string {
    return `leave stack ${run.stackName} as it is (${unavailableBriefly(unavailable)}): its configuration and the writer parameters` +
        `${run.pre.config.route53 ? " and DNS record" : ""} are updated later by ${retargetCommand(run, " --reconcile-only --yes")}`;
}

/** A "reconcile" step that does not run, so the narrative and the report say why and what comes instead. */
export async function skipReconcile(progress: Progress, run: RunFacts, unavailable: StackUnavailableError, dryRun: boolean): Promise<void> {
    await progress.step("reconcile", `bringing stack ${run.stackName} in line with ${run.target} as primary`, async (step) => {
        step.found(`${dryRun ? "a real run would leave this" : "left"} for later: stack ${run.stackName} cannot be used because ` +
            `${unavailableBriefly(unavailable)} (${unavailable.detail}); the control plane is not affected`, { level: "warn" });
        step.next(reconcileLater(run, unavailable));
        step.skip(`deferred: ${unavailableBriefly(unavailable)}`);
    });
}

/**
 * A dry run ends well when it could print the plan. What a real run would refuse is said, not enforced:
 * during an outage the lag is unknown, and the dry run is how the operator sees the plan before deciding
 * on --force. `lagRefusal` is that refusal (a real run without --force stops on it).
 */
export function dryRunResult(run: RunFacts, unavailable?: StackUnavailableError, lagRefusal?: string): RetargetResult {
    const rerunFlags = run.rerunFlags ?? "";
    const lagStep = lagRefusal ? [`A real run without --force refuses on the lag (${lagRefusal}) To accept that loss: ` +
        `${retargetCommand(run, `${rerunFlags.includes("--force") ? rerunFlags : `${rerunFlags} --force`} --yes`)}`] : [];
    if (!unavailable) {
        return { outcome: "succeeded", summary: `dry run: nothing was changed; the plan is printed above${lagRefusal ? "; a real run needs --force (lag)" : ""}`,
            plan: run.plan, nextSteps: [`Review the plan above, then run: ${retargetCommand(run, `${rerunFlags} --yes`)}`, ...lagStep] };
    }
    return {
        outcome: "succeeded", plan: run.plan,
        summary: `dry run: nothing was changed; the control-plane steps would run as planned, the reconcile of stack ${run.stackName} ` +
            `would be left for later (${unavailableBriefly(unavailable)})`,
        nextSteps: [
            `Review the plan above, then run: ${retargetCommand(run, " --yes")}. It will end PARTIAL (exit code 3): ` +
                `the new primary accepts writes, the stack is not reconciled.`,
            reconcileLater(run, unavailable),
            ...lagStep,
        ],
    };
}

function writerCheck(run: RunFacts): string {
    return `Check that applications write to ${run.target}: the SSM parameter ${writerParameterName(run.pre.config)} in ${run.target} names it.`;
}

export function reconciledResult(run: RunFacts, promotion: Promotion, reconcile: ReconcileResult): RetargetResult {
    const { target, stackName: stack, plan } = run;
    const oldPrimary = oldPrimaryOf(run);
    const commit = `Commit the updated stack configuration (Pulumi.${stack}.yaml: ${reconcile.changes.map((c) => c.key).join(", ")}) ` +
        "so the next deployment from CI does not move the primary back.";
    if (reconcile.nothingToDo) {
        return { outcome: "nothing-to-do", plan, summary: `nothing to do: ${target} is the primary, the stack configuration says so and a preview plans no change`, nextSteps: [] };
    }
    return {
        outcome: "succeeded", plan,
        summary: `${target} is the primary; the stack's config and state follow it and a final preview replaces or deletes no cache or datastore`,
        nextSteps: [
            writerCheck(run),
            ...(reconcile.changes.length ? [commit] : []),
            ...(oldPrimary ? [`To roll back once ${oldPrimary} is healthy: ${run.invocation} retarget-primary --stack ${stack} --to ${oldPrimary} --dry-run, then --yes.`] : []),
        ],
    };
}

/**
 * The control-plane part is done (the target accepts writes) and the stack is not reconciled.
 * `stackUpdate` says how far the stack got: "not-started" when nothing was sent to it (the writer
 * endpoint certainly still names the old primary), "interrupted" when its update began and did not
 * finish (it may have moved some endpoint resources), "done" when only a later check failed.
 */
export function deferredResult(run: RunFacts, promotion: Promotion, unavailable: StackUnavailableError,
    stackUpdate: "not-started" | "interrupted" | "done"): RetargetResult {
    const { target, stackName: stack } = run;
    const oldPrimary = oldPrimaryOf(run);
    const group = run.pre.decision.targetGroupId;
    const how = describePromotion(promotion);
    const writer = writerParameterName(run.pre.config);
    const dns = run.pre.config.route53 ? " and the Route 53 writer record" : "";
    const byHand = `point writers at ${group} in ${target} by hand until the reconcile has run ` +
        `(its configuration endpoint: aws elasticache describe-replication-groups --replication-group-id ${group} --region ${target})`;
    const writerStep = stackUpdate === "done"
        ? writerCheck(run)
        : stackUpdate === "interrupted"
            ? `The stack update stopped halfway: check the SSM parameter ${writer} in each region${dns}; ` +
              `where they still name ${oldPrimary ?? "the old primary"}, ${byHand}.`
            : `The writer endpoint follows the stack, so it was NOT moved: the SSM parameter ${writer}${dns} ` +
              `${dns ? "still name" : "still names"} ${oldPrimary ?? "the old primary"}. ${byHand[0].toUpperCase()}${byHand.slice(1)}.`;
    return {
        outcome: "partial", plan: run.plan,
        summary: `${target} ${how} and accepts writes; stack ${stack} is NOT reconciled (${unavailableBriefly(unavailable)}): ` +
            "run --reconcile-only later, as the next steps say",
        nextSteps: [
            reconcileLater(run, unavailable),
            `Until then, do NOT deploy stack ${stack} (no CI deployment, no pulumi up): ` + (oldPrimary
                ? `the committed Pulumi.${stack}.yaml still names ${oldPrimary} as the primary, so a deployment would move the writer back there. `
                : "its state does not record the promotion yet. ") + "Pause automatic deployments.",
            writerStep,
        ],
    };
}
