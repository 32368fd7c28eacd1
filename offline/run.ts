/**
 * Runs the real program (index.ts) offline: Pulumi's mocks in place of the engine, the AWS fake in
 * place of the provider, the stack's YAML as its configuration. It records what the engine would
 * receive for every resource: inputs, computed outputs, the resource options that matter for safety
 * (protect, ignoreChanges, parent) and which resources each property depends on.
 *
 * Two modes. By default every value is known, as in `pulumi up` or a preview of a stack whose state
 * already holds every output. With `firstPreview` it runs as `pulumi preview` of a stack never
 * deployed: the provider has computed nothing yet, so ids, ARNs, endpoints and every other computed
 * output are unknown, and so is every input built from one (see policy/provider-schema.ts).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AwsFake } from "./aws-fake";
import { FirstPreviewMocks } from "./policy/provider-schema";
import { UNKNOWN } from "./policy/wire";
import { PROJECT, PROJECT_DIR } from "../components/config/project";
import { StackFile, loadStackFile } from "../components/config/stack-file";

// The project and its stack files are shared with the recovery programs (components/config/); the
// offline runner's callers keep importing them from here.
export { PROJECT, PROJECT_DIR } from "../components/config/project";
export { StackFileSyntaxError, StackNotFoundError, listStacks, loadStackFile, secretPlaceholder } from "../components/config/stack-file";
export type { StackFile } from "../components/config/stack-file";

// Internal to @pulumi/pulumi but stable for years: the monitor the mocks install, and the RPC drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");

const PROGRAM = path.join(PROJECT_DIR, "index.ts");
const SECRET_SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** URN of the parent, "" for the root. */
    parent: string;
    id?: string;
    /**
     * Inputs as the engine received them, before the provider's Check; secret values stay wrapped (see
     * isSecret), values unknown during a first preview are UNKNOWN.
     */
    inputs: Record<string, unknown>;
    /** Inputs plus what the (fake) provider computed; in a first preview, its planned state. */
    state: Record<string, unknown>;
    protect: boolean;
    ignoreChanges: string[];
    dependencies: string[];
    /**
     * Per input property, the URNs of the resources whose outputs it was built from, as the SDK sends
     * them with RegisterResource. Absent on resources a test builds by hand.
     */
    propertyDependencies?: Record<string, string[]>;
    /** How long the engine waits for a create, when the resource sets customTimeouts (for example "120m"). */
    createTimeout?: string;
    /** URNs the resource was known by before (the `aliases` option), as the engine resolves them. Absent when none. */
    aliases?: string[];
}

export interface RunOptions {
    /** Run as the first `pulumi preview` of a stack that was never deployed (see the file comment). Default: false. */
    firstPreview?: boolean;
}

export interface ProgramRun {
    stack: string;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
}

export function isSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret by `replacement(value)`, recursively. */
export function mapSecrets(value: unknown, replacement: (secret: unknown) => unknown): unknown {
    if (isSecret(value)) {
        return replacement(value.value);
    }
    if (Array.isArray(value)) {
        return value.map((v) => mapSecrets(v, replacement));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, replacement)]));
    }
    return value;
}

/** The SDK's unknown value (and the engine's unknown sentinel) as UNKNOWN, everywhere inside `value`. */
function withUnknowns(value: unknown): unknown {
    if (pulumi.isUnknown(value) || value === pulumi.runtime.unknownValue) {
        return UNKNOWN;
    }
    if (Array.isArray(value)) {
        return value.map(withUnknowns);
    }
    if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUnknowns(v)]));
    }
    return value;
}

/** A stack output's value; secrets unwrapped as `pulumi stack output --show-secrets` shows them, unknowns as UNKNOWN. */
async function outputValue(value: unknown): Promise<unknown> {
    // Serializing resolves every output inside, known or not (apply would never call back on an unknown).
    const { value: serialized } = await pulumi.runtime.serializeProperties("output", { value: value as pulumi.Input<unknown> });
    return withUnknowns(mapSecrets(serialized, (secret) => secret));
}

function propertyDependenciesOf(req: any): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => {
        result[key] = deps.getUrnsList();
    });
    return result;
}

/**
 * Runs index.ts once with the given configuration and returns what it declared. Throws whatever the
 * program throws (a RunError for invalid configuration) after recording nothing further.
 */
