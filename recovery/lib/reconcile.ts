/**
 * Brings the stack in line with the control plane after a promotion: the configuration names the new
 * roles, the state is refreshed, and a guarded update moves the writer endpoint, the alarms and the
 * dashboards. Afterwards a fresh preview must plan no replacement or deletion of any replication group
 * or the datastore, otherwise the next plain `pulumi up` would destroy data.
 *
 * It runs after planned and adopt, alone with --reconcile-only (the state backend may have been out of
 * reach during the promotion), and in a targeted form after an outage detach, when the old primary's
 * region can be neither refreshed nor updated.
 */
import { Clock } from "./clock";
import { GuardVerdict, checkNoDataHoldingReplacement, checkPlannedSteps, nameFromUrn, previewThenUp } from "./guard";
import { Progress } from "./progress";
import { ConfigChange, applyConfigChanges, configChangesForPrimary, readStackConfig } from "./stack-config";
import { PlannedStep, StackDriver } from "./stack-driver";

/**
 * Resource types whose content depends on which region is primary: the writer and reader parameters,
 * the Route 53 writer record, the per-region alarms (a primary has no cross-region lag alarms) and
 * dashboards. Nothing that holds data.
 */
export const FOLLOWS_PRIMARY_TYPES: readonly string[] = [
    "aws:ssm/parameter:Parameter",
    "aws:route53/record:Record",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
];

export interface ReconcileOptions {
    driver: StackDriver;
    progress: Progress;
    /** The region that is (now) the primary. */
    target: string;
    /** Only read and preview; change neither the configuration nor the stack. */
    dryRun: boolean;
    /**
     * Outage mode: update only the resources of this region that follow the primary (FOLLOWS_PRIMARY_TYPES),
     * skipping the refresh, which would have to reach the failed region.
     */
    onlyRegion?: string;
}

export interface ReconcileResult {
    changes: ConfigChange[];
    /** The control plane, the configuration and the deployed stack already agree. */
    nothingToDo: boolean;
    /** Steps the update applied (or, in a dry run, the preview planned). */
    planned: PlannedStep[];
    /** The preview after the update, judged for data-holding resources; undefined in a dry run. */
    finalCheck?: GuardVerdict;
    /** URNs updated in a targeted reconcile. */
    targets?: string[];
}

function changed(steps: readonly PlannedStep[]): PlannedStep[] {
    return steps.filter((s) => s.op !== "same");
}

function describeChange(c: ConfigChange): string {
    return `${c.key}: ${c.from ?? "(not set)"} -> ${c.to}`;
}

/** Logical names carry the region as a whole dash-separated segment (cache-us-west-2-dashboard). */
export function inRegion(urn: string, region: string): boolean {
    return new RegExp(`(^|-)${region.replace(/-/g, "\\-")}(-|$)`).test(nameFromUrn(urn));
}

/** The URNs a targeted reconcile may update: changed resources that follow the primary, in `region`. */
export function followerTargets(steps: readonly PlannedStep[], region: string): string[] {
    return changed(steps).filter((s) => FOLLOWS_PRIMARY_TYPES.includes(s.type) &&
        (inRegion(s.urn, region) || s.type === "aws:route53/record:Record")).map((s) => s.urn);
}

export async function reconcileStack(opts: ReconcileOptions): Promise<ReconcileResult> {
    const { driver, progress, target, dryRun } = opts;
    const changes = await progress.step("stack-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const { raw, config } = await readStackConfig(driver);
        const list = configChangesForPrimary(raw, config, target);
        step.found(list.length ? `configuration changes for ${target} as primary: ${list.map(describeChange).join("; ")}`
            : `the configuration already names ${target} as primary (foundingRegion ${config.foundingRegion} pinned)`);
        step.summarize(`${list.length} configuration change${list.length === 1 ? "" : "s"}`);
        return list;
    });

    if (dryRun) {
        const steps = await progress.step("preview", `previewing stack ${driver.stackName} (dry run: current configuration)`, async (step) => {
            const planned = await driver.preview();
            const verdict = checkPlannedSteps(planned);
            step.found(`${verdict.message}${changes.length ? "; the configuration changes above are not applied in a dry run, " +
                "the real run previews again with them and refuses any replacement or deletion of a cache, its datastore or its KMS key" : ""}`,
            { level: verdict.allowed ? "info" : "warn" });
            const then = opts.onlyRegion
                ? `a targeted preview and up of the resources in ${opts.onlyRegion} that follow the primary (no refresh: the failed region cannot be read)`
                : "refresh, preview through the guard, then up";
            step.next(changes.length ? `would set ${changes.map(describeChange).join("; ")}, then ${then}` : `would run ${then}`);
            return planned;
        });
        return { changes, nothingToDo: false, planned: changed(steps) };
    }

    if (changes.length === 0 && !opts.onlyRegion) {
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

    if (opts.onlyRegion) {
        return reconcileTargeted(opts, opts.onlyRegion, changes);
    }

    await progress.step("refresh", `refreshing stack ${driver.stackName} so the state records the new roles`, async () => {
        await driver.refresh();
    });
    const { result } = await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock as Clock });
    const finalCheck = await progress.step("final-check", "previewing again: no replication group or datastore may be replaced or deleted", async (step) => {
        const verdict = await checkNoDataHoldingReplacement(driver);
        if (!verdict.allowed) {
            throw new Error(`after the update, ${verdict.message}`);
        }
        step.found(verdict.message);
        return verdict;
    });
    return { changes, nothingToDo: false, planned: changed(result.steps), finalCheck };
}

async function reconcileTargeted(opts: ReconcileOptions, region: string, changes: ConfigChange[]): Promise<ReconcileResult> {
    const { driver, progress } = opts;
    const targets = await progress.step("targets", `finding the resources in ${region} that follow the primary`, async (step) => {
        const found = followerTargets(await driver.preview(), region);
        step.found(found.length ? `will update ${found.length}: ${found.map(nameFromUrn).join(", ")}` : `nothing in ${region} needs to change`);
        return found;
    });
    if (targets.length === 0) {
        return { changes, nothingToDo: false, planned: [], targets };
    }
    const { result } = await previewThenUp(driver, { step: "stack-update", emit: progress.emit, clock: progress.clock, targets });
    return { changes, nothingToDo: false, planned: changed(result.steps), targets };
}
