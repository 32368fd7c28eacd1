/**
 * Test-only: a stateful StackDriver that behaves like the Pulumi engine on this project. It holds the
 * stack's configuration (from the real Pulumi.<stack>.yaml), a "deployed" state (the resources of the
 * last up), and the real world (where drift happens until a refresh pulls it in). A preview runs the
 * real program under mocks with the current configuration and diffs it against the deployed state
 * the way the engine does: ignoreChanges honoured, replacement decided by the provider's
 * replace-triggering properties, resources that disappear deleted, protected resources refused.
 */
import { PROJECT, PROJECT_DIR, ProgramRun, RecordedResource, loadStackFile } from "../../../offline/run";
import { stackPolicyPack } from "../../../recovery/lib/policy-pack";
import { runProgramShared } from "../../helpers/program";
import {
    BackendUnreachableError, EngineOptions, PlannedStep, PolicyPackRun, PolicyViolation, PreviewFailedError, StackConfigMap, StackConfigValue,
    StackDriver, StackLockedError, StackOperation, StackOutputs, UpResult,
} from "../../../recovery/lib/stack-driver";

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const GRG = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup";
const KMS_KEY = "aws:kms/key:Key";

/**
 * Properties whose change makes the AWS provider replace the resource: the `ForceNew` attributes of
 * terraform-provider-aws (the upstream of @pulumi/aws v7) internal/service/elasticache/replication_group.go
 * (at_rest_encryption_enabled, data_tiering_enabled, global_replication_group_id, kms_key_id,
 * network_type, port, replication_group_id, security_group_names, snapshot_arns, snapshot_name,
 * subnet_group_name) and global_replication_group.go (global_replication_group_id_suffix,
 * primary_replication_group_id); the KMS key's are from internal/service/kms/key.go as listed.
 * Not modelled: the provider's conditional replacements (an engine or engine-version downgrade,
 * node_group_configuration changes, transit_encryption_enabled below engine 7.0.5), which the program
 * does not trigger. That a change of `region` replaces every AWS resource in provider v7 is an
 * assumption (shared ElastiCache facts; not found in the provider's Enhanced Region Support notes).
 */
export const REPLACE_TRIGGERS: Record<string, readonly string[]> = {
    [RG]: [
        "replicationGroupId", "port", "subnetGroupName", "atRestEncryptionEnabled", "kmsKeyId", "dataTieringEnabled",
        "networkType", "snapshotName", "snapshotArns", "securityGroupNames", "globalReplicationGroupId",
    ],
    [GRG]: ["globalReplicationGroupIdSuffix", "primaryReplicationGroupId"],
    [KMS_KEY]: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
};

export function replaceTriggers(type: string): readonly string[] {
    return type.startsWith("aws:") ? ["region", ...(REPLACE_TRIGGERS[type] ?? [])] : [];
}

/** JSON with sorted keys, undefined dropped: equal values (secret wrappers included) give equal text. */
export function canonical(value: unknown): string {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v)) ?? "undefined";
}

/** A property path as ignoreChanges spells it: `tags.team`, `logDeliveryConfigurations[0].destination`. */
function pathParts(path: string): (string | number)[] {
    return path.split(/\.|(?=\[)/).filter(Boolean).map((p) => (/^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
}

function getPath(value: unknown, path: string): unknown {
    return pathParts(path).reduce<unknown>((v, part) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part as string] : undefined), value);
}

/** A copy of `value` with `path` set (undefined removes it), creating the containers on the way. */
function setPath<T>(value: T, path: string, leaf: unknown): T {
    return setAt(value, pathParts(path), leaf) as T;
}

function setAt(value: unknown, [head, ...rest]: (string | number)[], leaf: unknown): unknown {
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
    if (rest.length === 0) {
        if (leaf === undefined) {
            delete copy[head];
        } else {
            copy[head] = leaf;
        }
        return copy;
    }
    copy[head] = setAt(copy[head] ?? (typeof rest[0] === "number" ? [] : {}), rest, leaf);
    return copy;
}

/** A resource as the stack state holds it. */
export interface DeployedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    protect: boolean;
    inputs: Record<string, unknown>;
}

