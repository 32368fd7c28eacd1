/**
 * The recovery CLI: `npm run recovery -- <command> [flags]`. A thin dispatcher: it picks the command,
 * wires the real world (AWS clients, the stack through the Automation API, the terminal) into it, and
 * is the one place that turns an error into a message and an exit code.
 */
import * as path from "node:path";
import { createRegionClients } from "./lib/clients";
import { systemClock } from "./lib/clock";
import { terminalConfirmIo } from "./lib/confirm";
import { UsageError, programHelp } from "./lib/flags";
import { LocalWorkspaceStackDriver } from "./lib/local-workspace";
import { Output, writeError } from "./lib/printer";
import { Command, CommandContext } from "./commands/context";
import { rejoinCommand } from "./commands/rejoin";
import { retargetPrimaryCommand } from "./commands/retarget-primary";
import { failoverShardCommand } from "./commands/failover-shard";
import { drillCommand } from "./commands/drill";
import { snapshotCommand } from "./commands/snapshot";
import { restoreFromSnapshotCommand } from "./commands/restore-from-snapshot";
import { retireGenerationCommand } from "./commands/retire-generation";
import { backupDrillCommand } from "./commands/backup-drill";
import { pulumiTemporaryStacks } from "./lib/backup-drill/pulumi-temporary-stacks";
import { connectCluster } from "./dataplane/connect";

export const PROGRAM = "npm run recovery --";
export const COMMANDS: readonly Command[] = [
    retargetPrimaryCommand, rejoinCommand, failoverShardCommand, drillCommand, snapshotCommand, restoreFromSnapshotCommand, retireGenerationCommand, backupDrillCommand,
];

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The real world: SDK clients from the standard credential chain, the stack in this project directory. */
export function defaultContext(): CommandContext {
    const controller = new AbortController();
    // A second Ctrl-C kills the process as usual; the first lets the current step stop and the report be written.
    process.once("SIGINT", () => controller.abort(new Error("interrupted (Ctrl-C)")));
    return {
        stdout: process.stdout,
        stderr: process.stderr,
        clock: systemClock,
        confirmIo: terminalConfirmIo(),
        clients: createRegionClients(),
        openStack: (stackName) => LocalWorkspaceStackDriver.select(stackName, PROJECT_DIR),
        projectDir: PROJECT_DIR,
        reportDir: path.join(PROJECT_DIR, "recovery-reports"),
        invocation: PROGRAM,
        signal: controller.signal,
        connectDataPlane: (target) => connectCluster(target),
        env: process.env,
        temporaryStacks: pulumiTemporaryStacks,
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
        return await command.run(rest, lazyContext(makeContext, out));
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
