/**
 * Brings the stack in line with the control plane after a promotion: the configuration names the new
 * roles, the state is refreshed, and a guarded update moves the writer endpoint, the alarms and the
 * dashboards. Afterwards a fresh preview must plan no replacement or deletion of any replication group
 * or the datastore, otherwise the next plain `pulumi up` would destroy data.
 *
 * It runs after planned and adopt, and alone with --reconcile-only (the state backend may have been out
 * of reach during the promotion). Never in an outage: any preview or update runs the whole program,
 * which needs every region (retarget/outage.ts moves the writer parameter directly instead).
 */
import { Clock } from "./clock";
import { FoundingRegion, FoundingRegionError, resolveFoundingRegion } from "./founding-region";
import { GuardRefusedError, GuardVerdict, STATEFUL_TYPES, checkNoDataHoldingReplacement, previewThenUp, previewVerdict, summarizeViolations } from "./guard";
import { describePolicyPack } from "./policy-pack";
import { Progress, StepContext, firstLine } from "./progress";
import { RawConfig } from "../../components/config/reader";
import {
    ConfigChange, InterruptedRetarget, applyConfigChanges, configChangesForPrimary, readStackConfig, revertCommands,
} from "./stack-config";
import { PlannedStep, StackDriver, StackOutputs, StackUnavailableError } from "./stack-driver";

export interface ReconcileOptions {
    driver: StackDriver;
    progress: Progress;
    /** The region that is (now) the primary. */
    target: string;
    /** Only read and preview; change neither the configuration nor the stack. */
    dryRun: boolean;
    /**
     * The datastore id the control plane reports, one more record of the founding region (its region
     * code). Default: only the stack's own records are used.
     */
    controlPlaneDatastoreId?: string;
}

/**
 * The reconcile stopped on purpose. The message says what this run had already changed in the stack
 * (so nobody believes nothing happened) and why it stopped; `nextSteps` say what a human does now,
 * which is never "run the same command again": it would stop the same way.
 */
export class ReconcileRefusedError extends Error {
    constructor(message: string, readonly nextSteps: string[], readonly verdict?: GuardVerdict) {
        super(message);
        this.name = "ReconcileRefusedError";
    }
}

export interface ReconcileResult {
    changes: ConfigChange[];
    /** The control plane, the configuration and the deployed stack already agree. */
    nothingToDo: boolean;
    /** Steps the update applied (or, in a dry run, the preview planned). */
    planned: PlannedStep[];
    /** The preview after the update, judged for data-holding resources; undefined in a dry run. */
    finalCheck?: GuardVerdict;
}

function changed(steps: readonly PlannedStep[]): PlannedStep[] {
    return steps.filter((s) => s.op !== "same");
}

function describeChange(c: ConfigChange): string {
    return `${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`;
}

export async function reconcileStack(opts: ReconcileOptions): Promise<ReconcileResult> {
    const { driver, progress, target, dryRun } = opts;
    const changes = await progress.step("stack-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const { raw, config, interrupted } = await readStackConfig(driver);
        if (interrupted) {
            step.found(describeInterrupted(interrupted), { level: "warn" });
        }
        const founding = await foundingRegionOf(driver, raw, opts.controlPlaneDatastoreId, step);
        const list = configChangesForPrimary(raw, config, target, founding.region);
        step.found(list.length ? `configuration changes for ${target} as primary: ${list.map(describeChange).join("; ")}`
            : `the configuration already names ${target} as primary (foundingRegion ${founding.region} pinned)`);
        step.summarize(`${list.length} configuration change${list.length === 1 ? "" : "s"}`);
        return list;
    });

    if (dryRun) {
        const steps = await progress.step("preview", `previewing stack ${driver.stackName} (dry run: current configuration)`, async (step) => {
            step.found(`the preview runs ${describePolicyPack(driver.policyPack)}`);
            const verdict = await previewVerdict(driver, STATEFUL_TYPES);
            const planned = verdict.steps;
            step.found(`${verdict.message}${changes.length ? "; the configuration changes above are not applied in a dry run, " +
                "the real run previews again with them and refuses any replacement or deletion of a cache, its datastore or its KMS key, " +
                "and any mandatory policy violation" : ""}`,
            { level: verdict.allowed ? "info" : "warn", ...(verdict.violations.length ? { detail: { policyViolations: verdict.violations } } : {}) });
            const then = "refresh, preview through the guard, then up";
            step.next(changes.length ? `would set ${changes.map(describeChange).join("; ")}, then ${then}` : `would run ${then}`);
            return planned;
        });
        return { changes, nothingToDo: false, planned: changed(steps) };
    }

    if (changes.length === 0) {
        const pending = await progress.step("preview", `checking whether stack ${driver.stackName} already matches`, async (step) => {
            const planned = changed(await driver.preview());
            step.found(planned.length ? `the preview plans ${planned.length} changes: reconciling` : "the preview plans no change");
            return planned;
        });
        if (pending.length === 0) {
            return { changes, nothingToDo: true, planned: [] };
        }
    }

    if (changes.length > 0) {
        await progress.step("stack-config-update", `writing ${changes.length} configuration change(s) to stack ${driver.stackName}`, async (step) => {
            await applyConfigChanges(driver, changes);
            changes.forEach((c) => step.found(`set ${describeChange(c)}`));
        });
    }

    await progress.step("refresh", `refreshing stack ${driver.stackName} so the state records the new roles`, async () => {
        await driver.refresh();
    });
    let result: Awaited<ReturnType<typeof previewThenUp>>["result"];
    try {
        ({ result } = await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock as Clock }));
    } catch (e) {
        throw e instanceof GuardRefusedError ? guardRefusal(driver.stackName, target, changes, e) : e;
    }
    const finalCheck = await progress.step("final-check", "previewing again: no replication group or datastore may be replaced or deleted", async (step) => {
        const verdict = await checkNoDataHoldingReplacement(driver);
        if (!verdict.allowed) {
            throw new ReconcileRefusedError(`stack ${driver.stackName} was updated, but a fresh preview after the update still plans to ` +
                `replace or delete data:\n${verdict.message}`, [
                `Do NOT run pulumi up on stack ${driver.stackName} (by hand or from CI) until a pulumi preview plans no replacement ` +
                "or deletion of a replication group or the datastore: that update would destroy a cache.",
                "Find out why the program and the deployment disagree on those resources (the properties named above) and fix that first.",
            ], verdict);
        }
        step.found(verdict.message);
        return verdict;
    });
    return { changes, nothingToDo: false, planned: changed(result.steps), finalCheck };
}