/** A declared resource's inputs after ignoreChanges: ignored paths keep the deployed value. */
export function withIgnoredChanges(old: Record<string, unknown>, declared: Record<string, unknown>, ignoreChanges: readonly string[]): Record<string, unknown> {
    let result = { ...declared };
    for (const path of ignoreChanges) {
        result = setPath(result, path, getPath(old, path));
    }
    return result;
}

/** Top-level properties whose values differ (secrets compared by value, undefined same as absent). */
export function changedProperties(old: Record<string, unknown>, next: Record<string, unknown>): string[] {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
    return keys.filter((k) => canonical(old[k]) !== canonical(next[k]));
}

/**
 * The engine's steps to go from the deployed resources to the declared ones, in engine order: the
 * declared resources in registration order, then deletions (and the old halves of replacements) in
 * reverse order of the state. pulumi/pulumi pkg/resource/deploy/step_generator.go: a replacement is
 * create-replacement then replace, "the delete step is generated later on, after all creates/updates
 * finish" (create-before-delete, the default). The diff itself (top-level inputs compared, ignored
 * paths keeping the state's value) stands in for the provider's Diff: an assumption.
 */
export function planSteps(deployed: readonly DeployedResource[], declared: readonly RecordedResource[]): PlannedStep[] {
    const old = new Map(deployed.map((r) => [r.urn, r]));
    // A resource declared under a new URN with the old one among its aliases is the same resource, as
    // the engine matches it (Pulumi docs, "aliases" resource option): neither created nor deleted.
    const declaredUrns = new Set(declared.flatMap((r) => [r.urn, ...(r.aliases ?? [])]));
    const steps: PlannedStep[] = [];
    const tail: PlannedStep[] = [];
    for (const r of declared) {
        const before = deployedFor(old, r);
        if (!before) {
            steps.push(step("create", r.urn, r.type, Object.keys(r.inputs).sort()));
            continue;
        }
        const diffs = changedProperties(before.inputs, withIgnoredChanges(before.inputs, r.inputs, r.ignoreChanges));
        const replaceKeys = diffs.filter((d) => replaceTriggers(r.type).includes(d));
        if (replaceKeys.length > 0) {
            steps.push(step("create-replacement", r.urn, r.type, diffs, replaceKeys), step("replace", r.urn, r.type, diffs, replaceKeys));
            tail.unshift(step("delete-replaced", r.urn, r.type, diffs, replaceKeys));
        } else {
            steps.push(step(diffs.length ? "update" : "same", r.urn, r.type, diffs));
        }
    }
    const deletions = deployed.filter((r) => !declaredUrns.has(r.urn)).reverse().map((r) => step("delete", r.urn, r.type, []));
    return [...steps, ...deletions, ...tail];
}

/** The deployed resource a declared one continues: by its URN, else by one of its aliases. */
export function deployedFor<T>(deployed: ReadonlyMap<string, T>, r: Pick<RecordedResource, "urn" | "aliases">): T | undefined {
    return deployed.get(r.urn) ?? (r.aliases ?? []).map((a) => deployed.get(a)).find((d) => d !== undefined);
}

function step(op: PlannedStep["op"], urn: string, type: string, diffs: string[], replaceKeys: string[] = []): PlannedStep {
    return { op, urn, type, diffs, replaceKeys };
}

/**
 * Engine refusals, as pulumi/pulumi pkg/resource/deploy/step_generator.go decides them: a replacement
 * is refused when the resource is protected in the state AND in the program (`new.Protect &&
 * old.Protect`: unprotecting and replacing in one update is allowed, and a flag the last update has
 * not written to the state yet protects nothing); a deletion is refused when the state protects it.
 * The message is the engine's first line.
 */
