/**
 * What the Pulumi engine puts on the wire for a policy pack: resources as AnalyzeRequest /
 * AnalyzerResource messages, properties as a protobuf Struct in the engine's property encoding
 * (secrets as signature objects, preview unknowns as a sentinel string), and the reverse for the
 * diagnostics a pack answers with.
 *
 * As the engine's analyzer plugin does: Analyze carries the resource's inputs after the provider's
 * Check, and no property dependencies (AnalyzeRequest has no field for them); AnalyzeStack carries
 * each resource's outputs, parent, dependencies and, per property, the resources it depends on,
 * leaving out properties that depend on none.
 */
import * as path from "path";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { RecordedResource } from "../run";
import { checkedInputs } from "./provider-schema";

/** The string that stands for a value not known until the update (`pulumi preview` shows "output<T>"). */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Marks a property as unknown in AnalyzedResource.properties; encoded as UNKNOWN_SENTINEL. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** `value` with every UNKNOWN in it, inside arrays and objects, replaced by `shownAs`. */
export function replaceUnknowns(value: unknown, shownAs: unknown): unknown {
    if (value === UNKNOWN) {
        return shownAs;
    }
    if (Array.isArray(value)) {
        return value.map((v) => replaceUnknowns(v, shownAs));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceUnknowns(v, shownAs)]));
    }
    return value;
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

const LEVEL_TO_WIRE: Record<EnforcementLevel, analyzer.EnforcementLevel> = {
    advisory: analyzer.EnforcementLevel.ADVISORY,
    mandatory: analyzer.EnforcementLevel.MANDATORY,
    remediate: analyzer.EnforcementLevel.REMEDIATE,
    disabled: analyzer.EnforcementLevel.DISABLED,
};

export function levelToWire(level: EnforcementLevel): analyzer.EnforcementLevel {
    return LEVEL_TO_WIRE[level];
}

export function levelFromWire(level: analyzer.EnforcementLevel): EnforcementLevel {
    const found = ENFORCEMENT_LEVELS.find((l) => LEVEL_TO_WIRE[l] === level);
    if (!found) {
        throw new Error(`policy pack answered with enforcement level ${level}; known: ${ENFORCEMENT_LEVELS.join(", ")}`);
    }
    return found;
}

/** The resource options a policy sees (PolicyResourceOptions); the engine always sends them. */
export interface AnalyzedResourceOptions {
    protect: boolean;
    ignoreChanges: string[];
    /** URN of the parent resource, "" for none. */
    parent?: string;
    aliases?: string[];
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: string[];
    customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface AnalyzedProvider {
    urn: string;
    type: string;
    name: string;
    properties: Record<string, unknown>;
}

/** One resource as the engine describes it to a policy pack. */
export interface AnalyzedResource {
    urn: string;
    type: string;
    name: string;
    /** Inputs for Analyze (what `pulumi preview` checks), outputs for AnalyzeStack. UNKNOWN marks unknowns. */
    properties: Record<string, unknown>;
    options: AnalyzedResourceOptions;
    provider?: AnalyzedProvider;
    dependencies?: string[];
    /** Per property, the URNs of the resources it depends on (AnalyzeStack only). */
    propertyDependencies?: Record<string, string[]>;
}

export interface ProviderSettings {
    /** Region of the default provider (the stack's aws:region). Default: none sent. */
    region?: string;
    /** Version of the provider plugin. Default: none sent. */
    version?: string;
}

/** The default AWS provider as the engine would name it for this stack. */
export function defaultAwsProvider(stack: string, project: string, settings: ProviderSettings): AnalyzedProvider {
    const name = settings.version ? `default_${settings.version.replace(/\./g, "_")}` : "default";
    const properties: Record<string, unknown> = {};
    if (settings.region) {
        properties.region = settings.region;
    }
    if (settings.version) {
        properties.version = settings.version;
    }
    return { urn: `urn:pulumi:${stack}::${project}::pulumi:providers:aws::${name}`, type: "pulumi:providers:aws", name, properties };
}

/**
 * A recorded registration as the engine would present it: inputs after the provider's Check for
 * Analyze (`use: "inputs"`), or the state (inputs plus computed outputs) for AnalyzeStack
 * (`use: "state"`). Only AWS resources get the provider.
 */
export function fromRecorded(r: RecordedResource, use: "inputs" | "state", provider?: AnalyzedProvider): AnalyzedResource {
    const aws = r.custom && r.type.startsWith("aws:");
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        properties: use === "state" ? r.state : aws ? checkedInputs(r.type, r.inputs) : r.inputs,
        options: { protect: r.protect, ignoreChanges: r.ignoreChanges, parent: r.parent },
        provider: provider && aws ? provider : undefined,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
    };
}