function describeInterrupted(i: InterruptedRetarget): string {
    return `the stored configuration is invalid only because an earlier retarget to ${i.primaryRegion} was interrupted between ` +
        `its keys (primaryRegion was written, secondaryRegions was not: ${i.problems.join(" ")}). The member regions from ` +
        `${i.membersSource} are ${i.members.join(", ")}; the remaining keys are written now, with the other changes below`;
}

/**
 * Read-only: the founding region the records agree on, checked before a promotion so that a
 * disagreement stops the run while nothing has changed, not after the primary has moved.
 */
export async function checkFoundingRegion(driver: StackDriver, progress: Progress, controlPlaneDatastoreId?: string): Promise<FoundingRegion> {
    return progress.step("founding-region", "checking which region founded the Global Datastore, before anything changes", async (step) => {
        const { raw } = await readStackConfig(driver);
        return foundingRegionOf(driver, raw, controlPlaneDatastoreId, step);
    });
}

/** The founding region from the deployment's records; a disagreement stops the run before anything is written. */
async function foundingRegionOf(driver: StackDriver, raw: RawConfig, controlPlaneDatastoreId: string | undefined, step: StepContext): Promise<FoundingRegion> {
    let outputs: StackOutputs | undefined;
    try {
        outputs = await driver.outputs();
    } catch (e) {
        if (e instanceof StackUnavailableError) {
            throw e;
        }
        step.found(`the stack outputs could not be read (${firstLine(e)}); the founding region is taken from the other records`, { level: "warn" });
    }
    try {
        const founding = resolveFoundingRegion(raw, { outputs, controlPlaneDatastoreId });
        step.found(`foundingRegion ${founding.region}, from ${founding.evidence.map((e) => e.source).join(", ")}` +
            (founding.unusable.length ? ` (not usable: ${founding.unusable.join("; ")})` : ""));
        return founding;
    } catch (e) {
        if (e instanceof FoundingRegionError) {
            throw new ReconcileRefusedError(`stack ${driver.stackName} was not changed: ${e.message}`, [
                `The stack's configuration and state are as they were. Pin foundingRegion as the message says, check it with ` +
                `pulumi preview --stack ${driver.stackName} (no replication group or datastore may be replaced), then reconcile.`,
            ]);
        }
        throw e;
    }
}

/** The guard refused after the configuration was written and the state refreshed: say exactly that. */
function guardRefusal(stackName: string, target: string, changes: readonly ConfigChange[], refused: GuardRefusedError): ReconcileRefusedError {
    const written = changes.length
        ? `it set ${changes.map(describeChange).join("; ")}`
        : "it changed no configuration key";
    const revert = revertCommands(stackName, changes);
    const blocked = refused.verdict.blocked.map((b) => `${b.name} (${b.ops.join(", ")}${b.forcedBy.length ? `, forced by ${b.forcedBy.join(", ")}` : ""})`);
    const fix = [
        ...(refused.verdict.violations.length ? [`Fix what the policy pack refuses (${summarizeViolations(refused.verdict.violations)}): the configuration ` +
            `or the program, as a pull request would have to; then review pulumi preview --stack ${stackName} --policy-pack policies ` +
            "with the stack's policy-pack config until it passes, and only then update the stack."] : []),
        ...(blocked.length ? [`Find out why the program would replace or delete ${blocked.join(", ")}: compare the properties named above with the ` +
            `deployed resources, fix the configuration or the program, and review pulumi preview --stack ${stackName} until it plans ` +
            "no replacement or deletion of a cache, its datastore or its KMS key; only then update the stack."] : []),
    ];
    return new ReconcileRefusedError(
        `stack ${stackName} was NOT brought in line with ${target} as primary: the guard refused the update, after this run had ` +
        `already changed the stack: ${written}, and it refreshed the state (which now records what AWS reports).\n` +
        `What the guard refused, and why: ${refused.verdict.message}` +
        (revert.length ? `\nTo put the configuration back as it was: ${revert.join(" && ")}` : ""), [
            `Do not run this command again as it is: the same preview would be refused. The writer endpoint was not moved by this run ` +
            `(pulumi up did not run): check the SSM writer parameter and point writers at ${target} by hand if it still names another region.`,
            ...fix,
            ...(revert.length ? [`Only if the configuration must go back (for example so CI does not deploy it): ${revert.join(" && ")}. ` +
                `The control plane keeps ${target} as primary, so that configuration does not match it either.`] : []),
        ], refused.verdict);
}
