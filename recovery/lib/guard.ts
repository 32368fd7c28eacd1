/**
 * The preview guard: nothing a recovery runs may replace or delete a cache, its datastore or the key
 * its data is encrypted with, nor deploy what the policy pack refuses. Pulumi's `protect` would stop
 * the delete half of a replacement, but only after the replacement was created and other resources
 * were changed; and during `pulumi up` the first mandatory policy violation halts the update after the
 * resources before it were changed (pulumi-policy README: "During the update, the first policy violation
 * will halt the deployment"). The guard refuses before `up` starts, and says exactly which resource,
 * which properties and which policies are to blame.
 */
import { Clock, systemClock } from "./clock";
import { Emit } from "./events";
import { describePolicyPack } from "./policy-pack";
import { Progress } from "./progress";
import { PlannedStep, PolicyViolation, PreviewFailedError, StackDriver, StepOp, UpResult, describeViolation } from "./stack-driver";

export const RESOURCE_TYPES = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    globalDatastore: "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    kmsKey: "aws:kms/key:Key",
} as const;

/**
 * Operations that destroy the physical resource or drop it from the stack. `discard` forgets a
 * resource without deleting it, and the next `up` would then create a second one beside it.
 */
export const DESTRUCTIVE_OPS: ReadonlySet<StepOp> = new Set<StepOp>([
    "replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced", "import-replacement",
]);

/** Which resource types a guard protects. */
export type ProtectedTypes = (type: string) => boolean;

/** Every ElastiCache resource (caches, datastore, users, groups, subnet groups) and every KMS key. */
export const STATEFUL_TYPES: ProtectedTypes = (type) => type.startsWith("aws:elasticache/") || type === RESOURCE_TYPES.kmsKey;

/** The resources that hold the data: replication groups and the Global Datastore. */
export const DATA_HOLDING_TYPES: ProtectedTypes = (type) =>
    type === RESOURCE_TYPES.replicationGroup || type === RESOURCE_TYPES.globalDatastore;

/**
 * Deletions a command means to make (retire-generation: exactly the retired generation's resources).
 * Only plain deletes are ever allowed through it.
 */
export type AllowDestroy = (urn: string, type: string) => boolean;

/** One protected resource the plan would destroy, with every destructive op planned for it. */
export interface BlockedResource {
    urn: string;
    type: string;
    /** Logical name, from the URN. */
    name: string;
    ops: StepOp[];
    /** Properties whose change forces the replacement, when the engine said. */
    forcedBy: string[];
}

/**
 * `violations`: what the policy pack reported about the preview (advisory ones when allowed; when
 * refused, at least one mandatory one, or none when only `blocked` refused).
 */
export type GuardVerdict =
    | { allowed: true; message: string; steps: PlannedStep[]; violations: PolicyViolation[] }
    | { allowed: false; message: string; steps: PlannedStep[]; blocked: BlockedResource[]; violations: PolicyViolation[] };

/** Thrown by previewThenUp when the guard refuses; `up` was not called. */
export class GuardRefusedError extends Error {
    constructor(readonly verdict: Extract<GuardVerdict, { allowed: false }>) {
        super(verdict.message);
        this.name = "GuardRefusedError";
    }
}

