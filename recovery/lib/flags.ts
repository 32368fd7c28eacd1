/**
 * Command-line flags declared once, as data: the parser, the --help text and the typed values all come
 * from the same declarations, so a flag cannot be documented one way and parsed another.
 * Everything here runs before any AWS or stack call: a bad flag stops the run with nothing changed.
 * node:util's parseArgs splits the command line; the kinds, ranges and messages are declared here.
 */
import { parseArgs } from "node:util";

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

function badValue(spec: FlagSpec, text: string): string {
    return `${flagName(spec.key)} ${JSON.stringify(text)} is not valid. Accepted: ${describeAccepted(spec)}.`;
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

/** The typed value of one flag's text, or the problem with it. parseArgs gives strings; the kinds are ours. */
function parseValue(spec: Exclude<FlagSpec, BooleanFlag>, text: string): Parsed {
    const bad: Parsed = { ok: false, problem: badValue(spec, text) };
    switch (spec.kind) {
        case "string":
            return text.trim() === "" ? bad : { ok: true, value: text };
        case "number": {
            const value = Number(text);
            return !/^\d+(\.\d+)?$/.test(text) || value < spec.min || value > spec.max ? bad : { ok: true, value };
        }
        case "duration": {
            const match = DURATION.exec(text);
            const value = match ? Number(match[1]) * DURATION_UNIT_MS[match[2] ?? "s"] : NaN;
            return !match || value < spec.min || value > spec.max ? bad : { ok: true, value };
        }
        case "choice":
            return spec.choices.includes(text) ? { ok: true, value: text } : bad;
    }
}

export interface ParsedArgs<S extends readonly FlagSpec[]> {
    values: FlagValues<S>;
    help: boolean;
}

/** The option name parseArgs knows a flag by: its kebab-case form without the dashes. */
function optionName(key: string): string {
    return flagName(key).slice(2);
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag` with node:util's parseArgs, then checks
 * what parseArgs leaves to its caller: unknown flags, positional arguments, repeated flags, a value on
 * a switch, values outside what the declaration accepts and missing required flags. Every problem is
 * named in one UsageError (flag, value, what is accepted), so one correction fixes the command line.
 * `--help` (or -h) short-circuits the required-flag checks.
 */
export function parseFlags<S extends readonly FlagSpec[]>(command: CommandSpec<S>, argv: readonly string[]): ParsedArgs<S> {
    const byOption = new Map<string, FlagSpec>(command.flags.map((f) => [optionName(f.key), f]));
    const accepted = `${[...byOption.keys()].map((o) => `--${o}`).join(", ")}, --help`;
    // parseArgs takes the word after a string flag as its value even when it is the next flag; such a
    // flag is given here with an empty inline value, and its index remembered, so it "needs a value"
    // and the next flag is still read.
    const valueMissing = new Set<number>();
    const args = argv.map((arg, i) => {
        const spec = arg.startsWith("--") && !arg.includes("=") ? byOption.get(arg.slice(2)) : undefined;
        const next = argv[i + 1];
        if (spec && spec.kind !== "boolean" && (next === undefined || next.startsWith("--"))) {
            valueMissing.add(i);
            return `${arg}=`;
        }
        return arg;
    });
    const options = Object.fromEntries([...byOption].map(([name, spec]) => [name, { type: spec.kind === "boolean" ? "boolean" as const : "string" as const }]));
    const { tokens } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: false, allowPositionals: true, tokens: true });
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    let help = false;
    let afterUnknown = false;
    for (const token of tokens) {
        const followsUnknown = afterUnknown;
        afterUnknown = false;
        if (token.kind === "option-terminator") {
            continue;
        }
        if (token.kind === "positional") {
            // The word after an unknown flag is most likely its value: the unknown flag is the problem to name.
            if (!followsUnknown) {
                problems.push(`unexpected argument ${JSON.stringify(token.value)}. ${command.name} takes only flags: ${accepted} (see ${command.name} --help).`);
            }
            continue;
        }
        if (token.name === "help") {
            help = true;
            continue;
        }
        const spec = byOption.get(token.name);
        if (!spec) {
            problems.push(`unknown flag ${token.rawName} for ${command.name}. Accepted: ${accepted}.`);
            afterUnknown = token.value === undefined;
            continue;
        }
        const name = flagName(spec.key);
        if (spec.key in values) {
            problems.push(`${name} is given twice. Accepted: each flag at most once.`);
            continue;
        }
        if (spec.kind === "boolean") {
            if (token.value !== undefined) {
                problems.push(badValue(spec, token.value));
            }
            values[spec.key] = true;
            continue;
        }
        if (valueMissing.has(token.index)) {
            problems.push(`${name} needs a value. Accepted: ${describeAccepted(spec)}.`);
            values[spec.key] = undefined;
            continue;
        }
        const parsed = parseValue(spec, token.value ?? "");
        if (parsed.ok) {
            values[spec.key] = parsed.value;
        } else {
            problems.push(parsed.problem);
            values[spec.key] = undefined;
        }
    }
    for (const spec of command.flags) {
        if (spec.key in values) {
            continue;
        }
        if (spec.kind === "boolean") {
            values[spec.key] = false;
        } else if (spec.kind === "string" && spec.required) {
            if (!help) {
                problems.push(`${flagName(spec.key)} is required. Accepted: ${spec.accepted}.`);
            }
        } else if ("default" in spec) {
            values[spec.key] = spec.default;
        }
    }
    if (problems.length > 0) {
        throw new UsageError(problems.length === 1 ? problems[0]
            : `${problems.length} problems with the flags of ${command.name}:\n${problems.map((p) => `  - ${p}`).join("\n")}`, command.name);
    }
    return { values: values as FlagValues<S>, help };
}

/** "1 run", "5 runs", "1 write per second per shard": a unit is declared in the plural, its first word is singular for 1. */
function quantity(value: number, unit: string): string {
    return `${value} ${value === 1 ? unit.replace(/^([a-z]{2,})s\b/, "$1") : unit}`;
}

function defaultText(spec: FlagSpec): string {
    switch (spec.kind) {
        case "boolean":
            return "";
        case "string":
            return spec.required ? " (required)" : spec.default !== undefined ? ` (default: ${spec.default})` : "";
        case "number":
            return ` (default: ${quantity(spec.default, spec.unit)})`;
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
