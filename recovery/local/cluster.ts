/**
 * A real Redis Cluster on the loopback interface, for drills, tests and benchmarks of the data plane:
 * N primaries with M replicas each, automatic failover after `nodeTimeoutMs`, nothing persisted.
 *
 *   const cluster = await startLocalCluster({ log: console.log });
 *   process.once("SIGINT", () => void cluster.stop());
 *   ...
 *   await cluster.stop();
 *
 * The servers are unreferenced children watched by a shell that kills them when this process dies
 * (see process.ts), so even a killed test runner leaves no server behind; only the temporary
 * directory stays until stop() runs.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type Redis from "ioredis";
import { parseClusterNodes } from "./cluster-nodes";
import { AdminCredentials, adminClient, connectWhenListening, formCluster } from "./form";
import { ADDRESS_IN_USE, LOOPBACK, PortTakenError, ServerProcess, findFreePorts, logTail, resolveRedisServer, spawnServer } from "./process";

export interface LocalClusterOptions {
    /** Number of primaries (shards). Default 3. */
    primaries?: number;
    /** Replicas of each primary. Default 1. */
    replicasPerPrimary?: number;
    /** The redis-server (or valkey-server) binary: a name looked up on PATH, or a path. Default "redis-server". */
    redisServer?: string;
    /**
     * An ACL user with every permission, with the default user disabled, as ElastiCache RBAC does.
     * Default: no ACL (the default user, no password).
     */
    acl?: { username: string; password: string };
    /** Receives progress lines. Default: silent. */
    log?: (line: string) => void;
    /** cluster-node-timeout: how long a primary may be unreachable before its replica takes over. Default 2000. */
    nodeTimeoutMs?: number;
    /** How long start-up may take before it gives up and cleans up. Default 20000. */
    startTimeoutMs?: number;
}

export interface LocalNode {
    host: "127.0.0.1";
    port: number;
    pid: number;
    nodeId: string;
    role: "primary" | "replica";
    primaryId?: string;
    dir: string;
}

export interface LocalCluster {
    readonly seeds: { host: string; port: number }[];
    /** Temporary directory holding every node's directory and log. */
    readonly dir: string;
    /**
     * The nodes whose process still runs, with their CURRENT roles as CLUSTER NODES reports them (roles
     * change after a failover). Killed nodes are left out: the cluster keeps listing them, as failed.
     */
    nodes(): Promise<LocalNode[]>;
    /** Sends `signal` (default SIGKILL) to one node's server and waits until it has exited. */
    kill(port: number, signal?: NodeJS.Signals): Promise<void>;
    /** Kills every server and removes the temporary directory. Safe to call more than once. */
    stop(): Promise<void>;
}

const DEFAULTS = { primaries: 3, replicasPerPrimary: 1, redisServer: "redis-server", nodeTimeoutMs: 2000, startTimeoutMs: 20_000 };
const EXIT_TIMEOUT_MS = 10_000;

function checkWholeNumber(field: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new Error(`startLocalCluster: ${field} is ${JSON.stringify(value)}. Accepted: a whole number from ${min} to ${max}.`);
    }
}

