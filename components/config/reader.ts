/** Reading raw configuration values and collecting problems: one message per problem, secrets never shown. */
import { SECRET_KEYS, fullKey } from "./keys";

/** Raw values as the Pulumi engine hands them over: strings, with lists and objects as JSON text. */
export type RawConfig = Record<string, string | undefined>;

export class Problems {
    readonly list: string[] = [];
    private readonly secretKeys = new Set(SECRET_KEYS);

    /** One message: the key, the value (never a secret's), the reason, what is accepted. */
    add(key: string, value: unknown, reason: string | undefined, accepted: string): void {
        const shown = this.secretKeys.has(key.split(/[.[]/)[0]) ? describeSecret(value) : show(value);
        this.list.push(`${fullKey(key)} is ${shown}${reason ? `: ${reason}` : ""}. Accepted: ${accepted}.`);
    }

    missing(key: string, accepted: string, hint?: string): void {
        this.list.push(`${fullKey(key)} is not set. Accepted: ${accepted}.${hint ? ` ${hint}` : ""}`);
    }
}

export function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

function describeSecret(value: unknown): string {
    return typeof value === "string" ? `a secret of ${value.length} characters` : `a secret ${typeof value}`;
}

export function stringArray(value: unknown): string[] | undefined {
    if (value === undefined) {
        return [];
    }
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

/** Typed reads of raw values; a value of the wrong type becomes a problem and reads as undefined. */
export class Reader {
    constructor(private readonly rawValues: RawConfig, private readonly p: Problems) {}

    has(key: string): boolean {
        return this.rawValues[key] !== undefined;
    }

    raw(key: string): string | undefined {
        return this.rawValues[key];
    }

    string(key: string): string | undefined {
        return this.rawValues[key];
    }

    /**
     * A whole number from min to max. The message says what is wrong with the value: not a whole
     * number, or below `min` (with `belowMin`, why the minimum is what it is), or above `max`.
     */
    integer(key: string, fallback: number, min: number, max: number, belowMin?: string): number {
        const text = this.rawValues[key];
        if (text === undefined) {
            return fallback;
        }
        const value = Number(text);
        const accepted = `a whole number from ${min} to ${max}`;
        if (!/^-?\d+$/.test(text.trim())) {
            this.p.add(key, /^-?\d+(\.\d+)?$/.test(text.trim()) ? value : text, "not a whole number", accepted);
            return fallback;
        }
        if (value < min || value > max) {
            this.p.add(key, value, value < min ? belowMin : undefined, accepted);
            return fallback;
        }
        return value;
    }

    boolean(key: string, fallback: boolean): boolean {
        const text = this.rawValues[key];
        if (text === undefined) {
            return fallback;
        }
        if (text !== "true" && text !== "false") {
            this.p.add(key, text, undefined, "true or false");
            return fallback;
        }
        return text === "true";
    }

    private json(key: string, shape: string): unknown {
        const text = this.rawValues[key];
        if (text === undefined) {
            return undefined;
        }
        try {
            return JSON.parse(text);
        } catch {
            this.p.add(key, text, `it is not ${shape}`, shape);
            return undefined;
        }
    }

    list(key: string): unknown[] | undefined {
        const value = this.json(key, "a list");
        if (value === undefined) {
            return undefined;
        }
        if (!Array.isArray(value)) {
            this.p.add(key, value, undefined, "a list");
            return undefined;
        }
        return value;
    }

    stringList(key: string): string[] | undefined {
        const value = this.list(key);
        if (value && !value.every((v) => typeof v === "string")) {
            this.p.add(key, value, undefined, "a list of strings");
            return undefined;
        }
        return value as string[] | undefined;
    }

    object(key: string): Record<string, unknown> | undefined {
        const value = this.json(key, "an object");
        if (value === undefined) {
            return undefined;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.p.add(key, value, undefined, "an object (a YAML mapping)");
            return undefined;
        }
        return value as Record<string, unknown>;
    }
}
