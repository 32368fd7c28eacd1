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
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { YAMLParseError, parse } from "yaml";
import { AwsFake } from "./aws-fake";
import { FirstPreviewMocks } from "./policy/provider-schema";
import { UNKNOWN } from "./policy/wire";
import { NAMESPACE } from "../components/config/keys";
import { DEFAULTS, DEFAULT_USERS } from "../components/config/defaults";
import { DEFAULT_ENGINE_VERSION, ENGINES, Engine, parseVersion, supportsRbac } from "../components/config/engine";

// Internal to @pulumi/pulumi but stable for years: the monitor the mocks install, and the RPC drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");

export const PROJECT = "elasticache-global";
export const PROJECT_DIR = path.resolve(__dirname, "..");
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

export interface StackFile {
    stack: string;
    file: string;
    /** Values as the Pulumi engine hands them to the program: strings, JSON for lists and objects. */
    config: Record<string, string>;
    secretKeys: string[];
    /** Things the reader should know, such as secrets replaced by placeholders. */
    notices: string[];
}

export class StackNotFoundError extends Error {}

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

export function listStacks(dir = PROJECT_DIR): string[] {
    return fs.readdirSync(dir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
}

/** Placeholder for a secret the offline plan cannot decrypt or that the stack file does not hold. */
export function secretPlaceholder(key: string): string {
    // Valid for the validator (16+ printable characters), visibly not a real secret.
    return `offline-placeholder-for-${key}`.replace(/[^!#-.0-?A-~]/g, "-");
}

/** A stack file that is not valid YAML. The message names the file, the line and the column. */
export class StackFileSyntaxError extends Error {
    constructor(readonly file: string, readonly line: number, readonly column: number, reason: string) {
        super(`${file} is not valid YAML: line ${line}, column ${column}: ${reason}. Fix that line (pulumi config set writes the file ` +
            "correctly), then run again.");
        this.name = "StackFileSyntaxError";
    }
}

/** The YAML document of a stack file; a syntax error names the file and the line (the parser's own message names neither the file nor, first, the line). */
function parseStackFile(file: string): unknown {
    try {
        return parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        if (e instanceof YAMLParseError) {
            const [at] = e.linePos ?? [];
            const reason = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
            throw new StackFileSyntaxError(file, at?.line ?? 0, at?.col ?? 0, reason);
        }
        throw e;
    }
}

/**
 * Reads `Pulumi.<stack>.yaml`. Secrets cannot be decrypted offline: encrypted values and secret keys the
 * file does not set are replaced by placeholders, and a notice says so; `pulumi up` needs the real ones.
 */
export function loadStackFile(stack: string, dir = PROJECT_DIR): StackFile {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = listStacks(dir);
        throw new StackNotFoundError(`unknown stack "${stack}": there is no Pulumi.${stack}.yaml. ` +
            `Stacks in this project: ${known.length ? known.join(", ") : "none"}.`);
    }
    const doc = (parseStackFile(file) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const notices: string[] = [];
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
        // `pulumi config set --secret` writes {secure: ...}; with --path the secret is a leaf inside the value.
        let encrypted = false;
        const decrypted = replaceSecure(value, (at) => {
            encrypted = true;
            return secretPlaceholder(at ? `${fullKey}.${at}` : fullKey);
        });
        if (encrypted) {
            secretKeys.push(fullKey);
            notices.push(`${fullKey} is encrypted in ${path.basename(file)}; the offline plan uses placeholders.`);
        }
        config[fullKey] = typeof decrypted === "string" ? decrypted : JSON.stringify(decrypted);
    }
    fillMissingSecrets(config, secretKeys, notices);
    return { stack, file, config, secretKeys, notices };
}

function replaceSecure(value: unknown, placeholder: (path: string) => string, at = ""): unknown {
    if (typeof value !== "object" || value === null) {
        return value;
    }
    if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
        return placeholder(at);
    }
    const child = (k: string | number) => (at ? `${at}.${k}` : String(k));
    return Array.isArray(value)
        ? value.map((v, i) => replaceSecure(v, placeholder, child(i)))
        : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, placeholder, child(k))]));
}

/**
 * Secret keys hold values nobody commits. The offline plan stands in placeholders for the ones the
 * program will ask for, so the topology can be reviewed without them.
 */
function fillMissingSecrets(config: Record<string, string>, secretKeys: string[], notices: string[]): void {
    const key = (name: string) => `${NAMESPACE}:${name}`;
    const engine = (config[key("engine")] ?? DEFAULTS.engine) as Engine;
    const version = config[key("engineVersion")] ?? DEFAULT_ENGINE_VERSION[engine] ?? "";
    if (!ENGINES.includes(engine) || !parseVersion(version)) {
        return; // the program reports the bad engine or version
    }
    const placeholder = (name: string, value: string, how: string) => {
        config[key(name)] = value;
        secretKeys.push(key(name));
        notices.push(`${key(name)} is not set; the offline plan uses placeholders (pulumi up needs: ${how}).`);
    };
    if (!supportsRbac(engine, version)) {
        if (config[key("authToken")] === undefined) {
            placeholder("authToken", secretPlaceholder(key("authToken")), `pulumi config set --secret ${key("authToken")} <token>`);
        }
        return;
    }
    if (config[key("userPasswords")] !== undefined) {
        return;
    }
    let users: unknown = DEFAULT_USERS;
    try {
        users = config[key("users")] ? JSON.parse(config[key("users")]) : users;
    } catch {
        return; // the program reports the malformed list
    }
    const names = (Array.isArray(users) ? users : [])
        .filter((u) => u?.authentication !== "iam" && typeof u?.name === "string")
        .map((u) => String(u.name));
    if (names.length > 0) {
        placeholder("userPasswords",
            JSON.stringify(Object.fromEntries(names.map((n) => [n, secretPlaceholder(`${key("userPasswords")}.${n}`)]))),
            `pulumi config set --secret --path '${key("userPasswords")}.<user>' <password> for ${names.join(", ")}`);
    }
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
        delete require.cache[require.resolve(PROGRAM)];
        const program = require(PROGRAM) as Record<string, unknown>;
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

/** Loads a stack file and runs the program on it. */
export async function runStack(stack: string, dir = PROJECT_DIR, options: RunOptions = {}): Promise<ProgramRun & { file: StackFile }> {
    const file = loadStackFile(stack, dir);
    const run = await runProgram(stack, file.config, file.secretKeys, [], options);
    return { ...run, file };
}
