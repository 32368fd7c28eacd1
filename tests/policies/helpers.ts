/**
 * Test helpers: run one policy's validateResource / validateStack the way the analyzer server does,
 * without constructing a PolicyPack (that starts a gRPC server).
 *
 * Props go through the SDK's own path: a protobuf Struct (as the engine sends it), the SDK's
 * deserializeProperties, then its unknown-checking proxy. So `UNKNOWN` in props behaves exactly like a
 * preview unknown, and secrets arrive unwrapped as policies see them. Config gets the schema's
 * defaults, as the CLI applies them, plus the test's overrides.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as policySdk from "@pulumi/policy";
import {
    Policy, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

// Internal to @pulumi/policy (its typings strip them) but exactly what its analyzer server calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown>;
};
const sdk = policySdk as unknown as {
    unknownCheckingProxy<T>(value: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};

/** The engine's sentinel for a value not known until the update: what a preview sends for outputs. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const PROJECT_URN_PREFIX = "urn:pulumi:test::elasticache-global::";

export function urnOf(type: string, name: string): string {
    return `${PROJECT_URN_PREFIX}${type}::${name}`;
}

function withoutUndefined(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutUndefined);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]));
    }
    return value;
}

/** Props as a policy receives them from the engine. */
export function engineProps(props: Record<string, unknown>): Record<string, unknown> {
    const struct = Struct.fromJavaScript(withoutUndefined(props) as Record<string, never>);
    return sdk.unknownCheckingProxy(deserializeProperties(struct, false));
}

/** Schema defaults plus overrides; an override the schema does not know is a test bug. */
export function configFor(policy: Policy, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const properties = policy.configSchema?.properties ?? {};
    for (const key of Object.keys(overrides)) {
        if (!(key in properties)) {
            throw new Error(`test sets option ${key}, which ${policy.name} does not declare (it has: ${Object.keys(properties).join(", ") || "none"})`);
        }
    }
    const defaults = Object.fromEntries(Object.entries(properties)
        .filter(([, schema]) => typeof schema === "object" && schema.default !== undefined)
        .map(([key, schema]) => [key, structuredClone((schema as { default: unknown }).default)]));
    return { ...defaults, ...overrides };
}

class NotApplicable extends Error {
    constructor(readonly reason: string | undefined) {
        super(reason ?? "not applicable");
    }
}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

export interface Outcome {
    /** Messages as the rule passed them to reportViolation. */
    violations: string[];
    /** URN per violation (stack rules); undefined for the stack as a whole. */
    urns: (string | undefined)[];
    /** Reason given to notApplicable, if the rule called it. */
    notApplicable?: string;
    /** Set when an unknown escaped the rule: the engine would only print an advisory "can't run policy". */
    cannotRun?: string;
}

async function run(validate: () => Promise<void> | void, outcome: Outcome): Promise<Outcome> {
    try {
        await validate();
    } catch (e) {
        if (e instanceof NotApplicable) {
            outcome.notApplicable = e.reason ?? "";
        } else if (e instanceof sdk.UnknownValueError) {
            outcome.cannotRun = (e as Error).message;
        } else {
            throw e;
        }
    }
    return outcome;
}

export interface ResourceInput {
    type: string;
    props: Record<string, unknown>;
    name?: string;
    protect?: boolean;
    /**
     * The resource's provider, as `provider` in the validation args: its inputs. The engine sends the
     * default provider too, whose inputs carry the stack's aws:region.
     */
    provider?: Record<string, unknown>;
}

function provider(input: ResourceInput) {
    return input.provider
        ? { type: "pulumi:providers:aws", name: "default", urn: urnOf("pulumi:providers:aws", "default"), props: engineProps(input.provider) }
        : undefined;
}

/** Runs a resource policy on one resource and collects what it reports. */
export async function checkResource(policy: Policy, input: ResourceInput, config: Record<string, unknown> = {}): Promise<Outcome> {
    const resourcePolicy = policy as ResourceValidationPolicy;
    if (!resourcePolicy.validateResource) {
        throw new Error(`${policy.name} is not a resource policy`);
    }
    const name = input.name ?? "subject";
    const props = engineProps(input.props);
    const resolved = configFor(policy, config);
    const outcome: Outcome = { violations: [], urns: [] };
    const args = {
        type: input.type,
        props,
        urn: urnOf(input.type, name),
        name,
        opts: { protect: input.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        provider: provider(input),
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => resolved,
        notApplicable,
    } as unknown as ResourceValidationArgs;
    const validations = Array.isArray(resourcePolicy.validateResource) ? resourcePolicy.validateResource : [resourcePolicy.validateResource];
    return run(async () => {
        for (const validation of validations) {
            await validation(args, (message, urn) => {
                outcome.violations.push(message);
                outcome.urns.push(urn);
            });
        }
    }, outcome);
}

export interface StackInput extends ResourceInput {
    name: string;
    /** The resource's URN. Default: urnOf(type, name). */
    urn?: string;
    /** Property dependencies: per property, the names or URNs of the resources that feed it (what previews rely on). */
    feeds?: Record<string, string[]>;
}

/** The resources as a stack policy receives them, property dependencies resolved to the resources. */
export function policyResources(inputs: StackInput[]): PolicyResource[] {
    const resources: PolicyResource[] = inputs.map((input) => ({
        type: input.type,
        name: input.name,
        urn: input.urn ?? urnOf(input.type, input.name),
        props: engineProps(input.props),
        opts: { protect: input.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        provider: provider(input),
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }) as unknown as PolicyResource);
    const byKey = new Map([...resources.map((r) => [r.name, r] as const), ...resources.map((r) => [r.urn, r] as const)]);
    inputs.forEach((input, i) => {
        for (const [property, names] of Object.entries(input.feeds ?? {})) {
            resources[i].propertyDependencies[property] = names.map((n) => {
                const feeder = byKey.get(n);
                if (!feeder) {
                    throw new Error(`feeds of ${input.name}.${property} names ${n}, which is not among the test's resources`);
                }
                return feeder;
            });
        }
    });
    return resources;
}

/** Runs a stack policy over the resources and collects what it reports. */
export async function checkStack(policy: Policy, inputs: StackInput[], config: Record<string, unknown> = {}): Promise<Outcome> {
    const stackPolicy = policy as StackValidationPolicy;
    if (!stackPolicy.validateStack) {
        throw new Error(`${policy.name} is not a stack policy`);
    }
    const resources = policyResources(inputs);
    const resolved = configFor(policy, config);
    const outcome: Outcome = { violations: [], urns: [] };
    const args = { resources, stackTags: new Map<string, string>(), getConfig: () => resolved, notApplicable } as unknown as StackValidationArgs;
    return run(() => stackPolicy.validateStack(args, (message, urn) => {
        outcome.violations.push(message);
        outcome.urns.push(urn);
    }), outcome);
}

/** A copy of `base` with `changes` applied; a change to undefined removes the key. */
export function withProps(base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...base, ...changes };
    for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) {
            delete copy[key];
        }
    }
    return copy;
}
