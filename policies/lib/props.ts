/**
 * Reading resource properties that may be unknown during preview.
 *
 * The SDK hands policies a proxy that throws UnknownValueError when a rule reads a value the engine
 * does not know yet. If that error escapes, the engine downgrades it to an advisory "can't run policy"
 * note, so a mandatory rule would pass a preview silently. Rules therefore read through these helpers:
 * `read` and `presence` never throw, and anything that does throw is turned into a "could not verify"
 * violation by the rule wrapper (see rule.ts).
 */
import * as policySdk from "@pulumi/policy";
import { PolicyResource } from "@pulumi/policy";

interface UnknownValueErrorShape extends Error {
    /** Property path of the unknown value, e.g. ["logDeliveryConfigurations", "0", "logType"]. */
    props: (string | symbol)[];
}

// The package index exports UnknownValueError at runtime, but its typings strip the declaration.
const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...args: never[]) => UnknownValueErrorShape }).UnknownValueError;

/**
 * Thrown by a rule when a value it must inspect is unknown. The rule wrapper reports it as a
 * "could not verify" violation at the rule's own enforcement level.
 */
export class Unverifiable extends Error {
    /**
     * @param property what is unknown, as the message names it
     * @param remedy which input to set, and how, so the value is known at preview ("set engine on
     *   the ..."). Leave it out when no input would help, for a value only AWS computes.
     */
    constructor(readonly property: string, readonly remedy?: string) {
        super(`${property} is unknown during preview`);
    }
}

/** What an unknown-value error is about, or undefined for any other error. */
export function unverifiableOf(e: unknown): { property: string; remedy?: string } | undefined {
    if (e instanceof Unverifiable) {
        return { property: e.property, remedy: e.remedy };
    }
    if (UnknownValueError && e instanceof UnknownValueError) {
        return { property: e.props.map(String).join(".") };
    }
    return undefined;
}

/** The property path an unknown-value error is about, or undefined for any other error. */
export function unknownPropertyOf(e: unknown): string | undefined {
    return unverifiableOf(e)?.property;
}

export type Read<T> =
    | { state: "absent" }
    | { state: "unknown"; path: string }
    | { state: "known"; value: T };

/**
 * Reads `props[key]`. Absent and null are both "absent": the engine drops unset inputs, and null is how
 * a program unsets one explicitly.
 */
export function read<T = unknown>(props: Record<string, unknown>, key: string): Read<T> {
    try {
        const value = props[key];
        return value === undefined || value === null ? { state: "absent" } : { state: "known", value: value as T };
    } catch (e) {
        const path = unknownPropertyOf(e);
        if (path === undefined) {
            throw e;
        }
        return { state: "unknown", path };
    }
}

/** The value of a read, undefined when absent; throws Unverifiable when it is unknown. */
export function knownValue<T>(r: Read<T>): T | undefined {
    if (r.state === "unknown") {
        throw new Unverifiable(r.path);
    }
    return r.state === "known" ? r.value : undefined;
}

/** The known value of `props[key]`; throws Unverifiable when it is unknown. */
export function known<T = unknown>(props: Record<string, unknown>, key: string): T | undefined {
    return knownValue(read<T>(props, key));
}

/**
 * Whether a property is set. An unknown value IS set (a key ARN computed by another resource is still
 * a key); an empty string or empty list is not.
 */
export function presence(props: Record<string, unknown>, key: string): "absent" | "unknown" | "set" {
    const r = read(props, key);
    if (r.state !== "known") {
        return r.state;
    }
    if (r.value === "" || (Array.isArray(r.value) && r.value.length === 0)) {
        return "absent";
    }
    return "set";
}

/** A list property as plain elements; throws Unverifiable when the list or an element is unknown. */
export function knownList<T = unknown>(props: Record<string, unknown>, key: string): T[] {
    const value = known<unknown>(props, key);
    if (value === undefined) {
        return [];
    }
    if (!Array.isArray(value)) {
        return [value as T];
    }
    // Index by index: Array methods would read each element through the SDK's proxy and throw first.
    const elements: T[] = [];
    for (let i = 0; i < value.length; i++) {
        const element = read<T>(value as unknown as Record<string, unknown>, String(i));
        if (element.state === "unknown") {
            throw new Unverifiable(element.path);
        }
        elements.push((element.state === "known" ? element.value : undefined) as T);
    }
    return elements;
}

/**
 * One resource's own settings, as a rule reads them. The engine shows a policy two shapes of a
 * resource, and an unknown value means something different in each:
 * - Analyze (resource rules) gets the inputs; an unknown input is fed by another resource's output.
 * - AnalyzeStack (stack rules) gets the state: inputs plus outputs. For a resource about to be created,
 *   every output AWS computes is unknown, including a setting the program left unset
 *   (atRestEncryptionEnabled, clusterMode, a member's globalReplicationGroupId ...). Only the engine's
 *   property dependencies tell the two kinds of unknown apart.
 */
export type Settings = <T = unknown>(key: string) => Read<T>;

/** Settings of a resource rule: the inputs as they are. */
export function inputSettings(props: Record<string, unknown>): Settings {
    return <T>(key: string) => read<T>(props, key);
}

/** Whether the engine names another resource that feeds this property. */
export function fedByAnotherResource(resource: Pick<PolicyResource, "propertyDependencies">, key: string): boolean {
    return (resource.propertyDependencies?.[key] ?? []).length > 0;
}

/**
 * Settings of a stack rule: an unknown value that no other resource feeds is one AWS computes because
 * the program left it unset, so it reads as unset and the rule judges the default AWS applies. An
 * unknown value another resource feeds stays unknown.
 */
export function stateSettings(resource: Pick<PolicyResource, "props" | "propertyDependencies">): Settings {
    return <T>(key: string) => {
        const r = read<T>(resource.props, key);
        return r.state === "unknown" && !fedByAnotherResource(resource, key) ? { state: "absent" } : r;
    };
}

/** A switch as a program wrote it: absent, on, off, or a value that is neither. */
export type Switch =
    | { state: "absent" }
    | { state: "on" | "off" | "invalid"; written: string };

/**
 * Reads a switch in whichever form @pulumi/aws v7 declares for it: a boolean on most resources, a
 * string "true"/"false" on some (Cluster.autoMinorVersionUpgrade is `Input<string>`, "Defaults to
 * `true`", in elasticache/cluster.d.ts). Strings are compared without case; any other value is
 * "invalid", which a rule reports rather than reading as on. Throws Unverifiable when unknown.
 */
export function knownSwitch(props: Record<string, unknown>, key: string): Switch {
    const value = known<unknown>(props, key);
    if (value === undefined) {
        return { state: "absent" };
    }
    const written = typeof value === "string" ? JSON.stringify(value) : String(value);
    const text = String(value).trim().toLowerCase();
    if (value === true || (typeof value === "string" && text === "true")) {
        return { state: "on", written };
    }
    if (value === false || (typeof value === "string" && text === "false")) {
        return { state: "off", written };
    }
    return { state: "invalid", written };
}
