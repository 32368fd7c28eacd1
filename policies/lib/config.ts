/**
 * Policy configuration: schema builders that always carry a default, and the reader that applies
 * those defaults. The Pulumi CLI validates `--policy-pack-config` against the schema and fills in the
 * defaults; `resolveConfig` does both again so a rule never runs on a half-filled config (older CLIs,
 * direct calls in tests) and so a bad value fails with a message naming the policy and the option.
 */
import { PolicyConfigSchema } from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

export class PolicyConfigError extends Error {}

type Option = PolicyConfigJSONSchema & { default: NonNullable<PolicyConfigJSONSchema["default"]>; description: string };

export function integerOption(description: string, defaultValue: number, minimum: number, maximum?: number): Option {
    return { type: "integer", description, default: defaultValue, minimum, ...(maximum === undefined ? {} : { maximum }) };
}

export function booleanOption(description: string, defaultValue: boolean): Option {
    return { type: "boolean", description, default: defaultValue };
}

export function stringListOption(description: string, defaultValue: string[], itemPattern?: string): Option {
    return { type: "array", description, default: defaultValue, items: { type: "string", ...(itemPattern ? { pattern: itemPattern } : {}) } };
}

export function integerListOption(description: string, defaultValue: number[], minimum: number, maximum: number): Option {
    return { type: "array", description, default: defaultValue, minItems: 1, items: { type: "integer", minimum, maximum } };
}

/** Shared by every rule whose property has an engine or provider default. */
export const REQUIRE_EXPLICIT = booleanOption(
    "Reject a setting left to its engine or provider default, even when that default is compliant. Default: false.", false);

function typeProblem(schema: PolicyConfigJSONSchema, value: unknown): string | undefined {
    switch (schema.type) {
        case "integer":
            if (!Number.isInteger(value)) {
                return "an integer";
            }
            if (schema.minimum !== undefined && (value as number) < schema.minimum) {
                return `an integer of at least ${schema.minimum}`;
            }
            if (schema.maximum !== undefined && (value as number) > schema.maximum) {
                return `an integer of at most ${schema.maximum}`;
            }
            return undefined;
        case "boolean":
            return typeof value === "boolean" ? undefined : "true or false";
        case "array": {
            const items = typeof schema.items === "object" && !Array.isArray(schema.items) ? schema.items : {};
            if (!Array.isArray(value) || (schema.minItems !== undefined && value.length < schema.minItems)) {
                return `a list${schema.minItems ? ` of at least ${schema.minItems} item(s)` : ""}`;
            }
            const bad = value.find((v) => typeProblem(items, v) !== undefined);
            return bad === undefined ? undefined : `a list whose items are each ${typeProblem(items, bad)}`;
        }
        case "string":
            if (typeof value !== "string") {
                return "a string";
            }
            return schema.pattern && !new RegExp(schema.pattern).test(value) ? `a string matching ${schema.pattern}` : undefined;
        case "object":
            return typeof value === "object" && value !== null && !Array.isArray(value) ? undefined : "an object";
        default:
            return undefined;
    }
}

/**
 * The policy's options: schema defaults overlaid with what the policy-pack config sets. Unknown keys
 * and values of the wrong type fail with the policy name, the key, the value and what is accepted.
 */
export function resolveConfig<T>(policyName: string, schema: PolicyConfigSchema | undefined, raw: Record<string, unknown>): T {
    const properties = schema?.properties ?? {};
    const resolved: Record<string, unknown> = {};
    for (const [key, option] of Object.entries(properties)) {
        if (typeof option === "object" && option.default !== undefined) {
            resolved[key] = structuredClone(option.default);
        }
    }
    for (const [key, value] of Object.entries(raw ?? {})) {
        if (key === "enforcementLevel") {
            continue;
        }
        const option = properties[key];
        if (option === undefined) {
            const accepted = Object.keys(properties);
            throw new PolicyConfigError(`policy ${policyName}: unknown option "${key}"; ` +
                (accepted.length ? `accepted options: ${accepted.join(", ")}` : "this policy takes no options besides enforcementLevel"));
        }
        const problem = typeof option === "object" ? typeProblem(option, value) : undefined;
        if (problem) {
            throw new PolicyConfigError(`policy ${policyName}: option ${key} is ${JSON.stringify(value)}; expected ${problem}`);
        }
        resolved[key] = value;
    }
    return resolved as T;
}
