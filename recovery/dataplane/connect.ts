/**
 * The one way the recovery programs open a data-plane connection to a cluster-mode replication group
 * (ElastiCache, or a local cluster from recovery/local): an ioredis Cluster that is ready (slots
 * loaded) when the promise resolves, or a clear error naming the seeds.
 */
import { Cluster, ClusterOptions, Redis } from "ioredis";

export interface DataPlaneTarget {
    /** The configuration endpoint (ElastiCache) or any nodes of the cluster. */
    seeds: { host: string; port: number }[];
    /** In-transit encryption. ElastiCache groups of this project require it. Default false. */
    tls?: boolean;
    /** An RBAC user and password, or an AUTH token alone (no username). Default: no authentication. */
    auth?: { username?: string; password: string };
}

export interface ConnectOptions {
    /** How long one command may wait for its reply. Default 2000. */
    commandTimeoutMs?: number;
    /** MOVED/ASK redirections followed per command. Default 16 (ioredis's). */
    maxRedirections?: number;
    /** How long to wait for the first slot map before giving up. Default 10000. */
    connectTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
const DEFAULT_MAX_REDIRECTIONS = 16;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Short retry delays: see buildClusterOptions. */
const FAILOVER_RETRY_DELAY_MS = 50;

/** "tls://node-a:6379, node-b:6379 as user app" — never the password. */
export function describeTarget(target: DataPlaneTarget): string {
    const scheme = target.tls ? "tls://" : "";
    const seeds = target.seeds.map(({ host, port }) => `${host}:${port}`).join(", ");
    const auth = target.auth === undefined ? "without authentication"
        : target.auth.username !== undefined ? `as user ${target.auth.username}` : "with an AUTH token";
    return `${scheme}${seeds} ${auth}`;
}

function checkTarget(target: DataPlaneTarget): void {
    if (!Array.isArray(target?.seeds) || target.seeds.length === 0) {
        throw new Error(`connectCluster: seeds is ${JSON.stringify(target?.seeds)}. Accepted: at least one { host, port }, ` +
            `such as the replication group's configuration endpoint.`);
    }
    for (const [index, seed] of target.seeds.entries()) {
        if (typeof seed?.host !== "string" || seed.host.trim() === "") {
            throw new Error(`connectCluster: seeds[${index}].host is ${JSON.stringify(seed?.host)}. Accepted: a host name or IP address.`);
        }
        if (!Number.isInteger(seed.port) || seed.port < 1 || seed.port > 65535) {
            throw new Error(`connectCluster: seeds[${index}].port is ${JSON.stringify(seed.port)}. Accepted: a whole number from 1 to 65535.`);
        }
    }
    if (target.auth !== undefined && (typeof target.auth.password !== "string" || target.auth.password === "")) {
        throw new Error("connectCluster: auth.password is empty. Accepted: the RBAC user's password or the AUTH token; " +
            "leave auth out to connect without authentication.");
    }
}

function checkPositive(field: string, value: number | undefined): void {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
        throw new Error(`connectCluster: ${field} is ${JSON.stringify(value)}. Accepted: a positive whole number.`);
    }
}

/** The ioredis options for `target`. Exported for tests of the option shape (no TLS server runs here). */
export function buildClusterOptions(target: DataPlaneTarget, opts: ConnectOptions = {}): ClusterOptions {
    checkTarget(target);
    checkPositive("commandTimeoutMs", opts.commandTimeoutMs);
    checkPositive("maxRedirections", opts.maxRedirections);
    checkPositive("connectTimeoutMs", opts.connectTimeoutMs);
    const commandTimeout = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return {
        // A drill measures how long writes fail. Queued commands would instead wait out the failover and
        // succeed late, so the outage would show up as latency (or not at all). Without the offline queue
        // and with short retry delays, a write during a failover fails within about commandTimeoutMs, and
        // the first write after it succeeds within ~50 ms of the new primary being known.
        enableOfflineQueue: false,
        retryDelayOnFailover: FAILOVER_RETRY_DELAY_MS,
        retryDelayOnClusterDown: FAILOVER_RETRY_DELAY_MS,
        retryDelayOnTryAgain: FAILOVER_RETRY_DELAY_MS,
        maxRedirections: opts.maxRedirections ?? DEFAULT_MAX_REDIRECTIONS,
        slotsRefreshTimeout: Math.min(commandTimeout, 2000),
        // ioredis resolves the seeds' host names (the configuration endpoint) to IP addresses before
        // connecting. ElastiCache's certificates name the DNS name, so TLS verification against the IP
        // fails; handing the name back unchanged lets the TLS layer resolve and verify it (the ioredis
        // README's "Aws Elasticache Clusters with TLS" note).
        ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
        redisOptions: {
            ...(target.tls ? { tls: {} } : {}),
            ...(target.auth?.username !== undefined ? { username: target.auth.username } : {}),
            ...(target.auth !== undefined ? { password: target.auth.password } : {}),
            commandTimeout,
            connectTimeout: Math.min(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 5000),
            maxRetriesPerRequest: 0,
        },
    };
}

