/**
 * `--policy-pack-config <file>` as the Pulumi CLI reads it: `{"all": level, "<policy>": level |
 * {"enforcementLevel"?: level, "<option>": value, ...}}`. The CLI then starts from each policy's own
 * level and its schema defaults, applies the pack's initial config, then "all", then the per-policy
 * entries (options merge over the defaults), checks the options against the schemas and configures
 * the pack with every policy. Without a file the same happens with no entries, which is how schema
 * defaults reach the pack.
 *
 * Two checks are stricter than the CLI, on purpose: a policy name the pack does not have, and an option
 * a policy's schema does not declare, are errors here (the CLI ignores both, so a typo silently keeps the
 * default). A file that passes here means the same to the CLI.
 */
import * as fs from "fs";
import * as path from "path";
import { ENFORCEMENT_LEVELS, EnforcementLevel } from "./wire";
import { JsonSchema, checkSchema } from "./schema";

export interface PolicyInfo {
    name: string;
    description: string;
    /** The policy's own level, or the pack's when the policy sets none. */
    enforcementLevel: EnforcementLevel;
    kind: "resource" | "stack" | "unknown";
    /** Option schemas by option name, with the options the policy requires. */
    configSchema?: { properties: Record<string, JsonSchema>; required: string[] };
}

export interface PackInfo {
    name: string;
    version: string;
    policies: PolicyInfo[];
    /** Config the pack passes to its own constructor (PolicyPack's third argument). */
    initialConfig: PolicyPackConfig;
}

export interface PolicyConfig {
    /** Undefined: keep the level set before (the policy's own, or "all"). */
    enforcementLevel?: EnforcementLevel;
    properties: Record<string, unknown>;
}

export type PolicyPackConfig = Record<string, PolicyConfig>;

/** A config file the pack cannot be configured with; the message names the file, policy, option and value. */
export class PolicyConfigError extends Error {}

const ALL = "all";
const accepted = ENFORCEMENT_LEVELS.map((l) => `"${l}"`).join(", ");

function parseLevel(value: unknown, where: string): EnforcementLevel {
    if (typeof value !== "string" || !ENFORCEMENT_LEVELS.includes(value as EnforcementLevel)) {
        throw new PolicyConfigError(`${where} enforcement level is ${JSON.stringify(value)}: use one of ${accepted}`);
    }
    return value as EnforcementLevel;
}

