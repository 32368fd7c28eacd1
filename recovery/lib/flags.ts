/**
 * Command-line flags declared once, as data: the parser, the --help text and the typed values all come
 * from the same declarations, so a flag cannot be documented one way and parsed another.
 * Everything here runs before any AWS or stack call: a bad flag stops the run with nothing changed.
 */

interface FlagBase {
    /** camelCase key of the parsed value; the flag is its kebab-case form (maxLagSeconds -> --max-lag-seconds). */
    key: string;
    description: string;
}

export interface BooleanFlag extends FlagBase {
    kind: "boolean";
}

export interface StringFlag extends FlagBase {
    kind: "string";
    /** Shown in --help and in errors, for example "a stack name". */
    accepted: string;
    required?: boolean;
    default?: string;
}

export interface NumberFlag extends FlagBase {
    kind: "number";
    default: number;
    min: number;
    max: number;
    /** Shown after the value in --help, for example "seconds". */
    unit: string;
}

/** A duration such as 90s, 3m or 1h (a bare number means seconds); the parsed value is in milliseconds. */
export interface DurationFlag extends FlagBase {
    kind: "duration";
    /** Milliseconds. */
    default: number;
    /** Milliseconds. */
    min: number;
    /** Milliseconds. */
    max: number;
}

export interface ChoiceFlag extends FlagBase {
    kind: "choice";
    choices: readonly string[];
    default: string;
}

export type FlagSpec = BooleanFlag | StringFlag | NumberFlag | DurationFlag | ChoiceFlag;

type ValueOf<F> =
    F extends { kind: "boolean" } ? boolean :
    F extends { kind: "number" | "duration" } ? number :
    F extends { kind: "choice"; choices: readonly (infer C)[] } ? C :
    F extends { kind: "string"; required: true } ? string :
    F extends { kind: "string"; default: string } ? string :
    string | undefined;

/** The parsed values of a list of flag declarations (declared `as const`), by key. */
export type FlagValues<S extends readonly FlagSpec[]> = { [F in S[number] as F["key"]]: ValueOf<F> };

/** A process exit code and what it tells the caller. */
export interface ExitCode {
    code: number;
    meaning: string;
}

/** A command the CLI can run: its name, what it does, and its flags. */
export interface CommandSpec<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
    name: string;
    summary: string;
    /** Usage examples shown in --help. */
    examples: string[];
    flags: S;
    /** The exit codes the command can end with, shown in --help. Default: none shown. */
    exitCodes?: readonly ExitCode[];
}

/** Bad command-line input. The CLI prints the message and exits 2 before anything is read or changed. */
export class UsageError extends Error {
    readonly exitCode = 2;
    constructor(message: string, readonly command?: string) {
        super(message);
        this.name = "UsageError";
    }
}

