/**
 * The recovery CLI: `npm run recovery -- <command> [flags]`. A thin dispatcher: it picks the command,
 * wires the real world (AWS clients, the stack through the Automation API, the terminal) into it, and
 * is the one place that turns an error into a message and an exit code.
 *
 * It starts fast because an outage is when it runs: until a command runs it loads only the flags
 * (commands/specs.ts). A command's module, and the SDK, Pulumi's Automation API, the data plane and the
 * charts behind it, load when that command runs; the context's parts load when the command asks for them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../components/config/project";
import { systemClock } from "./lib/clock";
import { terminalConfirmIo } from "./lib/confirm";
import { UsageError, commandHelp, parseFlags, programHelp } from "./lib/flags";
import { Output, writeError } from "./lib/printer";
import { PulumiCliMissingError, StackDriver } from "./lib/stack-driver";
import { Command, CommandContext, command } from "./commands/context";
import {
    BACKUP_DRILL_SPEC, DRILL_SPEC, FAILOVER_SHARD_SPEC, REJOIN_SPEC, RESTORE_SPEC, RETARGET_SPEC, RETIRE_SPEC, SNAPSHOT_SPEC,
} from "./commands/specs";
import type { TemporaryStacks } from "./lib/backup-drill/temporary-stack";

export const PROGRAM = "npm run recovery --";
export const COMMANDS: readonly Command[] = [
    command(RETARGET_SPEC, () => import("./commands/retarget-primary")),
    command(REJOIN_SPEC, () => import("./commands/rejoin")),
    command(FAILOVER_SHARD_SPEC, () => import("./commands/failover-shard")),
    command(DRILL_SPEC, () => import("./commands/drill")),
    command(SNAPSHOT_SPEC, () => import("./commands/snapshot")),
    command(RESTORE_SPEC, () => import("./commands/restore-from-snapshot")),
    command(RETIRE_SPEC, () => import("./commands/retire-generation")),
    command(BACKUP_DRILL_SPEC, () => import("./commands/backup-drill")),
];

/**
 * Whether an executable `pulumi` is in a PATH directory, which is where the Automation API runs it from
 * (PulumiCommand.get without an installation root runs "pulumi": node_modules/@pulumi/pulumi/automation/cmd.js).
 * Windows resolves names its own way (PATHEXT), so there the Automation API is always asked.
 */
function pulumiOnPath(): boolean {
    if (process.platform === "win32") {
        return true;
    }
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
        try {
            const file = path.join(dir || ".", "pulumi");
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
        } catch {
            return false;
        }
    });
}

/**
 * Opens the stack through the Automation API, which loads most of Pulumi's SDK (the better part of a
 * second). Without a Pulumi CLI it would fail anyway, so then it is not loaded: an outage run on a
 * machine without the CLI gets to the stack file, and to AWS, that much sooner.
 */
async function openStack(stackName: string): Promise<StackDriver> {
    if (!pulumiOnPath()) {
        throw new PulumiCliMissingError(stackName, "select", "no executable pulumi in the directories of PATH");
    }
    const { LocalWorkspaceStackDriver } = await import("./lib/local-workspace");
    return LocalWorkspaceStackDriver.select(stackName, PROJECT_DIR);
}

/** Backup-drill's throwaway stacks, through the Automation API, loaded when the first is created. */
const temporaryStacks: TemporaryStacks = {
    async create(name, target) {
        const { pulumiTemporaryStacks } = await import("./lib/backup-drill/pulumi-temporary-stacks");
        return pulumiTemporaryStacks.create(name, target);
    },
};

/**
 * The real world: SDK clients from the standard credential chain, the stack in this project directory.
 * Built when a command first needs it; the Automation API and the data plane load on first use.
 */
export function defaultContext(): CommandContext {
    const controller = new AbortController();
    // A second Ctrl-C kills the process as usual; the first lets the current step stop and the report be written.
    process.once("SIGINT", () => controller.abort(new Error("interrupted (Ctrl-C)")));
    // Every command calls AWS, and the SDK clients take a while to load: not before a command runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createRegionClients } = require("./lib/clients") as typeof import("./lib/clients");
    return {
        stdout: process.stdout,
        stderr: process.stderr,
        clock: systemClock,
        confirmIo: terminalConfirmIo(),
        clients: createRegionClients(),
        openStack,
        projectDir: PROJECT_DIR,
        reportDir: path.join(PROJECT_DIR, "recovery-reports"),
        invocation: PROGRAM,
        signal: controller.signal,
        connectDataPlane: async (target) => (await import("./dataplane/connect")).connectCluster(target),
        env: process.env,
        temporaryStacks,
    };
}

function printError(error: unknown, out: Output, debug: boolean): void {
    writeError(out, error, debug);
}

/**
 * Runs one command line (without the node and script arguments) and resolves to the exit code
 * (commands/exit-codes.ts): 0 done, 1 refused or failed (the message says why), 2 bad usage (nothing
 * was read or changed), 3 partial (promoted, the stack not reconciled).
 * `context` is built only when a command actually runs, so --help and usage errors touch nothing.
 */
export async function main(argv: readonly string[], makeContext: () => CommandContext = defaultContext,
    out: { stdout: Output; stderr: Output } = process): Promise<number> {
    const [name, ...rest] = argv;
    const debug = rest.includes("--debug");
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        (name === undefined ? out.stderr : out.stdout).write(programHelp(COMMANDS.map((c) => c.spec), PROGRAM));
        return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((c) => c.spec.name === name);
    if (!command) {
        out.stderr.write(`error: unknown command ${JSON.stringify(name)}. Accepted: ${COMMANDS.map((c) => c.spec.name).join(", ")}, --help.\n`);
        return 2;
    }
    try {
        // --help and bad flags are answered from the spec alone, before the command's module is loaded.
        const { values, help } = parseFlags(command.spec, rest);
        if (help) {
            out.stdout.write(commandHelp(command.spec, PROGRAM));
            return 0;
        }
        const loaded = await command.load();
        return await loaded.run(values, rest, lazyContext(makeContext, out));
    } catch (error) {
        printError(error, out.stderr, debug);
        if (error instanceof UsageError) {
            out.stderr.write(`Run ${PROGRAM} ${command.spec.name} --help for the accepted flags.\n`);
            return error.exitCode;
        }
        return 1;
    }
}

/**
 * Defers building the real context (credential chains, workspaces) until a command first needs it;
 * output and the program's own name are there from the start, so --help and usage errors build nothing.
 */
function lazyContext(make: () => CommandContext, out: Pick<CommandContext, "stdout" | "stderr">): CommandContext {
    let built: CommandContext | undefined;
    const eager: Pick<CommandContext, "stdout" | "stderr" | "invocation"> = { ...out, invocation: PROGRAM };
    return new Proxy({} as CommandContext, {
        get: (_target, key) => (key in eager ? eager[key as keyof typeof eager] : (built ??= make())[key as keyof CommandContext]),
    });
}

/**
 * Exits once everything written so far has reached stdout and stderr. A Pulumi call abandoned after
 * its timeout (outage mode) can keep the event loop alive after the run has reported; the on-call
 * engineer must get the prompt back, and scripts the exit code.
 */
function exitWhenFlushed(code: number): void {
    process.exitCode = code;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

if (require.main === module) {
    main(process.argv.slice(2)).then(exitWhenFlushed, (error) => {
        printError(error, process.stderr, true);
        exitWhenFlushed(1);
    });
}