/** Parses the text of a policy pack config file; `source` names it in errors. Empty text means no config. */
export function parsePolicyPackConfig(text: string, source: string): PolicyPackConfig {
    if (text.trim() === "") {
        return {};
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new PolicyConfigError(`${source} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new PolicyConfigError(`${source} must hold a JSON object of policy name to level or settings, not ${JSON.stringify(doc)}`);
    }
    const result: PolicyPackConfig = {};
    for (const [policy, value] of Object.entries(doc)) {
        const where = `${source}: "${policy}"`;
        if (typeof value === "string") {
            result[policy] = { enforcementLevel: parseLevel(value, where), properties: {} };
        } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            const level = enforcementLevel === undefined ? undefined : parseLevel(enforcementLevel, where);
            // The CLI drops entries that say nothing.
            if (level !== undefined || Object.keys(properties).length > 0) {
                result[policy] = { enforcementLevel: level, properties };
            }
        } else {
            throw new PolicyConfigError(`${where} is ${JSON.stringify(value)}: use an enforcement level (${accepted}) ` +
                `or an object {"enforcementLevel": ..., "<option>": value}`);
        }
    }
    return result;
}

export function loadPolicyPackConfigFile(file: string): PolicyPackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new PolicyConfigError(`cannot read policy pack config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return parsePolicyPackConfig(text, file);
}

function withDefaults(info: PackInfo): PolicyPackConfig {
    const result: PolicyPackConfig = {};
    for (const policy of info.policies) {
        const properties: Record<string, unknown> = {};
        for (const [option, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
            if ("default" in schema) {
                properties[option] = schema.default;
            }
        }
        result[policy.name] = { enforcementLevel: policy.enforcementLevel, properties };
    }
    return result;
}

function apply(result: PolicyPackConfig, given: PolicyPackConfig): void {
    const all = given[ALL]?.enforcementLevel;
    if (all) {
        for (const config of Object.values(result)) {
            config.enforcementLevel = all;
        }
    }
    for (const [policy, config] of Object.entries(given)) {
        if (policy === ALL) {
            continue;
        }
        const current = result[policy] ?? { properties: {} };
        result[policy] = {
            enforcementLevel: config.enforcementLevel ?? current.enforcementLevel,
            properties: { ...current.properties, ...config.properties },
        };
    }
}

/**
 * The config the pack is configured with: defaults, then the pack's initial config, then `given`.
 * Throws a PolicyConfigError listing every problem.
 */
export function reconcilePolicyPackConfig(info: PackInfo, given: PolicyPackConfig = {}, source = "policy pack config"): PolicyPackConfig {
    const problems: string[] = [];
    const known = new Map(info.policies.map((p) => [p.name, p]));
    for (const name of Object.keys(given)) {
        if (name !== ALL && !known.has(name)) {
            problems.push(`"${name}" is not a policy of ${info.name}@${info.version} (use "all" or one of: ${[...known.keys()].join(", ")})`);
        }
    }
    const result = withDefaults(info);
    apply(result, info.initialConfig);
    apply(result, given);
    for (const policy of info.policies) {
        const schema: JsonSchema = {
            type: "object",
            properties: policy.configSchema?.properties ?? {},
            required: policy.configSchema?.required ?? [],
            additionalProperties: false,
        };
        for (const p of checkSchema(result[policy.name].properties, schema)) {
            const option = p.at.replace(/^\./, "");
            problems.push(option
                ? `policy "${policy.name}" option "${option}" is ${JSON.stringify(p.value)}: it ${p.reason}`
                : `policy "${policy.name}" options ${p.reason}`);
        }
    }
    if (problems.length > 0) {
        throw new PolicyConfigError(`${source} does not fit policy pack ${info.name}@${info.version} ` +
            `(${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    }
    return result;
}

/** Which policy pack config file a run uses, and why. */
export type PolicyConfigChoice =
    /** Named with --policy-pack-config. */
    | { source: "flag"; file: string }
    /** The stack's own file beside the pack, `<pack>/config/<stack>.json`, used when no flag says otherwise. */
    | { source: "stack"; file: string }
    /** None: each policy's own level and option defaults. `looked` is the stack file that did not exist, if any. */
    | { source: "none"; looked?: string };

/** The stack's config file beside a pack: policies/config/prod.json for the project's pack and stack prod. */
export function stackConfigFile(packDir: string, stack: string): string {
    return path.join(packDir, "config", `${stack}.json`);
}

/**
 * The config file for a run: `flag` when given, none when `off`, otherwise the stack's file beside
 * the pack when it exists (as CI passes it to `pulumi preview`), otherwise none.
 */
export function choosePolicyPackConfig(options: { packDir: string; stack: string; flag?: string; off?: boolean }): PolicyConfigChoice {
    if (options.flag !== undefined && options.off) {
        throw new PolicyConfigError(`--policy-pack-config ${options.flag} and --no-policy-pack-config contradict each other: give one of them`);
    }
    if (options.flag !== undefined) {
        return { source: "flag", file: options.flag };
    }
    if (options.off) {
        return { source: "none" };
    }
    const file = stackConfigFile(options.packDir, options.stack);
    return fs.existsSync(file) ? { source: "stack", file } : { source: "none", looked: file };
}

/** One line for the report: which file, and why that one. */
export function describePolicyConfig(choice: PolicyConfigChoice, relativeTo = process.cwd()): string {
    const shown = (file: string) => (path.isAbsolute(file) && !path.relative(relativeTo, file).startsWith("..") ? path.relative(relativeTo, file) : file);
    switch (choice.source) {
        case "flag":
            return `config: ${shown(choice.file)}, from --policy-pack-config`;
        case "stack":
            return `config: ${shown(choice.file)}, the stack's file beside the pack`;
        case "none":
            return choice.looked
                ? `no config file: ${shown(choice.looked)} does not exist; each policy's own level and defaults`
                : "no config file, as --no-policy-pack-config asks; each policy's own level and defaults";
    }
}