export function protectionViolations(deployed: readonly DeployedResource[], declared: readonly RecordedResource[], steps: readonly PlannedStep[]): string[] {
    const inState = new Map(deployed.map((r) => [r.urn, r.protect]));
    const inProgram = new Map(declared.map((r) => [r.urn, r.protect]));
    const refused = (s: PlannedStep) => (s.op === "replace" && inState.get(s.urn) === true && inProgram.get(s.urn) === true) ||
        (s.op === "delete" && inState.get(s.urn) === true);
    return [...new Set(steps.filter(refused).map((s) => `unable to ${s.op} resource "${s.urn}" as it is currently marked for protection`))];
}

/**
 * What a policy pack says about the resources a preview or up declares, configured the way the real
 * driver runs it (`run`: the pack and the stack's config file). fake/policy-pack.ts runs the real pack.
 */
export interface FakePolicyEvaluator {
    evaluate(request: { stack: string; run: PolicyPackRun; resources: readonly RecordedResource[]; providerRegion?: string }): Promise<PolicyViolation[]>;
}

export type DriverFault = "backend-unreachable" | "stack-locked";

/** Every call the driver received, in order (config values of secrets included: this is test code). */
export interface DriverCall {
    op: StackOperation;
    /** URNs a targeted preview or up was limited to. */
    targets?: string[];
    /** setConfig (the test control): the one key written. */
    key?: string;
    value?: StackConfigValue;
    /** setConfigs: every key written together. */
    values?: StackConfigMap;
}

const ALL_OPS: readonly StackOperation[] = ["getConfig", "setConfig", "refresh", "preview", "up", "outputs"];
/**
 * Operations that take the stack's lock; the Automation API raises ConcurrentUpdateError when another
 * update holds it (@pulumi/pulumi automation/errors.ts). That a preview takes it too is an assumption.
 */
const LOCKING_OPS: readonly StackOperation[] = ["refresh", "preview", "up"];

interface Fault {
    fault: DriverFault;
    ops: readonly StackOperation[];
    /** Matching calls still to let through before the fault starts. */
    after: number;
    remaining: number;
}

/** The program on this configuration: run once per configuration and shared (see runProgramShared). */
function runSerialized(stack: string, config: StackConfigMap): Promise<ProgramRun> {
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]));
    const secretKeys = Object.entries(config).filter(([, v]) => v.secret).map(([k]) => k);
    return runProgramShared(stack, values, secretKeys);
}

function toDeployed(r: RecordedResource, inputs = r.inputs): DeployedResource {
    return { urn: r.urn, type: r.type, name: r.name, custom: r.custom, protect: r.protect, inputs: { ...inputs } };
}

function toOutputs(run: ProgramRun): StackOutputs {
    return Object.fromEntries(Object.entries(run.outputs).map(([k, v]) => [k, { value: v, secret: false }]));
}

export class FakeStackDriver implements StackDriver {
    /** Every call, in order, including the ones a fault made fail. */
    readonly calls: DriverCall[] = [];
    private faults: Fault[] = [];
    private pendingDrift: { type: string; name: string; patch: Record<string, unknown> }[] = [];
    private pendingDeletions: string[] = [];

    /** The pack the real driver would run for this stack (stackPolicyPack), when the fake evaluates one. */
    readonly policyPack?: PolicyPackRun;

    private constructor(
        readonly stackName: string,
        private config: StackConfigMap,
        private deployed: DeployedResource[],
        private lastOutputs: StackOutputs,
        private readonly policy?: FakePolicyEvaluator,
    ) {
        this.policyPack = policy ? stackPolicyPack(PROJECT_DIR, stackName) : undefined;
    }