export function flagName(key: string): string {
    return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The command line that repeats this run for real: the same flags without --dry-run, plus --yes. */
export function rerunWithYes(invocation: string, command: string, argv: readonly string[]): string {
    return `${invocation} ${command} ${argv.filter((a) => a !== flagName("dryRun")).map(shellQuote).join(" ")} ${flagName("yes")}`;
}

/** One word for a POSIX shell: as it is when safe, otherwise single-quoted. */
export function shellQuote(text: string): string {
    return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** Flags every command takes, with the same meaning everywhere. */
export const COMMON_FLAGS = [
    { key: "stack", kind: "string", required: true, accepted: "the name of an existing Pulumi stack, for example prod", description: "Stack to recover (must exist; recovery never creates stacks)." },
    { key: "dryRun", kind: "boolean", description: "Run the read-only checks and print the plan: the calls, the config changes and the guarded preview. Changes nothing." },
    { key: "yes", kind: "boolean", description: "Proceed without the interactive confirmation (required when stdin is not a terminal)." },
    { key: "json", kind: "boolean", description: "Print events and the final summary as JSON lines instead of human-readable lines." },
    { key: "debug", kind: "boolean", description: "Print stack traces of errors." },
] as const satisfies readonly FlagSpec[];

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Formats milliseconds the way durations are written on the command line: 90s, 3m, 1h. */
export function formatFlagDuration(ms: number): string {
    if (ms % 3_600_000 === 0 && ms >= 3_600_000) {
        return `${ms / 3_600_000}h`;
    }
    if (ms % 60_000 === 0 && ms >= 60_000) {
        return `${ms / 60_000}m`;
    }
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function describeAccepted(spec: FlagSpec): string {
    switch (spec.kind) {
        case "boolean":
            return "no value (it is a switch)";
        case "string":
            return spec.accepted;
        case "number":
            return `a number from ${spec.min} to ${spec.max} (${spec.unit})`;
        case "duration":
            return `a duration from ${formatFlagDuration(spec.min)} to ${formatFlagDuration(spec.max)}, such as 90s, 3m or 1h`;
        case "choice":
            return `one of ${spec.choices.join(", ")}`;
    }
}

function badValue(spec: FlagSpec, text: string, command: string): UsageError {
    return new UsageError(`${flagName(spec.key)} ${JSON.stringify(text)} is not valid. Accepted: ${describeAccepted(spec)}.`, command);
}

function parseValue(spec: Exclude<FlagSpec, BooleanFlag>, text: string, command: string): unknown {
    switch (spec.kind) {
        case "string":
            if (text.trim() === "") {
                throw badValue(spec, text, command);
            }
            return text;
        case "number": {
            const value = Number(text);
            if (!/^\d+(\.\d+)?$/.test(text) || value < spec.min || value > spec.max) {
                throw badValue(spec, text, command);
            }
            return value;
        }
        case "duration": {
            const match = DURATION.exec(text);
            const value = match ? Number(match[1]) * DURATION_UNIT_MS[match[2] ?? "s"] : NaN;
            if (!match || value < spec.min || value > spec.max) {
                throw badValue(spec, text, command);
            }
            return value;
        }
        case "choice":
            if (!spec.choices.includes(text)) {
                throw badValue(spec, text, command);
            }
            return text;
    }
}

export interface ParsedArgs<S extends readonly FlagSpec[]> {
    values: FlagValues<S>;
    help: boolean;
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag`. Rejects unknown flags, positional
 * arguments, repeated flags and missing required flags, each with a message naming the flag, the
 * value and what is accepted. `--help` (or -h) short-circuits the required-flag checks.
 */
export function parseFlags<S extends readonly FlagSpec[]>(command: CommandSpec<S>, argv: readonly string[]): ParsedArgs<S> {
    const byName = new Map<string, FlagSpec>(command.flags.map((f) => [flagName(f.key), f]));
    const values: Record<string, unknown> = {};
    const seen = new Set<string>();
    let help = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") {
            help = true;
            continue;
        }
        if (!arg.startsWith("--")) {
            throw new UsageError(`unexpected argument ${JSON.stringify(arg)}. ${command.name} takes only flags: ` +
                `${[...byName.keys()].join(", ")} (see ${command.name} --help).`, command.name);
        }
        const eq = arg.indexOf("=");
        const name = eq === -1 ? arg : arg.slice(0, eq);
        const spec = byName.get(name);
        if (!spec) {
            throw new UsageError(`unknown flag ${name} for ${command.name}. Accepted: ${[...byName.keys()].join(", ")}, --help.`, command.name);
        }
        if (seen.has(spec.key)) {
            throw new UsageError(`${name} is given twice. Accepted: each flag at most once.`, command.name);
        }
        seen.add(spec.key);
        if (spec.kind === "boolean") {
            if (eq !== -1) {
                throw badValue(spec, arg.slice(eq + 1), command.name);
            }
            values[spec.key] = true;
            continue;
        }
        let text: string | undefined;
        if (eq !== -1) {
            text = arg.slice(eq + 1);
        } else {
            text = argv[i + 1];
            if (text === undefined || text.startsWith("--")) {
                throw new UsageError(`${name} needs a value. Accepted: ${describeAccepted(spec)}.`, command.name);
            }
            i++;
        }
        values[spec.key] = parseValue(spec, text, command.name);
    }
    for (const spec of command.flags) {
        if (values[spec.key] !== undefined) {
            continue;
        }
        if (spec.kind === "boolean") {
            values[spec.key] = false;
        } else if (spec.kind === "string" && spec.required && !help) {
            throw new UsageError(`${flagName(spec.key)} is required. Accepted: ${spec.accepted}.`, command.name);
        } else if ("default" in spec) {
            values[spec.key] = spec.default;
        }
    }
    return { values: values as FlagValues<S>, help };
}

function defaultText(spec: FlagSpec): string {
    switch (spec.kind) {
        case "boolean":
            return "";
        case "string":
            return spec.required ? " (required)" : spec.default !== undefined ? ` (default: ${spec.default})` : "";
        case "number":
            return ` (default: ${spec.default} ${spec.unit})`;
        case "duration":
            return ` (default: ${formatFlagDuration(spec.default)})`;
        case "choice":
            return ` (default: ${spec.default})`;
    }
}

function placeholder(spec: FlagSpec): string {
    switch (spec.kind) {
        case "boolean":
            return "";
        case "choice":
            return ` <${spec.choices.join("|")}>`;
        case "duration":
            return " <duration>";
        case "number":
            return " <n>";
        case "string":
            return ` <${spec.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}>`;
    }
}

/** The --help text of one command, generated from its declarations. */
export function commandHelp(command: CommandSpec, program: string): string {
    const rows = command.flags.map((f) => [`  ${flagName(f.key)}${placeholder(f)}`, `${f.description}${defaultText(f)}`]);
    const width = Math.max(...rows.map(([left]) => left.length)) + 2;
    return [
        `${program} ${command.name}: ${command.summary}`,
        "",
        "Usage:",
        ...command.examples.map((e) => `  ${program} ${e}`),
        "",
        "Flags:",
        ...rows.map(([left, right]) => `${left.padEnd(width)}${right}`),
        `${"  --help".padEnd(width)}Print this help.`,
        "",
        ...(command.exitCodes?.length ? ["Exit codes:", ...command.exitCodes.map((e) => `  ${e.code}  ${e.meaning}`), ""] : []),
    ].join("\n");
}

/** The top-level --help: every command and its summary. */
export function programHelp(commands: readonly CommandSpec[], program: string): string {
    const width = Math.max(...commands.map((c) => c.name.length)) + 4;
    return [
        `Usage: ${program} <command> [flags]`,
        "",
        "Commands:",
        ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
        "",
        `Run ${program} <command> --help for the flags of one command.`,
        "",
    ].join("\n");
}
