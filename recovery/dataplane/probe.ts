/**
 * An independent write probe of one shard, to check the canary's measurements against: plain
 * connections straight to the shard's nodes (no cluster client, no slot cache), a write every few
 * milliseconds, and its own routing. A MOVED answer points it at the node named in the answer; a
 * connection failure moves it to the shard's next node. So it finds the new primary about as soon as
 * that primary accepts writes, whatever a cluster client's refresh logic would do.
 */
import Redis from "ioredis";
import { WriteSample } from "./timeline";

export interface ProbeNode {
    host: string;
    port: number;
}

export interface ProbeOptions {
    /** The shard's nodes; the current primary first. */
    nodes: ProbeNode[];
    /** The key written; it must hash to the shard's slots (use the shard's hash tag). */
    key: string;
    /** Time between writes. Default 5 ms. */
    intervalMs?: number;
    /** How long one write may take before it counts as failed. Default 100 ms. */
    attemptTimeoutMs?: number;
    /** The probe stops by itself after this long. Default 60 s. */
    maxDurationMs?: number;
    /** An ACL user and password; default none. */
    auth?: { username?: string; password: string };
}

const DEFAULTS = { intervalMs: 5, attemptTimeoutMs: 100, maxDurationMs: 60_000 };
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_DELAY_MS = 10;

function nodeKey(node: ProbeNode): string {
    return `${node.host}:${node.port}`;
}

export class WriteProbe {
    readonly samples: WriteSample[] = [];
    private readonly options: Required<Omit<ProbeOptions, "auth">> & Pick<ProbeOptions, "auth">;
    private readonly connections = new Map<string, Redis>();
    private readonly order: string[];
    private target: string;
    private timer?: NodeJS.Timeout;
    private readonly inflight = new Set<Promise<void>>();
    private counter = 0;

    constructor(options: ProbeOptions) {
        if (!Array.isArray(options.nodes) || options.nodes.length === 0) {
            throw new Error(`WriteProbe: nodes is ${JSON.stringify(options.nodes)}. Accepted: the shard's nodes as { host, port }, its primary first.`);
        }
        if (!/\{[^{}]+\}/.test(options.key ?? "")) {
            throw new Error(`WriteProbe: key is ${JSON.stringify(options.key)}. Accepted: a key with the shard's hash tag, such as "probe:{shard-17}".`);
        }
        this.options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as WriteProbe["options"];
        for (const field of ["intervalMs", "attemptTimeoutMs", "maxDurationMs"] as const) {
            const value = this.options[field];
            if (!Number.isInteger(value) || value < 1 || value > 3_600_000) {
                throw new Error(`WriteProbe: ${field} is ${JSON.stringify(value)}. Accepted: a whole number of milliseconds from 1 to 3600000.`);
            }
        }
        this.order = options.nodes.map(nodeKey);
        this.target = this.order[0];
    }

    /** Connects to every node, then writes every intervalMs until stop() or maxDurationMs. */
    async start(): Promise<void> {
        await Promise.all(this.options.nodes.map((node) => this.connect(node)));
        const startedAt = Date.now();
        let next = startedAt;
        const loop = () => {
            const now = Date.now();
            if (now - startedAt >= this.options.maxDurationMs) {
                this.timer = undefined;
                return;
            }
            this.send();
            next = Math.max(next + this.options.intervalMs, now + 1);
            this.timer = setTimeout(loop, next - Date.now());
        };
        loop();
    }

    /** Stops writing, waits for the writes in flight (at most one timeout) and closes the connections. */
    async stop(): Promise<WriteSample[]> {
        if (this.timer !== undefined) {
            clearTimeout(this.timer);
            this.timer = undefined;
        }
        await Promise.all([...this.inflight]);
        this.connections.forEach((connection) => connection.disconnect());
        return [...this.samples].sort((a, b) => a.at - b.at);
    }

    private connect(node: ProbeNode): Promise<void> {
        const key = nodeKey(node);
        if (this.connections.has(key)) {
            return Promise.resolve();
        }
        const connection = new Redis({
            host: node.host,
            port: node.port,
            username: this.options.auth?.username,
            password: this.options.auth?.password,
            // Fail at once while disconnected instead of queueing: a queued write would succeed late
            // and hide the outage this probe exists to time.
            enableOfflineQueue: false,
            autoResendUnfulfilledCommands: false,
            maxRetriesPerRequest: 0,
            connectTimeout: CONNECT_TIMEOUT_MS,
            retryStrategy: () => RECONNECT_DELAY_MS,
        });
        connection.on("error", () => undefined);
        this.connections.set(key, connection);
        return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`WriteProbe: ${key} not ready within ${CONNECT_TIMEOUT_MS} ms.`)), CONNECT_TIMEOUT_MS);
            connection.once("ready", () => {
                clearTimeout(timer);
                resolve();
            });
        });
    }

    private send(): void {
        const target = this.target;
        const connection = this.connections.get(target)!;
        const sentAt = Date.now();
        const value = String(++this.counter);
        const attempt = new Promise<void>((resolve) => {
            let settled = false;
            const settle = (sample: WriteSample, onError?: string) => {
                if (settled) {
                    return;
                }
                settled = true;
                clearTimeout(timer);
                this.samples.push(sample);
                if (onError !== undefined) {
                    this.reroute(target, onError);
                }
                resolve();
            };
            const timer = setTimeout(() => settle({ at: sentAt, ok: false, error: `no answer within ${this.options.attemptTimeoutMs} ms` }, ""),
                this.options.attemptTimeoutMs);
            connection.set(this.options.key, value).then(
                () => settle({ at: sentAt, ok: true, latencyMs: Date.now() - sentAt }),
                (error: Error) => {
                    const message = String(error?.message ?? error).split("\n")[0];
                    settle({ at: sentAt, ok: false, latencyMs: Date.now() - sentAt, error: message }, message);
                },
            );
        });
        this.inflight.add(attempt);
        void attempt.finally(() => this.inflight.delete(attempt));
    }

    /** After a failed write to `from`: follow a MOVED answer, otherwise try the shard's next node. */
    private reroute(from: string, error: string): void {
        if (this.target !== from) {
            return;
        }
        const moved = /^MOVED \d+ (\S+):(\d+)$/.exec(error);
        if (moved) {
            const node = { host: moved[1], port: Number(moved[2]) };
            void this.connect(node).catch(() => undefined);
            this.target = nodeKey(node);
            return;
        }
        const index = this.order.indexOf(from);
        this.target = this.order[(index + 1) % this.order.length];
    }
}
