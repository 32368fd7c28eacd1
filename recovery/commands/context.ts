/**
 * What a command needs from the outside world, in one place so tests and the benchmark can hand in a
 * fake control plane, a fake stack, a virtual clock and captured output, and the CLI hands in the real
 * ones. Commands never reach for process.*, the SDK or the Automation API on their own.
 */
import type { Cluster } from "ioredis";
import { DataPlaneTarget } from "../dataplane/connect";
import { TemporaryStacks } from "../lib/backup-drill/temporary-stack";
import { RegionClients } from "../lib/clients";
import { Clock } from "../lib/clock";
import { ConfirmIo } from "../lib/confirm";
import { CommandSpec, FlagSpec, FlagValues } from "../lib/flags";
import { Output } from "../lib/printer";
import { StackDriver } from "../lib/stack-driver";

export interface CommandContext {
    stdout: Output;
    stderr: Output;
    clock: Clock;
    confirmIo: ConfirmIo;
    /** Per-region AWS clients; created lazily so a run never touches a region it does not need. */
    clients: RegionClients;
    /**
     * Selects an existing stack; must throw (StackNotFoundError) rather than create one, and a
     * StackUnavailableError when the state backend or the Pulumi CLI is unavailable.
     */
    openStack(stackName: string): Promise<StackDriver>;
    /** The Pulumi project directory, whose Pulumi.<stack>.yaml is read when the stack cannot be opened. */
    projectDir: string;
    /** Directory the JSON and Markdown reports go to. */
    reportDir: string;
    /** How the program is invoked, for the commands printed in next steps: "npm run recovery --". */
    invocation: string;
    /** Stops waits early (Ctrl-C, tests). */
    signal?: AbortSignal;
    /**
     * Opens a cluster's data plane, to prove that writes work after a failover. Absent when this run
     * has none: commands then report "writes not verified" and why, never a success they did not see.
     */
    connectDataPlane?: (target: DataPlaneTarget) => Promise<Cluster>;
    /**
     * Environment variables commands may read: REDIS_PASSWORD, the data-plane password (never a flag,
     * so it stays out of shell history and process lists). Default: none.
     */
    env?: Readonly<Record<string, string | undefined>>;
    /** Creates the throwaway stacks backup-drill restores into. Absent when the Pulumi CLI is not available to this run. */
    temporaryStacks?: TemporaryStacks;
}

/** What a command's own module exports: its body. */
export interface CommandModule<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
    /**
     * Runs with the flags already parsed against the command's spec (the CLI answers --help and bad
     * flags before it loads the module) and the arguments after the command name as given, for the
     * commands it prints to run again; resolves to the process exit code.
     */
    run(values: FlagValues<S>, argv: readonly string[], context: CommandContext): Promise<number>;
}

/**
 * A command the CLI can dispatch to: its flags as data, and its module, loaded only when the command
 * runs, so --help and every other command never load what it needs (the Automation API, the data
 * plane, the charts).
 */
export interface Command {
    spec: CommandSpec;
    load(): Promise<CommandModule>;
}

/** Pairs a spec with the loader of the module that runs it; the flag types must agree. */
export function command<S extends readonly FlagSpec[]>(spec: CommandSpec<S>, load: () => Promise<CommandModule<S>>): Command {
    return { spec, load };
}