export async function runProgram(
    stack: string, config: Record<string, string>, secretKeys: string[] = [],
    /** Receives every registration as it happens, so a caller sees what was declared even when the program throws. */
    recorded: RecordedResource[] = [],
    { firstPreview = false }: RunOptions = {},
): Promise<ProgramRun> {
    const fake = new AwsFake();
    await pulumi.runtime.setMocks(firstPreview ? new FirstPreviewMocks(fake) : fake, PROJECT, stack, firstPreview);
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) => register(req, (err: unknown, res: any) => {
        if (!err && res) {
            const inputs = withUnknowns(pulumi.runtime.deserializeProperties(req.getObject())) as Record<string, unknown>;
            recorded.push({
                urn: res.getUrn(),
                type: req.getType(),
                name: req.getName(),
                custom: req.getCustom(),
                parent: req.getParent(),
                id: res.getId() || undefined,
                inputs,
                state: { ...inputs, ...withUnknowns(pulumi.runtime.deserializeProperties(res.getObject())) as Record<string, unknown> },
                protect: req.getProtect() === true,
                ignoreChanges: req.getIgnorechangesList(),
                dependencies: req.getDependenciesList(),
                propertyDependencies: propertyDependenciesOf(req),
                ...(req.getCustomtimeouts()?.getCreate() ? { createTimeout: req.getCustomtimeouts()!.getCreate() } : {}),
                ...aliasesOf(req, stack),
            });
        }
        callback(err, res);
    });
    pulumi.runtime.setAllConfig(config, secretKeys);

    // The runtime stamps a stack trace on every internal promise for leak reports; under ts-node each
    // one is source-mapped, which costs most of a run. Nobody reads them offline, so skip them.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = process.env.DEBUG ? stackTraceLimit : 0;
    try {
        const program = requireAfresh(PROGRAM) as Record<string, unknown>;
        const outputs: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(program)) {
            outputs[name] = await outputValue(value);
        }
        await settings.waitForRPCs();
        return { stack, resources: [...recorded], outputs };
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}

/**
 * Loads `file` again, its own code run anew (the modules it imports stay loaded). Node keeps every
 * module a module has required in the requirer's `children`, a reloaded file's earlier copies included,
 * and an earlier copy's exports hold that run's outputs and through them its resources: each program
 * run kept about 4.5 MB for as long as the process lived. So the copy it replaces leaves `children`.
 */
function requireAfresh(file: string): unknown {
    const resolved = require.resolve(file);
    const previous = require.cache[resolved];
    delete require.cache[resolved];
    if (previous) {
        const at = module.children.indexOf(previous);
        if (at >= 0) {
            module.children.splice(at, 1);
        }
    }
    return require(resolved);
}

/** The qualified type of a URN: `urn:pulumi:stack::project::<qualified type>::name`. */
function qualifiedType(urn: string): string {
    return urn.split("::")[2] ?? "";
}

/**
 * The alias URNs of a registration, in the URN form these runs give resources: the mocks announce
 * alias-spec support, so the SDK sends specs, whose name, type, stack and project default to the
 * resource's own; the mocks' URNs carry only the immediate parent's type before the resource's own
 * (@pulumi/pulumi runtime/mocks.js newUrn), so an alias is resolved the same way here. The engine uses
 * the parent's whole qualified type, which the alias's parent URN carries too.
 */
function aliasesOf(req: any, stack: string): { aliases?: string[] } {
    const urns = (req.getAliasesList?.() ?? []).map((alias: any) => {
        if (alias.getUrn?.()) {
            return alias.getUrn() as string;
        }
        const spec = alias.getSpec();
        const type = spec.getType() || req.getType();
        const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
        const parentType = parent ? qualifiedType(parent).split("$").pop() : "";
        return `urn:pulumi:${spec.getStack() || stack}::${spec.getProject() || PROJECT}::${parentType ? `${parentType}$` : ""}${type}::${spec.getName() || req.getName()}`;
    });
    return urns.length ? { aliases: urns } : {};
}

/** Loads a stack file and runs the program on it. */
export async function runStack(stack: string, dir = PROJECT_DIR, options: RunOptions = {}): Promise<ProgramRun & { file: StackFile }> {
    const file = loadStackFile(stack, dir);
    const run = await runProgram(stack, file.config, file.secretKeys, [], options);
    return { ...run, file };
}