    /**
     * A driver for `stack` whose configuration starts from Pulumi.<stack>.yaml (secrets as the offline
     * placeholders) with `overrides` applied (full keys; undefined deletes), deployed as the program
     * declares it with `deployedWith` (default: the starting configuration). With `policy`, every
     * preview and up is judged by it with the project's pack and the stack's config file, as the real
     * driver runs them; without, no pack runs (policyPack undefined).
     */
    static async create(stack = "prod", opts: {
        overrides?: Record<string, string | undefined>; deployedWith?: Record<string, string | undefined>; policy?: FakePolicyEvaluator;
    } = {}): Promise<FakeStackDriver> {
        const file = loadStackFile(stack);
        const base: StackConfigMap = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, { value: v, secret: file.secretKeys.includes(k) }]));
        const config = applyOverrides(base, opts.overrides ?? {});
        const deployedConfig = applyOverrides(config, opts.deployedWith ?? {});
        const run = await runSerialized(stack, deployedConfig);
        return new FakeStackDriver(stack, config, run.resources.map((r) => toDeployed(r)), toOutputs(run), opts.policy);
    }

    // ---- test controls ----

    /**
     * Makes `times` calls of `ops` fail (default: every operation the fault concerns, forever), after
     * letting the first `after` of them through (default 0: from the next call).
     */
    injectFault(fault: DriverFault, opts: { ops?: readonly StackOperation[]; times?: number; after?: number } = {}): void {
        const ops = opts.ops ?? (fault === "stack-locked" ? LOCKING_OPS : ALL_OPS);
        this.faults.push({ fault, ops, after: opts.after ?? 0, remaining: opts.times ?? Infinity });
    }

    clearFaults(): void {
        this.faults = [];
    }

    /** Changes a deployed resource in the real world; the stack state learns it at the next refresh. */
    driftRealWorld(type: string, name: string, patch: Record<string, unknown>): void {
        this.resource(type, name); // fail now, in the test, when nothing matches
        this.pendingDrift.push({ type, name, patch });
    }

    /** Deletes a deployed resource in the real world; the stack state drops it at the next refresh. */
    deleteInRealWorld(type: string, name: string): void {
        const urn = this.resource(type, name).urn;
        this.pendingDeletions.push(urn);
    }

    /** A resource of the deployed state, by type and logical name. */
    resource(type: string, name: string): DeployedResource {
        const found = this.deployed.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) {
            throw new Error(`the fake stack holds ${found.length} resources of type ${type} named ${name}; ` +
                `names of that type: ${this.deployed.filter((r) => r.type === type).map((r) => r.name).join(", ") || "none"}`);
        }
        return found[0];
    }

    get deployedResources(): readonly DeployedResource[] {
        return this.deployed;
    }

    /** The operations called, in order. */
    get operations(): StackOperation[] {
        return this.calls.map((c) => c.op);
    }

    // ---- StackDriver ----

    async getConfig(): Promise<StackConfigMap> {
        this.enter({ op: "getConfig" });
        return Object.fromEntries(Object.entries(this.config).map(([k, v]) => [k, { ...v }]));
    }

    /** Test control, like `pulumi config set` by hand: one key. */
    async setConfig(key: string, value: StackConfigValue): Promise<void> {
        this.enter({ op: "setConfig", key, value });
        this.config = { ...this.config, [projectKey(key)]: { ...value } };
    }

    /** Like `pulumi config set-all`: one save of the stack's configuration, so a failure writes no key. */
    async setConfigs(values: StackConfigMap): Promise<void> {
        this.enter({ op: "setConfig", values: structuredClone(values) });
        const next = { ...this.config };
        for (const [key, value] of Object.entries(values)) {
            next[projectKey(key)] = { ...value };
        }
        this.config = next;
    }

    async refresh(): Promise<void> {
        this.enter({ op: "refresh" });
        for (const drift of this.pendingDrift) {
            const r = this.resource(drift.type, drift.name);
            r.inputs = { ...r.inputs, ...drift.patch };
        }
        this.pendingDrift = [];
        this.deployed = this.deployed.filter((r) => !this.pendingDeletions.includes(r.urn));
        this.pendingDeletions = [];
    }

    async preview(options: EngineOptions = {}): Promise<PlannedStep[]> {
        this.enter({ op: "preview", targets: options.targets });
        const { steps } = await this.plan("preview", options);
        return steps;
    }

    async up(options: EngineOptions = {}): Promise<UpResult> {
        this.enter({ op: "up", targets: options.targets });
        const { steps, run } = await this.plan("up", options);
        const old = new Map(this.deployed.map((r) => [r.urn, r]));
        const declared = run.resources.map((r) => {
            const before = deployedFor(old, r);
            return toDeployed(r, before ? withIgnoredChanges(before.inputs, r.inputs, r.ignoreChanges) : r.inputs);
        });
        // Like --target: only the targeted resources change in the state; the rest stay as deployed.
        const targets = options.targets && new Set(options.targets);
        this.deployed = !targets ? declared : [
            ...this.deployed.flatMap((r) => !targets.has(r.urn) ? [r] : declared.filter((d) => d.urn === r.urn)),
            ...declared.filter((d) => targets.has(d.urn) && !old.has(d.urn)),
        ];
        this.lastOutputs = toOutputs(run);
        return { steps, outputs: this.lastOutputs };
    }

    async outputs(): Promise<StackOutputs> {
        this.enter({ op: "outputs" });
        return structuredClone(this.lastOutputs);
    }

    /**
     * The engine's plan, judged like the engine does: protected resources first, then the policy pack.
     * A mandatory violation fails the operation once every step and violation has been announced
     * (pulumi-policy README: mandatory "results in an error after pulumi preview or pulumi up completes";
     * the Automation API delivers the events before the command's error, see local-workspace.ts). A
     * real `up` stops at the first violating resource after changing the ones before it; this fake
     * changes nothing then, which is why recovery never relies on an up to refuse: the guard previews first.
     */
    private async plan(operation: "preview" | "up", options: EngineOptions): Promise<{ steps: PlannedStep[]; run: ProgramRun }> {
        let run: ProgramRun;
        try {
            run = await runSerialized(this.stackName, this.config);
        } catch (e) {
            throw new PreviewFailedError(this.stackName, operation, `the program failed: ${(e as Error).message}`, [], e);
        }
        const targets = options.targets;
        const steps = planSteps(this.deployed, run.resources).filter((s) => !targets || targets.includes(s.urn));
        const protection = protectionViolations(this.deployed, run.resources, steps);
        const policy = this.policy && this.policyPack ? await this.policy.evaluate({
            stack: this.stackName, run: this.policyPack, resources: run.resources, providerRegion: this.config["aws:region"]?.value,
        }) : [];
        policy.forEach((v) => options.onPolicyViolation?.(v));
        const mandatory = policy.filter((v) => v.level === "mandatory").length;
        // step_generator.go: "In Preview, we mark the deployment as Error but continue to next steps, so
        // that the preview is shown"; an update bails at once. Either way the caller gets an error that
        // still carries the planned steps (and the policy violations).
        if (protection.length > 0 || mandatory > 0) {
            const detail = [...protection, ...(mandatory ? [`${operation} failed: ${mandatory} mandatory policy violation${mandatory === 1 ? "" : "s"}`] : [])].join("; ");
            throw new PreviewFailedError(this.stackName, operation, detail, steps, undefined, policy);
        }
        return { steps, run };
    }

    private enter(call: DriverCall): void {
        this.calls.push(call);
        const matching = this.faults.filter((f) => f.remaining > 0 && f.ops.includes(call.op));
        const waiting = matching.filter((f) => f.after > 0);
        waiting.forEach((f) => f.after--);
        const active = matching.find((f) => !waiting.includes(f));
        if (!active) {
            return;
        }
        active.remaining--;
        throw active.fault === "stack-locked"
            ? new StackLockedError(this.stackName, call.op)
            : new BackendUnreachableError(this.stackName, call.op, "injected: the backend did not answer");
    }
}

/** Like the CLI: a key without a namespace belongs to the project. */
function projectKey(key: string): string {
    return key.includes(":") ? key : `${PROJECT}:${key}`;
}

function applyOverrides(config: StackConfigMap, overrides: Record<string, string | undefined>): StackConfigMap {
    const result = { ...config };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) {
            delete result[key];
        } else {
            result[key] = { value, secret: result[key]?.secret ?? false };
        }
    }
    return result;
}
