/**
 * The real StackDriver: the Pulumi Automation API over the project directory, which runs the `pulumi`
 * CLI. It stays thin on purpose; what can be tested without the CLI is in the pure functions below
 * (engine events to planned steps, CLI failures to typed errors).
 */
import {
    ConcurrentUpdateError, EngineEvent, LocalWorkspace, LocalWorkspaceOptions, OutputMap, Stack,
    StackNotFoundError as AutomationStackNotFoundError,
} from "@pulumi/pulumi/automation";
import { stackPolicyPack } from "./policy-pack";
import {
    BackendUnreachableError, EngineOptions, PlannedStep, PolicyPackRun, PolicyViolation, PreviewFailedError, PulumiCliMissingError, StackConfigMap,
    StackDriver, StackDriverError, StackLockedError, StackNotFoundError, StackOperation, StackOutputs, StepOp, UpResult,
} from "./stack-driver";

/** Property diff kinds the engine marks as forcing a replacement. */
const REPLACING_DIFF_KINDS = new Set(["add-replace", "update-replace", "delete-replace"]);

/** The planned step an engine event announces, or undefined for events that announce none. */
export function stepFromEngineEvent(event: EngineEvent): PlannedStep | undefined {
    const metadata = event.resourcePreEvent?.metadata;
    if (!metadata) {
        return undefined;
    }
    const detailed = metadata.detailedDiff ?? {};
    const replacingPaths = Object.entries(detailed)
        .filter(([, diff]) => REPLACING_DIFF_KINDS.has(diff.diffKind))
        .map(([path]) => path);
    // `diffs` lists top-level keys; older engines send only `detailedDiff`, whose paths start with them.
    const diffs = metadata.diffs ?? Object.keys(detailed).map(topLevelProperty);
    return {
        op: metadata.op as StepOp,
        urn: metadata.urn,
        type: metadata.type,
        diffs: unique(diffs),
        replaceKeys: unique([...(metadata.keys ?? []), ...replacingPaths]),
    };
}

/**
 * The steps of one operation, in engine order. An `up` emits a pre-event per step, and the same
 * (urn, op) can be announced again when the engine retries; each is kept once.
 */
export function stepsFromEngineEvents(events: readonly EngineEvent[]): PlannedStep[] {
    const seen = new Set<string>();
    const steps: PlannedStep[] = [];
    for (const event of events) {
        const step = stepFromEngineEvent(event);
        if (step && !seen.has(`${step.op} ${step.urn}`)) {
            seen.add(`${step.op} ${step.urn}`);
            steps.push(step);
        }
    }
    return steps;
}

/**
 * The policy violations among the engine events: each PolicyEvent (@pulumi/pulumi/automation/events.d.ts)
 * names the policy, its pack, the resource and the message; its enforcementLevel is "warning" for an
 * advisory policy and "mandatory" otherwise. A remediated violation is not a PolicyEvent and is not listed.
 */
export function policyViolationsFromEngineEvents(events: readonly EngineEvent[]): PolicyViolation[] {
    return events.flatMap((event) => {
        const p = event.policyEvent;
        if (!p) {
            return [];
        }
        const version = p.policyPackVersionTag || p.policyPackVersion;
        return [{
            policyName: p.policyName,
            policyPack: version ? `${p.policyPackName}@${version}` : p.policyPackName,
            level: p.enforcementLevel === "mandatory" ? "mandatory" as const : "advisory" as const,
            ...(p.resourceUrn ? { urn: p.resourceUrn } : {}),
            message: p.message,
        }];
    });
}

export function outputsFromAutomation(outputs: OutputMap): StackOutputs {
    return Object.fromEntries(Object.entries(outputs).map(([key, o]) => [key, { value: o.value, secret: o.secret }]));
}

export function configFromAutomation(config: Record<string, { value: string; secret?: boolean }>): StackConfigMap {
    return Object.fromEntries(Object.entries(config).map(([key, c]) => [key, { value: c.value, secret: c.secret === true }]));
}

/**
 * CLI failures that mean the state backend did not answer or refused us. Network-looking failures
 * also come from the AWS provider while resources change (an outage makes an endpoint unreachable),
 * so for engine operations these only count before the engine started, except checkpoint writes,
 * which always go to the backend.
 */
const BACKEND_FAILURES: readonly RegExp[] = [
    /problem logging in/i,
    /PULUMI_ACCESS_TOKEN must be set/i,
    /could not query backend/i,
    /unable to open bucket/i,
    /blob \(key "[^"]*"\)/i, // self-managed backends (S3, Azure Blob, GCS) report storage errors this way
    /\[(401|403|500|502|503|504)\]/, // Pulumi Cloud answers
    /dial tcp/i,
    /no such host/i,
    /connection refused/i,
    /i\/o timeout/i,
    /TLS handshake timeout/i,
    /context deadline exceeded/i,
];
const CHECKPOINT_FAILURE = /(save|persist|write)[^\n]*checkpoint|checkpoint[^\n]*(save|persist|write)/i;

