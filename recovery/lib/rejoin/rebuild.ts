/**
 * The stack half of rejoin: the read-only preview that must pass before anything is changed, and the
 * guarded update that rebuilds the datastore around the serving cluster. A refusal after the old
 * resources are gone cannot be undone by rerunning, so it says what was retired, what configuration
 * was set, how to put it back and what to do instead.
 */
import { fullKey } from "../../../components/config/keys";
import { StackConfig } from "../../../components/config/types";
import { writerParameterName } from "../../../components/naming";
import {
    GuardRefusedError, GuardVerdict, RESOURCE_TYPES, checkNoDataHoldingReplacement, checkPlannedSteps, nameFromUrn, previewThenUp, refusedByPolicy,
    summarizeViolations,
} from "../guard";
import { describePolicyPack } from "../policy-pack";
import { Progress } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { ConfigChange, applyConfigChanges, revertCommands } from "../stack-config";
import { PlannedStep, PolicyViolation, PreviewFailedError, StackDriver } from "../stack-driver";
import { RejoinChanges, RejoinStoppedError, describeRetired } from "./errors";

/** The serving group and the KMS key its data is encrypted with, among planned steps (logical names carry the region). */
function isServingResource(step: PlannedStep, servingRegion: string): boolean {
    const name = nameFromUrn(step.urn);
    return (step.type === RESOURCE_TYPES.replicationGroup && name.endsWith(`-${servingRegion}`)) ||
        (step.type === RESOURCE_TYPES.kmsKey && name.endsWith(`-${servingRegion}-key`));
}

/** The preview's steps; a preview the engine rejected still has the steps and the mandatory policy violations it announced. */
async function previewSteps(driver: StackDriver): Promise<{ steps: PlannedStep[]; rejected?: string; mandatory: PolicyViolation[] }> {
    try {
        return { steps: await driver.preview(), mandatory: [] };
    } catch (e) {
        if (e instanceof PreviewFailedError) {
            return { steps: e.steps, rejected: e.detail, mandatory: e.mandatory };
        }
        throw e;
    }
}

/**
 * Before the first change (and in a dry run): a preview with the stack's current configuration must
 * not replace or delete the serving group or its KMS key. That is the preview available without
 * writing anything. It proves that the program, as configured now, matches how those two resources
 * are deployed; it cannot prove the rebuild's own preview (new primary and founding region, refreshed
 * state), which the run judges through the guard again before its update.
 */
export async function checkServingBeforeChanges(driver: StackDriver, servingRegion: string, servingGroupId: string, progress: Progress,
    dryRun: boolean): Promise<GuardVerdict> {
    return progress.step("serving-guard", `previewing stack ${driver.stackName} with its current configuration: may it replace or delete ` +
        `${servingGroupId} or its KMS key?`, async (step) => {
        step.found(`the preview runs ${describePolicyPack(driver.policyPack)}`);
        const { steps, rejected, mandatory } = await previewSteps(driver);
        if (mandatory.length) {
            // The rebuild's update runs the same pack: refused then, it would stop after the old datastore and its groups are gone.
            const verdict = refusedByPolicy(driver, checkPlannedSteps(steps), mandatory);
            const refused = `the policy pack refuses the stack's current configuration, and the rebuild's update runs the same pack:\n${verdict.message}`;
            // A real run's refusal is printed once, as the run's error; the finding keeps the violations for the report.
            step.found(dryRun ? `${refused}\nThe real run refuses here, before any change.` : "the policy pack refuses the stack's current configuration; " +
                "the refusal is reported in full below", { level: "error", detail: { policyViolations: mandatory } });
            if (dryRun) {
                return verdict;
            }
            throw new RefusedError(`the policy pack refuses the stack's current configuration (${summarizeViolations(mandatory)}), and the rebuild's ` +
                "update runs the same pack: it would be refused the same way after the old datastore and its groups are gone, so rejoin stops " +
                "before changing anything. Fix what the policies name (the stack's configuration or the program, as a pull request would have to), " +
                `check pulumi preview --stack ${driver.stackName} with the policy pack until it passes, then run rejoin again. Nothing was changed.\n` +
                verdict.message);
        }
        const serving = steps.filter((s) => isServingResource(s, servingRegion));
        const verdict = checkPlannedSteps(serving, () => true);
        const proves = `the program with the stack's current configuration, against its current state, plans no replacement or deletion of ` +
            `${servingGroupId} or its KMS key (${serving.length} planned steps of theirs judged). That shows their declarations match how they ` +
            "are deployed; it does not show the rebuild's own preview (new primary and founding region, refreshed state), which is judged " +
            "through the guard again before the update";
        if (verdict.allowed) {
            step.found(proves + (rejected ? `. The engine rejected the preview for another reason: ${rejected}` : ""), { level: rejected ? "warn" : "info" });
            return verdict;
        }
        const refused = `the current preview would replace or delete the serving cluster's resources:\n${verdict.message}`;
        if (dryRun) {
            step.found(`${refused}\nThe real run refuses here, before any change.`, { level: "error" });
            return verdict;
        }
        throw new RefusedError(`${refused}\nrejoin stops before changing anything: the rebuild's update would be refused the same way or worse, ` +
            "after the old datastore and its groups are gone. Find out why the program and the deployment disagree on those resources " +
            `(the properties named above), fix that, and check pulumi preview --stack ${driver.stackName}. Nothing was changed.`);
    });
}

