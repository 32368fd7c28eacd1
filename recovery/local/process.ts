/**
 * One redis-server process of a local cluster: finding the binary, finding free loopback ports, and a
 * child process that cannot outlive this one (each server runs under the watchdog in ./watchdog.ts, so
 * a test runner killed with SIGKILL leaves no cluster behind).
 */
import { constants as fsConstants, promises as fs } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { withTimeout } from "../dataplane/connect";
import { WatchedProcess, spawnWatched } from "./watchdog";

export const LOOPBACK = "127.0.0.1" as const;
/** Redis listens for the cluster bus on the client port plus this offset (the default cluster-port). */
export const CLUSTER_BUS_OFFSET = 10000;
const MAX_PORT = 65535;

export class RedisServerNotFoundError extends Error {
    override name = "RedisServerNotFoundError";
}

/**
 * The absolute path of the redis-server binary: `name` itself when it contains a slash, otherwise the
 * first executable match on PATH.
 */
export async function resolveRedisServer(name: string, searchPath = process.env.PATH ?? ""): Promise<string> {
    const candidates = name.includes("/")
        ? [path.resolve(name)]
        : searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
    for (const candidate of candidates) {
        try {
            await fs.access(candidate, fsConstants.X_OK);
            return candidate;
        } catch {
            // not this one
        }
    }
    const where = name.includes("/") ? `at ${JSON.stringify(name)}` : `on PATH (${candidates.length} directories searched)`;
    throw new RedisServerNotFoundError(`redisServer: no executable ${JSON.stringify(name)} found ${where}. ` +
        `Install it (Debian/Ubuntu: "apt-get install redis-server", which also brings redis-cli), ` +
        `or pass redisServer: the path of a redis-server (or valkey-server) binary.`);
}

function listen(port: number): Promise<net.Server | undefined> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(undefined));
        server.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve(server));
    });
}

function close(server: net.Server): Promise<void> {
    return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * `count` distinct loopback ports that are free, each with its cluster bus port (+10000) free too.
 * The kernel picks them (port 0), so parallel test runs do not collide; every port is held until all
 * are chosen, then released for redis-server to take a moment later. In that moment another process may
 * take one: startLocalCluster checks that each port is answered by its own server (PortTakenError).
 */
export async function findFreePorts(count: number, maxAttempts = count * 20): Promise<number[]> {
    const held: net.Server[] = [];
    const ports: number[] = [];
    try {
        for (let attempt = 0; ports.length < count; attempt++) {
            if (attempt >= maxAttempts) {
                throw new Error(`Could not find ${count} free loopback ports with a free cluster bus port (+${CLUSTER_BUS_OFFSET}) ` +
                    `after ${maxAttempts} attempts; found ${ports.length}: ${ports.join(", ") || "none"}.`);
            }
            const client = await listen(0);
            if (!client) {
                continue;
            }
            held.push(client);
            const port = (client.address() as net.AddressInfo).port;
            if (port + CLUSTER_BUS_OFFSET > MAX_PORT) {
                continue;
            }
            const bus = await listen(port + CLUSTER_BUS_OFFSET);
            if (!bus) {
                continue;
            }
            held.push(bus);
            ports.push(port);
        }
        return ports.sort((a, b) => a - b);
    } finally {
        await Promise.all(held.map(close));
    }
}

/**
 * A port chosen free was answered by another server by the time ours started: findFreePorts releases
 * its ports for redis-server to take, and in that moment another process (a parallel start, a client's
 * outgoing connection) may take one. Starting again on other ports is the remedy.
 */
export class PortTakenError extends Error {
    constructor(readonly port: number, found: string) {
        super(`port ${port} was taken by another process between choosing it and our redis-server binding it: ${found}`);
        this.name = "PortTakenError";
    }
}

/**
 * redis-server's log line when it cannot bind its port or its cluster bus port, from anet.c's bind error
 * ("Could not create server TCP listening socket *:6399: bind: Address already in use", Redis 7.0).
 */
export const ADDRESS_IN_USE = /Address already in use/;

export interface ServerProcess {
    readonly port: number;
    /** The redis-server's own pid (not the watchdog's). */
    readonly pid: number;
    readonly dir: string;
    readonly logFile: string;
    /** Exit code or signal once the server is gone; undefined while it runs. */
    exited(): string | undefined;
    /** Resolves once the server has exited (immediately if it already has). */
    waitForExit(timeoutMs: number): Promise<void>;
    /** Sends a signal to the server itself. A no-op once it has exited. */
    signal(signal: NodeJS.Signals): void;
}

/** The last `lines` lines of a server's log, for error messages. */
export async function logTail(logFile: string, lines = 8): Promise<string> {
    try {
        const text = await fs.readFile(logFile, "utf8");
        return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log written)";
    }
}

/**
 * Spawns redis-server with `configFile` under the watchdog (./watchdog.ts). The returned process is
 * unreferenced: a caller that forgets stop() does not hang the event loop, and the watchdog removes the
 * server when this process exits.
 */
export async function spawnServer(binary: string, configFile: string, port: number, dir: string, logFile: string): Promise<ServerProcess> {
    let watched: WatchedProcess;
    try {
        watched = await spawnWatched(binary, [configFile], { name: "redis-server" });
    } catch (error) {
        throw new Error(`redis-server on port ${port}: ${(error as Error).message}`);
    }
    // Unreferenced only once the pid is known, or a caller awaiting start-up with nothing else pending
    // would see the process exit under it.
    watched.unref();
    // The server logs to its log file; whatever it still prints must not fill a pipe and block it.
    watched.stdout.resume();
    watched.stderr.resume();
    const { pid } = watched;
    return {
        port, pid, dir, logFile,
        exited: watched.exited,
        waitForExit: (timeoutMs) => withTimeout(watched.exit, timeoutMs,
            () => `redis-server pid ${pid} on port ${port} did not exit within ${timeoutMs} ms`),
        signal: watched.signal,
    };
}
