/**
 * A child process that cannot outlive this one: the local cluster's redis-servers and the offline
 * plan's policy pack both run under it.
 *
 * The process runs under a small `sh` watchdog that holds a pipe from this process (the watchdog's
 * stdin) on a spare file descriptor: when this process dies for any reason, the pipe closes, the
 * watchdog's `read` returns and it kills the process. Exit handlers alone cannot do that: a SIGTERM or
 * SIGINT with no handler, and a SIGKILL in any case, end this process without running them, and an
 * orphan keeps its ports and memory until someone notices.
 *
 * Node builtins only, so that every part of the project can use it.
 */
import { ChildProcess, spawn } from "node:child_process";
import type { Readable } from "node:stream";

/**
 * `sh -c WATCHDOG_SCRIPT <name> <command> [args...]`: starts the command in the background with the
 * watchdog's stdout and stderr, writes its pid to fd 3 and closes fd 3, and SIGKILLs it when stdin
 * (kept on fd 4, because an asynchronous list's own stdin is /dev/null) reaches end of file. Exits with
 * the command's status (128 + n when signal n ended it). The command inherits neither pipe.
 */
const WATCHDOG_SCRIPT = [
    'exec 4<&0',
    '"$@" </dev/null 3>&- 4<&- &',
    'child=$!',
    'echo "$child" >&3',
    'exec 3>&-',
    '( read -r _ <&4; kill -9 "$child" 2>/dev/null ) &',
    'watchdog=$!',
    'wait "$child"',
    'status=$?',
    'kill "$watchdog" 2>/dev/null',
    'exit "$status"',
].join("\n");

export interface WatchedProcess {
    /** The process's own pid (not the watchdog's). */
    readonly pid: number;
    /**
     * The watchdog shell: its stdout and stderr are the process's, and it exits once the process has
     * exited, with the process's status. Signalling the shell does not reach the process: use signal().
     */
    readonly shell: ChildProcess;
    readonly stdout: Readable;
    readonly stderr: Readable;
    /** Exit code or signal once the watchdog is gone (the process with it); undefined while it runs. */
    exited(): string | undefined;
    /** Resolves once the watchdog has exited (immediately if it already has). */
    readonly exit: Promise<void>;
    /** Sends a signal to the process itself. A no-op once it has exited. */
    signal(signal: NodeJS.Signals): void;
    /**
     * Lets this process exit while the watched one runs (the watchdog still removes it then): the child
     * and its pipes stop holding the event loop open.
     */
    unref(): void;
}

export interface WatchOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Shown as the watchdog's $0 (in `ps`) and in error messages. Default: the command's base name. */
    name?: string;
}

/**
 * Spawns `command args...` under the watchdog and resolves once its pid is known. Rejects when the
 * shell cannot be started or exits without reporting a pid.
 */
export function spawnWatched(command: string, args: readonly string[], options: WatchOptions = {}): Promise<WatchedProcess> {
    const name = options.name ?? command.split("/").pop() ?? command;
    const shell = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, `${name}-watchdog`, command, ...args], {
        cwd: options.cwd,
        env: options.env,
        // stdin: the pipe whose end of file kills the process; fd 3: its pid.
        stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    let exitedAs: string | undefined;
    const exit = new Promise<void>((resolve) => {
        shell.once("exit", (code, signal) => {
            exitedAs = signal ?? `exit code ${code}`;
            resolve();
        });
    });
    const pidStream = shell.stdio[3] as Readable;

    return new Promise<WatchedProcess>((resolve, reject) => {
        let out = "";
        let settled = false;
        const settle = (outcome: () => void) => {
            if (!settled) {
                settled = true;
                outcome();
            }
        };
        pidStream.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const newline = out.indexOf("\n");
            if (newline < 0) {
                return;
            }
            const pid = Number(out.slice(0, newline).trim());
            if (!Number.isInteger(pid) || pid <= 0) {
                settle(() => reject(new Error(`${name}: the watchdog reported ${JSON.stringify(out)} instead of a pid.`)));
                return;
            }
            settle(() => resolve({
                pid, shell, exit,
                stdout: shell.stdout!, stderr: shell.stderr!,
                exited: () => exitedAs,
                signal: (signal) => {
                    if (exitedAs !== undefined) {
                        return;
                    }
                    try {
                        process.kill(pid, signal);
                    } catch (error) {
                        if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
                            throw error;
                        }
                    }
                },
                unref: () => {
                    shell.unref();
                    for (const stream of shell.stdio) {
                        (stream as unknown as { unref?: () => void } | null)?.unref?.();
                    }
                },
            }));
        });
        shell.once("error", (error) => settle(() => reject(new Error(`${name}: could not start the watchdog shell: ${error.message}`))));
        // The watchdog closes fd 3 right after the pid line; a close without one means it failed first
        // (its exit can be seen before the pipe is read, so the pipe decides, not the exit).
        pidStream.once("close", () => {
            if (!settled) {
                void exit.then(() => settle(() => reject(new Error(`${name}: the watchdog exited (${exitedAs}) before reporting a pid.`))));
            }
        });
    });
}
