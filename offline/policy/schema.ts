/**
 * The part of JSON Schema that policy config schemas use, checked the way the Pulumi CLI checks a
 * policy pack config before it configures the pack. A schema keyword outside this subset is an error,
 * not a silent pass, so a rule can never run on a value nobody checked.
 */

export type JsonSchema = Record<string, unknown>;

/** Keywords that only describe: nothing to check. */
const ANNOTATIONS = new Set(["description", "title", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "format"]);
const CHECKED = new Set([
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern", "items", "minItems", "maxItems", "uniqueItems",
    "properties", "required", "additionalProperties",
]);

function typeOf(value: unknown): string {
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "array";
    }
    return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
    switch (type) {
        case "integer":
            return typeof value === "number" && Number.isInteger(value);
        case "number":
            return typeof value === "number";
        default:
            return typeOf(value) === type;
    }
}

const show = (v: unknown) => JSON.stringify(v);

/**
 * Problems with `value` against `schema`, each "<reason>" prefixed by the path inside the value
 * ("" at the top, ".field" or "[2]" below), e.g. { at: "[1]", reason: "must be one of ..." }.
 */
export function checkSchema(value: unknown, schema: JsonSchema, at = ""): Array<{ at: string; value: unknown; reason: string }> {
    const problems: Array<{ at: string; value: unknown; reason: string }> = [];
    const fail = (reason: string) => problems.push({ at, value, reason });
    for (const keyword of Object.keys(schema)) {
        if (!CHECKED.has(keyword) && !ANNOTATIONS.has(keyword)) {
            fail(`the pack's schema uses "${keyword}", which this checker does not support (supported: ${[...CHECKED].join(", ")})`);
        }
    }
    if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
        if (!types.some((t) => matchesType(value, t))) {
            fail(`must be of type ${types.join(" or ")}, not ${typeOf(value)}`);
            return problems; // the other keywords would only repeat the type error
        }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => show(e) === show(value))) {
        fail(`must be one of ${schema.enum.map(show).join(", ")}`);
    }
    if ("const" in schema && show(schema.const) !== show(value)) {
        fail(`must be ${show(schema.const)}`);
    }
    if (typeof value === "number") {
        const n = (k: string) => schema[k] as number | undefined;
        if (n("minimum") !== undefined && value < n("minimum")!) fail(`must be at least ${n("minimum")}`);
        if (n("maximum") !== undefined && value > n("maximum")!) fail(`must be at most ${n("maximum")}`);
        if (n("exclusiveMinimum") !== undefined && value <= n("exclusiveMinimum")!) fail(`must be greater than ${n("exclusiveMinimum")}`);
        if (n("exclusiveMaximum") !== undefined && value >= n("exclusiveMaximum")!) fail(`must be less than ${n("exclusiveMaximum")}`);
        if (n("multipleOf") !== undefined && !Number.isInteger(value / n("multipleOf")!)) fail(`must be a multiple of ${n("multipleOf")}`);
    }
    if (typeof value === "string") {
        if (typeof schema.minLength === "number" && value.length < schema.minLength) fail(`must have at least ${schema.minLength} characters`);
        if (typeof schema.maxLength === "number" && value.length > schema.maxLength) fail(`must have at most ${schema.maxLength} characters`);
        if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) fail(`must match /${schema.pattern}/`);
    }
    if (Array.isArray(value)) {
        if (typeof schema.minItems === "number" && value.length < schema.minItems) fail(`must have at least ${schema.minItems} items`);
        if (typeof schema.maxItems === "number" && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
        if (schema.uniqueItems === true && new Set(value.map(show)).size !== value.length) fail("must not repeat items");
        if (typeof schema.items === "object" && schema.items !== null && !Array.isArray(schema.items)) {
            value.forEach((item, i) => problems.push(...checkSchema(item, schema.items as JsonSchema, `${at}[${i}]`)));
        }
    }
    if (typeOf(value) === "object") {
        const object = value as Record<string, unknown>;
        const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
        for (const name of (schema.required ?? []) as string[]) {
            if (!(name in object)) fail(`must set "${name}"`);
        }
        for (const [name, v] of Object.entries(object)) {
            if (properties[name]) {
                problems.push(...checkSchema(v, properties[name], `${at}.${name}`));
            } else if (schema.additionalProperties === false) {
                problems.push({ at: `${at}.${name}`, value: v, reason: `is not an option here (known: ${Object.keys(properties).join(", ") || "none"})` });
            } else if (typeof schema.additionalProperties === "object" && schema.additionalProperties !== null) {
                problems.push(...checkSchema(v, schema.additionalProperties as JsonSchema, `${at}.${name}`));
            }
        }
    }
    return problems;
}
