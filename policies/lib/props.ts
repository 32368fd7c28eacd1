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
    constructor(readonly property: string) {
        super(`${property} is unknown during preview`);
    }
}

/** The property path an unknown-value error is about, or undefined for any other error. */
export function unknownPropertyOf(e: unknown): string | undefined {
    if (e instanceof Unverifiable) {
        return e.property;
    }
    if (UnknownValueError && e instanceof UnknownValueError) {
        return e.props.map(String).join(".");
    }
    return undefined;
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

/** The known value of `props[key]`; throws Unverifiable when it is unknown. */
export function known<T = unknown>(props: Record<string, unknown>, key: string): T | undefined {
    const r = read<T>(props, key);
    if (r.state === "unknown") {
        throw new Unverifiable(r.path);
    }
    return r.state === "known" ? r.value : undefined;
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