/**
 * Converts a property value to plain JSON the Struct can hold, the way the engine marshals it:
 * UNKNOWN becomes the sentinel, undefined entries are dropped (the engine has no such value) and keys
 * starting with "__" are internal and skipped.
 */
export function toWireValue(value: unknown): unknown {
    if (value === UNKNOWN) {
        return UNKNOWN_SENTINEL;
    }
    if (Array.isArray(value)) {
        return value.map((v) => (v === undefined ? null : toWireValue(v)));
    }
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            if (v !== undefined && !k.startsWith("__")) {
                out[k] = toWireValue(v);
            }
        }
        return out;
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
        throw new Error(`cannot send ${value} to a policy pack: protobuf numbers must be finite`);
    }
    if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") {
        throw new Error(`cannot send a ${typeof value} to a policy pack: only JSON values, secrets and UNKNOWN`);
    }
    return value;
}

interface StructModule {
    Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
}

// The Struct class must be the one the generated messages were built with (their setters check it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb",
    { paths: [path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] })) as StructModule;

export function toStruct(properties: Record<string, unknown>): any {
    return structPb.Struct.fromJavaScript(toWireValue(properties) as Record<string, unknown>);
}

function optionsMessage(options: AnalyzedResourceOptions): analyzer.AnalyzerResourceOptions {
    const m = new analyzer.AnalyzerResourceOptions();
    m.setProtect(options.protect);
    m.setIgnorechangesList(options.ignoreChanges);
    m.setParent(options.parent ?? "");
    m.setAliasesList(options.aliases ?? []);
    m.setAdditionalsecretoutputsList(options.additionalSecretOutputs ?? []);
    m.setDeletebeforereplacedefined(options.deleteBeforeReplace !== undefined);
    m.setDeletebeforereplace(options.deleteBeforeReplace ?? false);
    const timeouts = new analyzer.AnalyzerResourceOptions.CustomTimeouts();
    timeouts.setCreate(options.customTimeouts?.create ?? 0);
    timeouts.setUpdate(options.customTimeouts?.update ?? 0);
    timeouts.setDelete(options.customTimeouts?.delete ?? 0);
    m.setCustomtimeouts(timeouts);
    return m;
}

function providerMessage(provider: AnalyzedProvider): analyzer.AnalyzerProviderResource {
    const m = new analyzer.AnalyzerProviderResource();
    m.setUrn(provider.urn);
    m.setType(provider.type);
    m.setName(provider.name);
    m.setProperties(toStruct(provider.properties));
    return m;
}

export function analyzeRequest(r: AnalyzedResource): analyzer.AnalyzeRequest {
    const m = new analyzer.AnalyzeRequest();
    m.setUrn(r.urn);
    m.setType(r.type);
    m.setName(r.name);
    m.setProperties(toStruct(r.properties));
    m.setOptions(optionsMessage(r.options));
    if (r.provider) {
        m.setProvider(providerMessage(r.provider));
    }
    return m;
}

/** AnalyzeStack's request: every resource of the stack. */
export function analyzeStackRequest(resources: readonly AnalyzedResource[]): analyzer.AnalyzeStackRequest {
    const m = new analyzer.AnalyzeStackRequest();
    m.setResourcesList(resources.map(stackResourceMessage));
    return m;
}

export function stackResourceMessage(r: AnalyzedResource): analyzer.AnalyzerResource {
    const m = new analyzer.AnalyzerResource();
    m.setUrn(r.urn);
    m.setType(r.type);
    m.setName(r.name);
    m.setProperties(toStruct(r.properties));
    m.setOptions(optionsMessage(r.options));
    m.setParent(r.options.parent ?? "");
    m.setDependenciesList(r.dependencies ?? []);
    const propertyDependencies = m.getPropertydependenciesMap();
    for (const [property, urns] of Object.entries(r.propertyDependencies ?? {})) {
        if (urns.length > 0) {
            const deps = new analyzer.AnalyzerPropertyDependencies();
            deps.setUrnsList(urns);
            propertyDependencies.set(property, deps);
        }
    }
    if (r.provider) {
        m.setProvider(providerMessage(r.provider));
    }
    return m;
}