function resolveOptions(opts: LocalClusterOptions) {
    const resolved = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as
        typeof DEFAULTS & Pick<LocalClusterOptions, "acl" | "log">;
    checkWholeNumber("primaries", resolved.primaries, 1, 100);
    checkWholeNumber("replicasPerPrimary", resolved.replicasPerPrimary, 0, 5);
    checkWholeNumber("nodeTimeoutMs", resolved.nodeTimeoutMs, 100, 600_000);
    checkWholeNumber("startTimeoutMs", resolved.startTimeoutMs, 1000, 600_000);
    const acl = resolved.acl;
    if (acl !== undefined) {
        // The user is written into a config file line; whitespace or quotes would change its meaning.
        if (!/^[A-Za-z0-9_.-]+$/.test(acl.username ?? "") || acl.username === "default") {
            throw new Error(`startLocalCluster: acl.username is ${JSON.stringify(acl.username)}. ` +
                `Accepted: letters, digits, "_", "." or "-", and not "default" (the default user is disabled).`);
        }
        if (!/^[\x21-\x7e]+$/.test(acl.password ?? "") || /["'\\]/.test(acl.password)) {
            throw new Error(`startLocalCluster: acl.password is not accepted (length ${acl.password?.length ?? 0}). ` +
                `Accepted: printable ASCII without spaces, quotes or backslashes.`);
        }
    }
    return resolved;
}

function configFor(port: number, dir: string, nodeTimeoutMs: number, acl?: { username: string; password: string }): string {
    const lines = [
        `port ${port}`,
        `bind ${LOOPBACK}`,
        "protected-mode yes",
        "daemonize no",
        `dir "${dir}"`,
        `logfile "${path.join(dir, "redis.log")}"`,
        "cluster-enabled yes",
        "cluster-config-file nodes.conf",
        `cluster-node-timeout ${nodeTimeoutMs}`,
        // Nothing to keep: these clusters live for one run, and disk writes slow every test down.
        'save ""',
        "appendonly no",
        // Redis 7 waits 5 s by default before a diskless full sync, in case more replicas come along.
        "repl-diskless-sync-delay 0",
    ];
    if (acl) {
        // The password goes into a file rather than the command line, where `ps` would show it.
        lines.push("user default off", `user ${acl.username} on >${acl.password} ~* &* +@all`,
            `masteruser ${acl.username}`, `masterauth ${acl.password}`);
    }
    return lines.join("\n") + "\n";
}

/** Promise.all that waits for every promise to settle before rejecting with the first failure. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
    const results = await Promise.allSettled(promises);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) {
        throw failed.reason;
    }
    return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function removeDir(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
}

/** What startLocalCluster uses from outside; tests replace findFreePorts to hand it a port already taken. */
export interface LocalClusterDeps {
    findFreePorts(count: number): Promise<number[]>;
}

/** Start-ups on fresh ports after a port was taken (PortTakenError) before giving up. */
const PORT_ATTEMPTS = 3;

export async function startLocalCluster(opts: LocalClusterOptions = {}, deps: LocalClusterDeps = { findFreePorts }): Promise<LocalCluster> {
    const options = resolveOptions(opts);
    const log = options.log ?? (() => undefined);
    const binary = await resolveRedisServer(options.redisServer);
    const total = options.primaries * (1 + options.replicasPerPrimary);
    const started = Date.now();
    const deadline = started + options.startTimeoutMs;
    const credentials: AdminCredentials = options.acl ? { ...options.acl } : {};

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "local-redis-cluster-"));
    const servers = new Map<number, ServerProcess>();
    const admins: Redis[] = [];
    let ports: number[] = [];

    const killServers = async (): Promise<void> => {
        admins.splice(0).forEach((client) => client.disconnect());
        const running = [...servers.values()];
        servers.clear();
        running.forEach((server) => server.signal("SIGKILL"));
        await Promise.all(running.map((server) => server.waitForExit(EXIT_TIMEOUT_MS)));
        await Promise.all(running.map((server) => removeDir(server.dir)));
    };
    // One teardown, shared by every caller: a second stop() (or a signal handler racing the normal
    // path) waits for the first instead of returning before the servers are gone.
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
        stopping ??= (async () => {
            await killServers();
            await removeDir(dir);
        })();
        return stopping;
    };

    /** Starts a server on each port and connects to it as admin; PortTakenError when one is not ours. */
    const startServers = async (chosen: number[]): Promise<{ port: number; client: Redis }[]> => {
        // allSettled, not all: when one server fails, the others must be registered before the cleanup
        // kills what is registered.
        await settleAll(chosen.map(async (port) => {
            const nodeDir = path.join(dir, String(port));
            await fs.mkdir(nodeDir);
            const configFile = path.join(nodeDir, "redis.conf");
            await fs.writeFile(configFile, configFor(port, nodeDir, options.nodeTimeoutMs, options.acl), { mode: 0o600 });
            servers.set(port, await spawnServer(binary, configFile, port, nodeDir, path.join(nodeDir, "redis.log")));
        }));
        return settleAll(chosen.map(async (port) => {
            const server = servers.get(port) as ServerProcess;
            try {
                const client = await connectWhenListening(port, credentials, deadline, server);
                admins.push(client);
                return { port, client };
            } catch (error) {
                if (error instanceof PortTakenError) {
                    throw error;
                }
                const tail = await logTail(server.logFile);
                // Our server could not bind its port or its cluster bus port (+10000): taken meanwhile.
                if (server.exited() !== undefined && ADDRESS_IN_USE.test(tail)) {
                    throw new PortTakenError(port, `our redis-server could not bind it: ${tail.split("\n").find((line) => ADDRESS_IN_USE.test(line))?.trim()}`);
                }
                throw new Error(`${(error as Error).message}\nLog of port ${port}:\n${tail}`);
            }
        }));
    };

    try {
        let clients: { port: number; client: Redis }[] | undefined;
        for (let attempt = 1; clients === undefined; attempt++) {
            ports = await deps.findFreePorts(total);
            log(`starting ${total} redis-server on ${LOOPBACK} ports ${ports.join(", ")} in ${dir}`);
            try {
                clients = await startServers(ports);
            } catch (error) {
                if (!(error instanceof PortTakenError)) {
                    throw error;
                }
                await killServers();
                if (attempt >= PORT_ATTEMPTS || Date.now() >= deadline) {
                    throw new Error(`Could not start the local cluster after ${attempt} attempts: ${error.message}`);
                }
                log(`${error.message}; starting again on other ports (attempt ${attempt + 1} of ${PORT_ATTEMPTS})`);
            }
        }
        const primaries = clients.slice(0, options.primaries);
        const replicasOf = primaries.map((_, index) =>
            clients.slice(options.primaries + index * options.replicasPerPrimary, options.primaries + (index + 1) * options.replicasPerPrimary));
        log(`forming the cluster: ${options.primaries} primaries, ${options.replicasPerPrimary} replica(s) each`);
        await formCluster({ primaries, replicasOf, deadline });
        admins.splice(0).forEach((client) => client.disconnect());
        log(`cluster ready in ${Date.now() - started} ms (cluster-node-timeout ${options.nodeTimeoutMs} ms)`);
    } catch (error) {
        await stop().catch(() => undefined);
        throw error;
    }

    const seeds = ports.slice(0, options.primaries).map((port) => ({ host: LOOPBACK, port }));

    const nodes = async (): Promise<LocalNode[]> => {
        const running = [...servers.values()].filter((server) => server.exited() === undefined);
        let lastError: unknown;
        for (const server of running) {
            const client = adminClient(server.port, credentials);
            try {
                const lines = parseClusterNodes(String(await client.call("CLUSTER", "NODES")));
                return lines.flatMap((line): LocalNode[] => {
                    const own = servers.get(line.port);
                    if (own === undefined || own.exited() !== undefined) {
                        return [];
                    }
                    return [{
                        host: LOOPBACK, port: line.port, pid: own.pid, nodeId: line.nodeId, role: line.role,
                        ...(line.role === "replica" ? { primaryId: line.primaryId } : {}), dir: own.dir,
                    }];
                }).sort((a, b) => a.port - b.port);
            } catch (error) {
                lastError = error;
            } finally {
                client.disconnect();
            }
        }
        throw new Error(`No running node of the local cluster answered CLUSTER NODES (running: ${running.map((s) => s.port).join(", ") || "none"}). ` +
            `Last error: ${(lastError as Error | undefined)?.message ?? "none"}`);
    };

    const kill = async (port: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
        const server = servers.get(port);
        if (!server) {
            throw new Error(`kill: port ${port} is not a node of this local cluster. Accepted: ${[...servers.keys()].join(", ")}.`);
        }
        server.signal(signal);
        await server.waitForExit(EXIT_TIMEOUT_MS);
    };

    return { seeds, dir, nodes, kill, stop };
}