/** Errors after which retrying cannot help: the credentials or the user's permissions are wrong. */
export function isAuthError(error: unknown): boolean {
    return /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(innerMessage(error));
}

function trimPeriod(text: string): string {
    return text.replace(/\.+$/, "");
}

/** ClusterAllFailedError says only "Failed to refresh slots cache."; the reason is in lastNodeError. */
function innerMessage(error: unknown): string {
    const e = error as { message?: string; lastNodeError?: { message?: string } } | undefined;
    const inner = e?.lastNodeError?.message;
    return trimPeriod(inner ? `${trimPeriod(String(e?.message))} (${trimPeriod(inner)})` : String(e?.message ?? error));
}

/**
 * Connects and resolves once the cluster is ready. Rejects after connectTimeoutMs (default 10 s) with
 * the last error seen, or at once when the server refuses the credentials.
 */
export function connectCluster(target: DataPlaneTarget, opts: ConnectOptions = {}): Promise<Cluster> {
    const options = buildClusterOptions(target, opts);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const cluster = new Cluster(target.seeds.map(({ host, port }) => ({ host, port })), { ...options, lazyConnect: true });
    return new Promise<Cluster>((resolve, reject) => {
        let lastError: unknown;
        // Distinct node errors: the refresh's "Connection is closed." follows the ECONNREFUSED that explains it.
        const nodeErrors = new Set<string>();
        const fail = (why: string) => {
            cleanup();
            cluster.disconnect();
            reject(new Error(`Could not connect to the cluster at ${describeTarget(target)}: ${why}`, { cause: lastError }));
        };
        const onError = (error: unknown) => {
            lastError = error;
            if (isAuthError(error)) {
                fail(`the server refused the credentials (${innerMessage(error)}). Check the user name and password ` +
                    `(or AUTH token) and that the user may run CLUSTER, INFO and the data commands.`);
            }
        };
        const onReady = () => {
            cleanup();
            // Failures reach callers through the commands that fail. Without a listener, ioredis prints
            // every node-level error to stderr, which buries a drill's own output.
            cluster.on("error", () => undefined);
            resolve(cluster);
        };
        const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms. ` +
            `Last error: ${lastError === undefined ? "none" : innerMessage(lastError)}` +
            `${nodeErrors.size ? `; node errors: ${[...nodeErrors].slice(-4).join("; ")}` : ""}.`), timeoutMs);
        const cleanup = () => {
            clearTimeout(timer);
            cluster.off("error", onError);
            cluster.off("node error", onNodeError);
            cluster.off("ready", onReady);
        };
        // The cluster-level error only says the slot refresh failed; the node-level one says why
        // (ECONNREFUSED, a TLS failure, a timeout).
        const onNodeError = (error: unknown, node: string) => {
            nodeErrors.add(`${node}: ${trimPeriod((error as Error)?.message ?? String(error))}`);
            onError(error);
        };
        cluster.on("error", onError);
        cluster.on("node error", onNodeError);
        cluster.once("ready", onReady);
        cluster.connect().catch((error) => {
            lastError = error;
        });
    });
}

/** Resolves as `promise` does, or rejects with `describe()` after `timeoutMs`. The timer keeps the event loop alive. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(describe())), Math.max(0, timeoutMs));
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `use` on a connection to one node of `cluster`, within `timeoutMs` (connecting included). It
 * borrows the cluster's own connection to that node when one is ready; otherwise (a node the client
 * dropped, or one it has not met yet) it opens a new one with the cluster's TLS and credentials and
 * closes it afterwards. Commands get no retries: a node that does not answer is the finding.
 */
export async function onNode<T>(cluster: Cluster, node: { host: string; port: number }, timeoutMs: number,
    use: (client: Redis) => Promise<T>): Promise<T> {
    const pooled = cluster.nodes("all").find((redis) =>
        redis.options.host === node.host && redis.options.port === node.port && redis.status === "ready");
    if (pooled) {
        return withTimeout(use(pooled), timeoutMs, () => `${node.host}:${node.port} did not answer within ${timeoutMs} ms`);
    }
    const started = Date.now();
    const client = new Redis({
        ...cluster.options.redisOptions,
        host: node.host,
        port: node.port,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        connectTimeout: Math.max(1, timeoutMs),
    });
    // connect() rejects with a bare "Connection is closed."; the error event carries the reason.
    let socketError: Error | undefined;
    client.on("error", (error: Error) => {
        socketError ??= error;
    });
    try {
        await withTimeout(client.connect(), timeoutMs, () => `could not connect to ${node.host}:${node.port} within ${timeoutMs} ms`)
            .catch((error: Error) => {
                throw new Error(`could not connect to ${node.host}:${node.port}: ${trimPeriod((socketError ?? error).message)}`);
            });
        const left = timeoutMs - (Date.now() - started);
        return await withTimeout(use(client), left, () => `${node.host}:${node.port} did not answer within ${timeoutMs} ms`);
    } finally {
        client.disconnect();
    }
}