/** The last `::`-separated part of a URN is the resource's logical name. */
export function nameFromUrn(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Judges planned steps: refused when any protected resource would be replaced or deleted. */
export function checkPlannedSteps(steps: readonly PlannedStep[], protectedTypes: ProtectedTypes = STATEFUL_TYPES, allowDestroy?: AllowDestroy): GuardVerdict {
    const blocked = new Map<string, BlockedResource>();
    for (const step of steps) {
        // Only a plain delete can be allowed: a replacement would recreate the resource, which no recovery may do.
        const allowedDelete = step.op === "delete" && allowDestroy?.(step.urn, step.type) === true;
        if (!DESTRUCTIVE_OPS.has(step.op) || !protectedTypes(step.type) || allowedDelete) {
            continue;
        }
        const entry = blocked.get(step.urn) ?? { urn: step.urn, type: step.type, name: nameFromUrn(step.urn), ops: [], forcedBy: [] };
        entry.ops = [...new Set([...entry.ops, step.op])];
        entry.forcedBy = [...new Set([...entry.forcedBy, ...step.replaceKeys])];
        blocked.set(step.urn, entry);
    }
    const changed = steps.filter((s) => s.op !== "same").length;
    if (blocked.size === 0) {
        return { allowed: true, steps: [...steps], violations: [], message: `preview plans ${changed} change${changed === 1 ? "" : "s"}, none replaces or deletes a protected resource` };
    }
    const list = [...blocked.values()];
    return {
        allowed: false, steps: [...steps], blocked: list, violations: [],
        message: `refusing to update: ${describeBlocked(list)}\n` +
            // Only the update is known not to have run: a caller may have changed the configuration or refreshed the state first.
            "pulumi up was not run. Find out why the program no longer matches the deployed resources (config, refreshed drift, " +
            "a program change) and fix that; a recovery must never recreate a cache, its datastore or its KMS key.",
    };
}

/** "the preview would replace or delete N protected resources:" and one line for each. */
function describeBlocked(list: readonly BlockedResource[]): string {
    const lines = list.map((b) => `  - ${b.type} ${b.name} (${b.urn}): ${b.ops.join(", ")}` +
        (b.forcedBy.length ? `, forced by a change to ${b.forcedBy.join(", ")}` : ""));
    return `the preview would replace or delete ${list.length} protected resource${list.length === 1 ? "" : "s"}:\n${lines.join("\n")}`;
}

export interface GuardedUpOptions {
    /** Name of the step that runs `up` (and only `up`). Default: "stack-update". */
    step?: string;
    /** Name of the step that previews and judges, before any `up`. Default: "guarded-preview". */
    previewStep?: string;
    /** Receives progress events. Default: none. */
    emit?: Emit;
    /** Timestamps of events. Default: the system clock. */
    clock?: Clock;
    /** Which types are protected. Default: STATEFUL_TYPES. */
    protectedTypes?: ProtectedTypes;
    /** Preview and update only these URNs (pulumi --target). Default: every resource. */
    targets?: string[];
    /** Deletions the caller means to make. Default: none. */
    allowDestroy?: AllowDestroy;
}

/**
 * Runs a preview, judges it, and only when the guard allows runs `up`. Throws GuardRefusedError
 * (without calling `up`) when it refuses: a refusal must stop the recovery, not be a value someone
 * forgets to check.
 *
 * The preview and the update are two steps, each finished as failed when it throws, so whoever reads
 * the report (or the run's own ending) can tell "up never started", and the writer endpoint certainly
 * did not move, from "up started and did not finish".
 */
export async function previewThenUp(driver: StackDriver, opts: GuardedUpOptions = {}): Promise<{ verdict: GuardVerdict; result: UpResult }> {
    // Progress gives both steps the same start, failure and summary rules as every other step; its
    // events go to the caller's emit, whose Progress records them as steps of its own.
    const steps = new Progress({ clock: opts.clock ?? systemClock, sinks: opts.emit ? [opts.emit] : [] });
    const verdict = await steps.step(opts.previewStep ?? "guarded-preview", `previewing stack ${driver.stackName} through the guard`, async (step) => {
        step.found(`the preview and the update run ${describePolicyPack(driver.policyPack)}`,
            { detail: { policyPack: driver.policyPack?.packDir ?? null, policyPackConfig: driver.policyPack?.configFile ?? null } });
        const judged = await previewVerdict(driver, opts.protectedTypes ?? STATEFUL_TYPES, opts.targets, opts.allowDestroy);
        if (!judged.allowed) {
            // The refusal's message is printed once, where the run reports it; the finding keeps what it
            // concerns for the report (the blocked resources, the policy violations).
            step.found("the guard refuses the update; the refusal is reported in full below",
                { level: "error", detail: { blocked: judged.blocked, policyViolations: judged.violations } });
            throw new GuardRefusedError(judged);
        }
        if (judged.violations.length) {
            step.found(`the policy pack reports ${judged.violations.length} advisory violation${judged.violations.length === 1 ? "" : "s"}, ` +
                `which do not stop the update:\n${judged.violations.map((v) => `  - ${describeViolation(v)}`).join("\n")}`,
            { level: "warn", detail: { policyViolations: judged.violations } });
        }
        step.found(judged.message);
        step.next(`pulumi up on stack ${driver.stackName}`);
        step.summarize("the guard allows the update");
        return judged;
    });
    const result = await steps.step(opts.step ?? "stack-update", `pulumi up on stack ${driver.stackName}`, async (step) => {
        const applied = await driver.up(opts.targets ? { targets: opts.targets } : undefined);
        const changed = applied.steps.filter((s) => s.op !== "same").length;
        step.summarize(`up applied ${changed} change${changed === 1 ? "" : "s"}`);
        return applied;
    });
    return { verdict, result };
}

/**
 * After a reconcile, the program and the deployment must agree on every replication group and the
 * datastore: a fresh preview must plan no replacement or deletion of any of them.
 */
export async function checkNoDataHoldingReplacement(driver: StackDriver): Promise<GuardVerdict> {
    return previewVerdict(driver, DATA_HOLDING_TYPES);
}

/**
 * Previews (with the driver's policy pack) and judges. The engine itself aborts a preview that would
 * replace or delete a protected resource, or that a mandatory policy fails, after announcing the
 * steps and the violations; the guard judges those so the refusal names the resources, the
 * properties and the policies. Any other preview failure propagates as it is.
 */
export async function previewVerdict(driver: StackDriver, protectedTypes: ProtectedTypes, targets?: string[], allowDestroy?: AllowDestroy): Promise<GuardVerdict> {
    let steps: PlannedStep[];
    const reported: PolicyViolation[] = [];
    try {
        steps = await driver.preview({ ...(targets ? { targets } : {}), onPolicyViolation: (v) => reported.push(v) });
    } catch (e) {
        if (e instanceof PreviewFailedError) {
            const verdict = checkPlannedSteps(e.steps, protectedTypes, allowDestroy);
            const mandatory = e.mandatory;
            if (mandatory.length > 0) {
                return refusedByPolicy(driver, verdict, mandatory);
            }
            if (!verdict.allowed) {
                return { ...verdict, message: `${verdict.message}
The engine also rejected the preview: ${e.detail}` };
            }
        }
        throw e;
    }
    return { ...checkPlannedSteps(steps, protectedTypes, allowDestroy), violations: reported.filter((v) => v.level === "advisory") };
}

/** "elasticache-snapshot-retention on cache-us-east-1, cache-us-west-2; <policy> on <stack>": which policies, on what. */
export function summarizeViolations(violations: readonly PolicyViolation[]): string {
    const byPolicy = new Map<string, string[]>();
    for (const v of violations) {
        byPolicy.set(v.policyName, [...(byPolicy.get(v.policyName) ?? []), v.urn ? nameFromUrn(v.urn) : "the stack"]);
    }
    return [...byPolicy].map(([policy, on]) => `${policy} on ${[...new Set(on)].join(", ")}`).join("; ");
}

/**
 * The refusal when mandatory policies failed the preview; protected resources it would destroy are
 * named too. Exported for the previews a command judges before its first change (rejoin's).
 */
export function refusedByPolicy(driver: StackDriver, steps: GuardVerdict, mandatory: PolicyViolation[]): Extract<GuardVerdict, { allowed: false }> {
    const blocked = steps.allowed ? [] : steps.blocked;
    return {
        allowed: false, steps: steps.steps, blocked, violations: mandatory,
        message: `refusing to update: ${mandatory.length} mandatory policy violation${mandatory.length === 1 ? "" : "s"} ` +
            `(${summarizeViolations(mandatory)}), from ${describePolicyPack(driver.policyPack)}:\n` +
            `${mandatory.map((v) => `  - ${describeViolation(v)}`).join("\n")}\n` +
            (blocked.length ? `Besides, ${describeBlocked(blocked)}\n` : "") +
            "pulumi up was not run. A pull request with this program and configuration would fail its preview the same way: fix what the " +
            "policies name (the stack's configuration or the program) rather than deploy it from a recovery.",
    };
}