/**
 * The line that says the `pulumi` executable could not be started, or undefined. The Automation API
 * runs the CLI through execa and wraps a spawn failure in a CommandError whose message carries
 * "Command failed with ENOENT: pulumi version" and "spawn pulumi ENOENT" (the first call it makes is
 * `pulumi version`, but any command may be the one that finds the CLI gone). Only the CLI itself
 * counts: an ENOENT about a file the CLI reads is an ordinary failure.
 */
export function missingCliLine(error: unknown): string | undefined {
    const spawn = (error as { commandResult?: { err?: { code?: unknown; path?: unknown } } } | undefined)?.commandResult?.err;
    const message = errorMessage(error);
    const line = message.split("\n").map((l) => l.trim()).find((l) => /\bENOENT\b/.test(l) && /\b(spawn|Command failed with ENOENT:) \S*pulumi(\.exe)?(\s|$)/.test(l));
    if (line) {
        return line.replace(/^(stderr|err\?):\s*/, "");
    }
    return spawn?.code === "ENOENT" && typeof spawn.path === "string" && /(^|[\\/])pulumi(\.exe)?$/.test(spawn.path)
        ? `spawn ${spawn.path} ENOENT` : undefined;
}

/**
 * Maps a failure of the Automation API to a typed error. `engineStarted` says whether the engine
 * emitted any event before failing, which separates backend trouble from provider trouble.
 */
export function classifyAutomationError(stackName: string, operation: StackOperation, error: unknown, engineStarted = false): Error {
    if (error instanceof StackDriverError) {
        return error;
    }
    const name = error instanceof Error ? error.name : "";
    const message = errorMessage(error);
    if (error instanceof ConcurrentUpdateError || name === "ConcurrentUpdateError") {
        return new StackLockedError(stackName, operation, error);
    }
    if (error instanceof AutomationStackNotFoundError || name === "StackNotFoundError") {
        return new StackNotFoundError(stackName, error);
    }
    const missingCli = missingCliLine(error);
    if (missingCli) {
        return new PulumiCliMissingError(stackName, operation, missingCli, error);
    }
    const backend = BACKEND_FAILURES.find((pattern) => pattern.test(message));
    if (CHECKPOINT_FAILURE.test(message) || (backend && !engineStarted)) {
        return new BackendUnreachableError(stackName, operation, firstErrorLine(message), error);
    }
    return new StackDriverError(stackName, operation, `pulumi ${operation} failed for stack ${stackName}: ${firstErrorLine(message)}`, error);
}

function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/**
 * The CLI's first `error:` line, which names the problem; the whole output stays on `cause`. The
 * Automation API's message is "code: ..\n stdout: ..\n stderr: ..", so the line may carry a prefix.
 */
function firstErrorLine(message: string): string {
    const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
    const errorLine = lines.find((l) => /\berror:/i.test(l));
    return errorLine ? errorLine.slice(errorLine.search(/\berror:/i)) : lines[0] ?? "no message";
}

