/**
 * Commands the local drill sends straight to one node, outside the cluster client: CLUSTER FAILOVER,
 * and cutting replication before a kill.
 *
 * Cutting replication makes the data-loss path of a failover happen on loopback. There replicas receive each write
 * within a millisecond, so a killed primary takes no acknowledged write with it, whatever the risk on a
 * real network (ElastiCache replicates asynchronously: a primary that fails can take the writes its
 * replicas had not received yet). The kill-unreplicated drill cuts replication first, so the primary
 * acknowledges writes no replica receives, and the promoted replica lacks them.
 *
 * How: each replica is given a wrong primary password (CONFIG SET masterauth), so it cannot connect
 * again, and the primary closes its replica links (CLIENT KILL TYPE replica). Pausing a replica (DEBUG
 * SLEEP, SIGSTOP) would not do: the replication stream waits in its socket buffer and arrives on resume.
 * (redis.io, "CLIENT KILL": TYPE replica closes the connections of replicas; "Replication": a replica
 * authenticates to its primary with masterauth.)
 */
import Redis from "ioredis";
import { systemClock } from "../lib/clock";

export interface NodeAddress {
    host: string;
    port: number;
}

export interface ReplicationCut {
    /** When the last replica's link was seen down: from then on the primary alone holds new writes. */
    cutAt: number;
    /** Gives every replica that still runs its own masterauth back. */
    restore(): Promise<void>;
}

const POLL_MS = 20;
/** A masterauth no primary of a local cluster has: its replicas' handshakes fail until it is restored. */
const WRONG_MASTERAUTH = "elasticache-global-drill-replication-cut";

/** CLUSTER FAILOVER on a replica: a coordinated failover, as a planned one on ElastiCache. */
export async function clusterFailover(host: string, port: number): Promise<void> {
    const connection = connect({ host, port });
    try {
        await connection.connect();
        await connection.call("CLUSTER", "FAILOVER");
    } finally {
        connection.disconnect();
    }
}

function connect(node: NodeAddress): Redis {
    const connection = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 5000 });
    connection.on("error", () => undefined);
    return connection;
}

async function linkDown(replica: Redis): Promise<boolean> {
    return /master_link_status:down/.test(String(await replica.call("INFO", "replication")));
}

/**
 * Cuts replication from `primary` to every one of `replicas`, and waits until each replica reports its
 * link down (rejects after `timeoutMs`, with replication restored).
 */
export async function cutReplication(primary: NodeAddress, replicas: readonly NodeAddress[], timeoutMs: number, signal?: AbortSignal): Promise<ReplicationCut> {
    const connections = replicas.map(connect);
    const original: string[] = [];
    const restore = async () => {
        await Promise.all(connections.map(async (c, i) => {
            if (original[i] !== undefined) {
                await c.call("CONFIG", "SET", "masterauth", original[i]).catch(() => undefined);
            }
            c.disconnect();
        }));
    };
    try {
        for (const [i, c] of connections.entries()) {
            await c.connect();
            original[i] = String(((await c.call("CONFIG", "GET", "masterauth")) as string[])[1] ?? "");
            await c.call("CONFIG", "SET", "masterauth", WRONG_MASTERAUTH);
        }
        const primaryConnection = connect(primary);
        try {
            await primaryConnection.connect();
            await primaryConnection.call("CLIENT", "KILL", "TYPE", "replica");
        } finally {
            primaryConnection.disconnect();
        }
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const down = await Promise.all(connections.map(linkDown));
            if (down.every(Boolean)) {
                return { cutAt: Date.now(), restore };
            }
            if (Date.now() >= deadline) {
                throw new Error(`replication from ${primary.host}:${primary.port} could not be cut within ${timeoutMs} ms: ` +
                    `${replicas.filter((_, i) => !down[i]).map((r) => `${r.host}:${r.port}`).join(", ")} still report the link up`);
            }
            await systemClock.sleep(POLL_MS, signal);
        }
    } catch (error) {
        await restore();
        throw error;
    }
}
