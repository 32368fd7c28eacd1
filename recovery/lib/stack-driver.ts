/**
 * The only boundary between the recovery programs and the Pulumi CLI. Everything the recovery code
 * asks of the stack goes through this interface, so it can be tested against a stateful fake
 * (tests/recovery/fake/stack-driver.ts) and run for real through the Automation API
 * (local-workspace.ts).
 *
 * There is deliberately no way to create a stack here: during an incident a mistyped --stack must
 * fail, not produce a new empty stack whose first `up` would declare a second datastore.
 */

/**
 * Engine step operations, as the Automation API names them (its OpType). Kept as our own union so
 * the library does not depend on the Automation module, which needs the CLI at run time.
 */
export type StepOp =
    | "same" | "create" | "update" | "delete" | "replace" | "create-replacement" | "delete-replaced"
    | "read" | "read-replacement" | "refresh" | "discard" | "discard-replaced" | "remove-pending-replace"
    | "import" | "import-replacement";

/** One step the engine plans (preview) or performs (up). */
export interface PlannedStep {
    op: StepOp;
    urn: string;
    /** Resource type token, for example aws:elasticache/replicationGroup:ReplicationGroup. */
    type: string;
    /** Top-level properties that differ; empty when the engine did not say. */
    diffs: string[];
    /** Properties whose change forces a replacement; empty when none or unknown. */
    replaceKeys: string[];
}

/** A configuration value as the stack holds it: secrets are flagged, never unwrapped into plain text. */
export interface StackConfigValue {
    value: string;
    secret: boolean;
}

/** Every configuration key of the stack, by full key (`namespace:key`). */
export type StackConfigMap = Record<string, StackConfigValue>;

/** A stack output, secrets flagged. */
export interface StackOutputValue {
    value: unknown;
    secret: boolean;
}

export type StackOutputs = Record<string, StackOutputValue>;

export interface UpResult {
    /** The steps the engine performed. */
    steps: PlannedStep[];
    outputs: StackOutputs;
}

/** Limits a preview or up to some resources, like `pulumi up --target`. */
export interface TargetOptions {
    /** URNs to operate on; every other resource is left as it is. Default: all resources. */
    targets?: string[];
}

/**
 * One policy violation the engine reported during a preview or up: the Automation API's PolicyEvent
 * (@pulumi/pulumi/automation/events.d.ts), whose enforcementLevel is "warning" (an advisory policy)
 * or "mandatory".
 */
export interface PolicyViolation {
    policyName: string;
    /** `name@version` of the pack. */
    policyPack: string;
    level: "mandatory" | "advisory";
    /** The resource; undefined for a stack policy that named none. */
    urn?: string;
    message: string;
}

/**
 * The policy pack a driver runs with every preview and up, as CI passes it to `pulumi preview`:
 * `--policy-pack <packDir> --policy-pack-config <configFile>`.
 */
export interface PolicyPackRun {
    /** The pack's directory (policies/ of the project). */
    packDir: string;
    /** The stack's config file (policies/config/<stack>.json); undefined when it does not exist. */
    configFile?: string;
    /** The config file looked for, whether or not it exists. */
    lookedFor: string;
}

export interface EngineOptions extends TargetOptions {
    /** Receives every policy violation the engine reports, advisory ones included, once the operation ends. */
    onPolicyViolation?: (violation: PolicyViolation) => void;
}

export interface StackDriver {
    /** The selected stack's name. */
    readonly stackName: string;
    /** The policy pack every preview and up runs; undefined: none (a stand-in without the pack). */
    readonly policyPack?: PolicyPackRun;
    /** All configuration keys of the stack, secrets flagged. */
    getConfig(): Promise<StackConfigMap>;
    /**
     * Sets every key given (full `namespace:key` form) in one write: all of them or, when it fails,
     * none. Keys that only make sense together (primaryRegion and secondaryRegions) must never be
     * written one by one: an interruption in between leaves a configuration the program rejects. A
     * secret value is stored encrypted.
     */
    setConfigs(values: StackConfigMap): Promise<void>;
    /** Reads the real state of every resource into the stack state (drift comes in here). */
    refresh(): Promise<void>;
    /**
     * What `up` would do with the current program and configuration, judged by the policy pack.
     * Changes nothing. A mandatory violation fails it with PreviewFailedError carrying the violations.
     */
    preview(options?: EngineOptions): Promise<PlannedStep[]>;
    /** Applies the program, with the policy pack. Callers go through guard.previewThenUp, never here directly. */
    up(options?: EngineOptions): Promise<UpResult>;
    /** The outputs recorded by the last successful update. */
    outputs(): Promise<StackOutputs>;
}

export type StackOperation = "select" | "getConfig" | "setConfig" | "refresh" | "preview" | "up" | "outputs";

