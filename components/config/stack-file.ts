/**
 * The stack files: `Pulumi.<stack>.yaml` in the project directory, read the way the Pulumi engine
 * hands their configuration to the program. The offline runner runs the program on them, and the
 * recovery programs fall back on them when a stack cannot be opened (recovery/lib/stack-file.ts), so
 * this reader uses only runtime dependencies and nothing of Pulumi's: an operator's machine installed
 * with `npm ci --omit=dev` runs it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { YAMLParseError, parse } from "yaml";
import { DEFAULTS, DEFAULT_USERS } from "./defaults";
import { DEFAULT_ENGINE_VERSION, ENGINES, Engine, parseVersion, supportsRbac } from "./engine";
import { NAMESPACE } from "./keys";
import { PROJECT, PROJECT_DIR } from "./project";

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

export function listStacks(dir = PROJECT_DIR): string[] {
    return fs.readdirSync(dir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
}

/** Placeholder for a secret the offline plan cannot decrypt or that the stack file does not hold. */
export function secretPlaceholder(key: string): string {
    // Valid for the validator (16+ printable characters), visibly not a real secret.
    return `offline-placeholder-for-${key}`.replace(/[^!#-.0-?A-~]/g, "-");
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