function topLevelProperty(path: string): string {
    return path.split(/[.[]/)[0];
}

function unique(values: string[]): string[] {
    return [...new Set(values)];
}

/**
 * The environment every Pulumi command of a recovery run gets, besides this process's own: the Node
 * language host skips ts-node's type check of the program. The host reads PULUMI_NODEJS_TRANSPILE_ONLY
 * before it registers ts-node (@pulumi/pulumi cmd/run/run.js: "true" makes it transpile only; unset, it
 * type-checks). Loading index.ts through ts-node took 9.6 and 9.9 s with the type check, 3.1 s without, on a
 * 2-core machine, and every preview and up of a recovery pays it. The program was type-checked when it
 * was merged (`npm test` runs `tsc --noEmit`). An operator who sets PULUMI_NODEJS_TRANSPILE_ONLY
 * decides it themselves.
 */
function recoveryEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    return { PULUMI_NODEJS_TRANSPILE_ONLY: env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true" };
}

export interface LocalWorkspaceDriverOptions {
    /** Passed to LocalWorkspace (environment variables, Pulumi home, a pinned CLI). Default: none. */
    workspace?: LocalWorkspaceOptions;
    /** The policy pack every preview and up runs. Default: the project's (stackPolicyPack of `workDir`). */
    policyPack?: PolicyPackRun;
}

/**
 * The preview and up options that run the pack: PreviewOptions and UpOptions of the Automation API
 * (@pulumi/pulumi/automation/stack.d.ts) take `policyPacks` and `policyPackConfigs`, which it passes
 * to the CLI as --policy-pack and --policy-pack-config (automation/stack.js).
 */
export function policyPackOptions(run: PolicyPackRun): { policyPacks: string[]; policyPackConfigs?: string[] } {
    return { policyPacks: [run.packDir], ...(run.configFile ? { policyPackConfigs: [run.configFile] } : {}) };
}

/** StackDriver over an existing stack of the Pulumi project in `workDir`. */
export class LocalWorkspaceStackDriver implements StackDriver {
    private constructor(private readonly stack: Stack, readonly policyPack: PolicyPackRun) {}

    get stackName(): string {
        return this.stack.name;
    }

    /** Test-only: wraps a stack the caller already selected (tests pass a stand-in that records the calls). */
    static wrap(stack: Stack, policyPack: PolicyPackRun): LocalWorkspaceStackDriver {
        return new LocalWorkspaceStackDriver(stack, policyPack);
    }

    /** Selects an existing stack; fails with StackNotFoundError rather than creating one. */
    static async select(stackName: string, workDir: string, opts: LocalWorkspaceDriverOptions = {}): Promise<LocalWorkspaceStackDriver> {
        try {
            // LocalWorkspace passes envVars to every command it runs (automation/localWorkspace.js, runPulumiCmd).
            const workspace = { ...opts.workspace, envVars: { ...recoveryEnvironment(), ...opts.workspace?.envVars } };
            const stack = await LocalWorkspace.selectStack({ stackName, workDir }, workspace);
            return new LocalWorkspaceStackDriver(stack, opts.policyPack ?? stackPolicyPack(workDir, stackName));
        } catch (e) {
            throw classifyAutomationError(stackName, "select", e);
        }
    }

    async getConfig(): Promise<StackConfigMap> {
        return configFromAutomation(await this.run("getConfig", () => this.stack.getAllConfig()));
    }

    /** One `pulumi config set-all`: the CLI saves the stack's configuration once, with every key or none. */
    async setConfigs(values: StackConfigMap): Promise<void> {
        const config = Object.fromEntries(Object.entries(values).map(([key, v]) => [key, { value: v.value, secret: v.secret }]));
        await this.run("setConfig", () => this.stack.setAllConfig(config));
    }

    async refresh(): Promise<void> {
        await this.withEvents("refresh", {}, (onEvent) => this.stack.refresh({ onEvent }));
    }

    async preview(options: EngineOptions = {}): Promise<PlannedStep[]> {
        const { events } = await this.withEvents("preview", options,
            (onEvent) => this.stack.preview({ onEvent, target: options.targets, ...policyPackOptions(this.policyPack) }));
        return stepsFromEngineEvents(events);
    }

    /** Not to be called directly: guard.previewThenUp is the way to update during a recovery. */
    async up(options: EngineOptions = {}): Promise<UpResult> {
        const { result, events } = await this.withEvents("up", options,
            (onEvent) => this.stack.up({ onEvent, target: options.targets, ...policyPackOptions(this.policyPack) }));
        return { steps: stepsFromEngineEvents(events), outputs: outputsFromAutomation(result.outputs) };
    }

    async outputs(): Promise<StackOutputs> {
        return outputsFromAutomation(await this.run("outputs", () => this.stack.outputs()));
    }

    private async run<T>(operation: StackOperation, call: () => Promise<T>): Promise<T> {
        try {
            return await call();
        } catch (e) {
            throw classifyAutomationError(this.stackName, operation, e);
        }
    }

    /**
     * Runs one engine operation, collecting its events. The Automation API drains the event log before
     * a failed command's error propagates (Stack.preview and Stack.up in automation/stack.js clean up
     * the log in `finally`), so a failure still comes with every step and policy event announced.
     */
    private async withEvents<T>(operation: StackOperation, options: EngineOptions,
        call: (onEvent: (e: EngineEvent) => void) => Promise<T>): Promise<{ result: T; events: EngineEvent[] }> {
        const events: EngineEvent[] = [];
        const report = () => policyViolationsFromEngineEvents(events);
        try {
            const result = await call((event) => events.push(event));
            report().forEach((v) => options.onPolicyViolation?.(v));
            return { result, events };
        } catch (e) {
            const violations = report();
            violations.forEach((v) => options.onPolicyViolation?.(v));
            const error = classifyAutomationError(this.stackName, operation, e, events.length > 0);
            // Only the generic failure can carry steps and violations; locks and backend trouble stop before planning.
            // A mandatory violation fails the command whatever else its output says (pulumi-policy README: "mandatory,
            // which results in an error after pulumi preview or pulumi up completes").
            const failedByPolicy = violations.some((v) => v.level === "mandatory");
            if ((operation === "preview" || operation === "up") && (error.constructor === StackDriverError || failedByPolicy)) {
                throw new PreviewFailedError(this.stackName, operation, firstErrorLine(errorMessage(e)), stepsFromEngineEvents(events), e, violations);
            }
            throw error;
        }
    }
}