/** Base of every typed failure of the driver: which stack, which operation, what to do. */
export class StackDriverError extends Error {
    constructor(readonly stackName: string, readonly operation: StackOperation, message: string, readonly cause?: unknown) {
        super(message);
        this.name = "StackDriverError";
    }
}

/** Another update holds the stack's lock. */
export class StackLockedError extends StackDriverError {
    constructor(stackName: string, operation: StackOperation, cause?: unknown) {
        super(stackName, operation,
            `stack ${stackName} is locked by another update, so ${operation} cannot run. ` +
            "Wait for that update to finish, or if it died (for example with the failed region), cancel it " +
            `(pulumi cancel --stack ${stackName}; for a self-managed backend: pulumi stack --stack ${stackName} ` +
            "and remove its lock file) and run this command again.", cause);
        this.name = "StackLockedError";
    }
}

/**
 * The stack cannot be used from this machine at all, for a reason outside the stack itself: its
 * state backend does not answer, or the Pulumi CLI is missing. The control-plane steps of a recovery
 * need neither, so callers catch this kind to go on without the stack and reconcile it later. The
 * message says only what is wrong and how to fix it: what the run does without the stack depends on
 * the command (commands/runner.ts says it), and a command that needs the stack refuses.
 */
export class StackUnavailableError extends StackDriverError {
    constructor(stackName: string, operation: StackOperation, message: string, readonly detail: string, cause?: unknown) {
        super(stackName, operation, message, cause);
        this.name = "StackUnavailableError";
    }
}

/** The state backend (Pulumi Cloud, S3 bucket, ...) did not answer or refused the credentials. */
export class BackendUnreachableError extends StackUnavailableError {
    constructor(stackName: string, operation: StackOperation, detail: string, cause?: unknown) {
        super(stackName, operation,
            `the state backend of stack ${stackName} is unreachable, so ${operation} cannot run (${detail}). ` +
            "Check `pulumi whoami` and the backend's credentials, or wait until the backend answers again.", detail, cause);
        this.name = "BackendUnreachableError";
    }
}

/** The Automation API could not start the `pulumi` CLI: it is not installed, or not on PATH. */
export class PulumiCliMissingError extends StackUnavailableError {
    constructor(stackName: string, operation: StackOperation, detail: string, cause?: unknown) {
        super(stackName, operation,
            `the Pulumi CLI is not installed or not on PATH, so ${operation} cannot run for stack ${stackName} (${detail}). ` +
            "Install it as the Pulumi documentation describes (\"Download & install\": the install script, Homebrew, Chocolatey " +
            "or a release archive) or put the directory that holds `pulumi` on PATH, or run this from a machine that has it.", detail, cause);
        this.name = "PulumiCliMissingError";
    }
}

/** The named stack does not exist; recovery never creates one. */
export class StackNotFoundError extends StackDriverError {
    constructor(stackName: string, cause?: unknown) {
        super(stackName, "select",
            `stack ${stackName} does not exist in the current backend. Recovery never creates stacks: check --stack ` +
            "(pulumi stack ls lists the stacks) and that you are logged in to the right backend.", cause);
        this.name = "StackNotFoundError";
    }
}


/**
 * A preview (or up) the engine aborted, for example because it would replace or delete a protected
 * resource, or because a mandatory policy failed. The engine still announces the steps it planned and
 * the policy violations it found before failing; they are kept so the guard can say which resource,
 * which properties and which policies are to blame.
 */
export class PreviewFailedError extends StackDriverError {
    constructor(stackName: string, operation: "preview" | "up", readonly detail: string, readonly steps: PlannedStep[], cause?: unknown,
        readonly violations: PolicyViolation[] = []) {
        super(stackName, operation, `pulumi ${operation} failed for stack ${stackName}: ${detail}${mandatoryLines(violations)}`, cause);
        this.name = "PreviewFailedError";
    }

    /** The violations that failed the operation. */
    get mandatory(): PolicyViolation[] {
        return this.violations.filter((v) => v.level === "mandatory");
    }
}

/** "[level] policy on resource (urn): message", the way every recovery message names a violation. */
export function describeViolation(v: PolicyViolation): string {
    const where = v.urn ? `on ${v.urn.slice(v.urn.lastIndexOf("::") + 2)} (${v.urn})` : "on the stack as a whole";
    return `[${v.level}] ${v.policyName} ${where}: ${v.message.trim().split("\n").map((l) => l.trim()).filter(Boolean).join(" ")}`;
}

function mandatoryLines(violations: readonly PolicyViolation[]): string {
    const mandatory = violations.filter((v) => v.level === "mandatory");
    return mandatory.length ? `\nmandatory policy violations:\n${mandatory.map((v) => `  - ${describeViolation(v)}`).join("\n")}` : "";
}