export interface RebuildContext {
    driver: StackDriver;
    progress: Progress;
    config: StackConfig;
    servingRegion: string;
    servingGroupId: string;
    configChanges: readonly ConfigChange[];
    /** What this run changed before the update, for the messages of a refusal. */
    changes: RejoinChanges;
}

function describeChange(c: ConfigChange): string {
    return `${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`;
}

/** Sets the regions, refreshes, runs the guarded update, then checks a fresh preview; refusals carry their own next steps. */
export async function rebuildThroughStack(ctx: RebuildContext): Promise<void> {
    const { driver, progress } = ctx;
    if (ctx.configChanges.length) {
        await progress.step("stack-config-update", `making ${ctx.servingRegion} the primary and founding region of stack ${driver.stackName}`, async (step) => {
            await applyConfigChanges(driver, ctx.configChanges);
            ctx.configChanges.forEach((c) => step.found(`set ${describeChange(c)}`));
            ctx.changes.configSet.push(...ctx.configChanges.map(describeChange));
        });
    }
    await progress.step("refresh", `refreshing stack ${driver.stackName}: the deleted resources leave the state`, () => driver.refresh());
    try {
        await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock });
    } catch (e) {
        throw e instanceof GuardRefusedError ? stoppedByGuard(ctx, e.verdict, "the guard refused the update, so pulumi up did not run") : e;
    }
    await progress.step("final-check", "previewing again: no replication group or datastore may be replaced or deleted", async (step) => {
        const verdict = await checkNoDataHoldingReplacement(driver);
        if (!verdict.allowed) {
            throw stoppedByGuard(ctx, verdict, "the update ran, but a fresh preview after it still plans to replace or delete data");
        }
        step.found(verdict.message);
    });
}

/** A refusal after this run changed things: what changed, why it stopped, what to do; never "run it again". */
function stoppedByGuard(ctx: RebuildContext, verdict: GuardVerdict, what: string): RejoinStoppedError {
    const { driver, config, servingGroupId, servingRegion } = ctx;
    const stack = driver.stackName;
    const retired = describeRetired(ctx.changes);
    const revert = revertCommands(stack, ctx.configChanges);
    const blocked = verdict.allowed ? [] : verdict.blocked.map((b) => `${b.name} (${b.ops.join(", ")}${b.forcedBy.length ? `, forced by ${b.forcedBy.join(", ")}` : ""})`);
    const message = `stack ${stack} was NOT rebuilt around ${servingGroupId}: ${what}.\n` +
        `What this run had already done: ${[retired, ctx.changes.configSet.length ? `set ${ctx.changes.configSet.join("; ")}` : undefined,
            "refreshed the state"].filter(Boolean).join("; ")}.\n` +
        `What the guard refused, and why: ${verdict.message}`;
    return new RejoinStoppedError(message, [
        `Do not run rejoin again as it is: the same preview would be refused. Do NOT run pulumi up on stack ${stack} (by hand or from CI) until a ` +
            `pulumi preview plans no replacement or deletion of a cache, its datastore or its KMS key: ${servingGroupId} now holds the only copy of the data.`,
        `Writers are safe meanwhile: ${writerParameterName(config)} names ${servingGroupId} in every region, and ${servingGroupId} keeps serving ` +
            `standalone in ${servingRegion}; nothing was sent to it.${retired ? ` The old resources are gone (${retired}); their final snapshots stay.` : ""}`,
        ...(verdict.violations.length && !verdict.allowed ? [`Fix what the policy pack refuses (${summarizeViolations(verdict.violations)}): the ` +
            `configuration or the program, as a pull request would have to, until pulumi preview --stack ${stack} with the policy pack passes; ` +
            "only then update the stack (rejoin then finds the old resources gone and runs only the update)."] : []),
        ...(blocked.length || verdict.violations.length === 0 ? [`Find out why the program would replace or delete ${blocked.join(", ") || "those resources"}: ` +
            `compare the properties named above with the deployed resources, fix the configuration or the program, and review pulumi preview --stack ${stack} ` +
            "until it plans no such step; only then update the stack (rejoin then finds the old resources gone and runs only the update)."] : []),
        ...(revert.length ? [`This run set ${ctx.configChanges.map((c) => c.key).join(", ")}. To put them back: ${revert.join(" && ")}. Only do that knowing ` +
            `the old datastore no longer exists: the old values would make the program create a new datastore in ${config.primaryRegion}, around a ` +
            `group that no longer exists, so keep ${fullKey("primaryRegion")} and ${fullKey("foundingRegion")} at ${servingRegion} unless you rebuild differently.`] : []),
    ]);
}
